"""The report's experiments, on the core, the models and the attribution methods.

- :mod:`licnn.experiments.localisation`: box and mask localisation benchmarks;
- :mod:`licnn.experiments.sanity`: the model-randomisation sanity checks;
- :mod:`licnn.experiments.ablation`: one-factor ablations of LICNN's settings;
- :mod:`licnn.experiments.evaluate`: top-k accuracy of a classifier on a dataset;
- :mod:`licnn.experiments.bench`: timings of the implementations;
- :mod:`licnn.experiments.background`: how much of a map falls on the background;
- :mod:`licnn.experiments.blur`: the seed's blur experiment and its variants;
- :mod:`licnn.experiments.class_specificity`: how much a map changes with the class asked for.
- :mod:`licnn.experiments.map_focus`: how concentrated maps are, and how alike across classes.
"""
