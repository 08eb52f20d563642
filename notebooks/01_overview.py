# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Overview
#
# A classifier trained on ImageNet names the object in a photograph, but it does not say which
# pixels led it there. The lateral inhibition-inspired CNN (LICNN) of {cite:t}`cao2018lateral`
# answers that without any retraining. It back-propagates the score of one class to every
# ReLU-type activation layer, lets each strong location of the gradient map inhibit its
# weaker neighbours, as neurons in the visual system do, and keeps only the locations that
# survive. A second forward pass through the network, with everything else switched off,
# gives a category-specific attention map; adding the maps of the five most likely classes
# gives a saliency map for which the network is told no class.
#
# {cite:t}`marcinek2020reproduction` re-implemented LICNN and used its maps to ask whether the
# background of an image steers what a classifier predicts. This report repeats that study
# with an open implementation, the `licnn` package, and says for every figure and number which
# model, weights and data it came from.
#
# The seed's model, VGG-16 {cite}`simonyan2015very`, needs weights that cannot be downloaded
# on the machines this report is built on, so the report uses EfficientNet-Lite0
# {cite}`tan2019efficientnet`, whose ImageNet weights ship in a Python package. The cell below
# loads it and shows where it came from.

# %% tags=["parameters"]
model_name = "efficientnet-lite0"
results_dir = None

# %%
from licnn.models import load_model
from licnn.report import print_provenance, save_results

model = load_model(model_name)
record = print_provenance(model, params={"model_name": model_name})

# %% [markdown]
# LICNN reads and gates the output of every call of an activation layer with a spatial map:
# these are the model's *gate points*. The first three and the last two, with the shape
# (channels x height x width) of their output for one image:

# %%
for point in model.gate_points[:3] + model.gate_points[-2:]:
    shape = f"{point.channels} x {point.height} x {point.width}"
    print(f"{point.index:2d}  {point.label:<20} {shape:>15}")
print(f"{len(model.gate_points)} gate points in {model.name}")

# %%
save_results(
    "01_overview",
    {"model": model.name, "gate_points": len(model.gate_points), "provenance": record},
    results_dir,
)
