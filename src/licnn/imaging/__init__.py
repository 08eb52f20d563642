"""Images, masks and blur on plain arrays and PIL images.

- :mod:`licnn.imaging.images`: loading and checking an image file;
- :mod:`licnn.imaging.masks`: binary masks of controlled area;
- :mod:`licnn.imaging.boxes`: object boxes carried into the model's centre crop;
- :mod:`licnn.imaging.blur`: the salient region of a map and blurred variants of an image.
"""
