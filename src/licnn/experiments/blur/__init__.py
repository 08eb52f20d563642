"""The blur experiments: the seed's protocol and its controlled variants.

- :mod:`licnn.experiments.blur.protocol`: the seed's blur experiment (blur inside or outside
  the salient region, accuracy per radius);
- :mod:`licnn.experiments.blur.maps`: the per-image maps, computed once and cached;
- :mod:`licnn.experiments.blur.mask_area`: accuracy against mask area, several mask sources.
"""
