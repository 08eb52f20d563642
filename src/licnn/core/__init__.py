"""LICNN itself, on torch alone (no torchvision, no matplotlib).

- :mod:`licnn.core.config`: :class:`LICNNConfig`, the settings;
- :mod:`licnn.core.lateral_inhibition`: the lateral inhibition terms and suppression mask;
- :mod:`licnn.core.gates`: the gate points of a ReLU-family network and their hooks;
- :mod:`licnn.core.checks`: checks of the input batch, the target classes and the outputs;
- :mod:`licnn.core.attention`: :class:`LICNN`, the fast batched attention and saliency maps;
- :mod:`licnn.core.reference`: the plain, step-by-step version it is tested against.

Nothing is imported here, so ``from licnn.core.config import LICNNConfig`` stays light.
"""
