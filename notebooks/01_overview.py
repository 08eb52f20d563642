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
# {cite:t}`marcinek2020reproduction` (the *seed* of this report) re-implemented LICNN and used
# its maps to ask whether the background of an image steers what a classifier predicts:
# if blurring everything outside the salient region changes the prediction, the background
# was part of the evidence. This report repeats that study with an open implementation, the
# `licnn` package, and says for every figure and number which model, weights and data it
# came from.

# %% tags=["parameters"]
model_name = "efficientnet-lite0"
gallery = ["n02110341_dalmatian.JPEG", "n01534433_junco.JPEG"]
accuracy_limit = 16
device = "auto"
results_dir = None

# %%
from licnn import LICNN, load_model
from licnn.data import load_dataset
from licnn.experiments.evaluate import evaluate
from licnn.models import crop_batch
from licnn.report import print_provenance, save_results
from licnn.report.plots import show_maps

model = load_model(model_name, device=device)
params = {
    "model_name": model_name,
    "gallery": gallery,
    "accuracy_limit": accuracy_limit,
    "device": device,
}
record = print_provenance(model, ["imagenet-samples-1000", "imagenet-val-1300"], params=params)

# %% [markdown]
# ## The model
#
# The seed's classifier is VGG-16 {cite}`simonyan2015very`. Its ImageNet weights cannot be
# downloaded on the machines this report is built on, and no installable package carries
# them, so every number here comes from EfficientNet-Lite0 {cite}`tan2019efficientnet`, whose
# ImageNet weights are distributed as a Python package. The `licnn` code runs VGG-16 as it
# is, given its weights file (`licnn saliency --model vgg16 --weights vgg16-397923af.pth`),
# and the tests run it with random weights.
#
# Both networks are plain feed-forward CNNs with ReLU-type activations, which is all LICNN
# needs. EfficientNet-Lite0 is deeper and narrower: its blocks re-use one ReLU6 module for
# two calls, so LICNN's *gate points* (the places where it reads and masks responses) are
# activation *calls*, not modules. The first three and the last two:

# %%
for point in model.gate_points[:3] + model.gate_points[-2:]:
    shape = f"{point.channels} x {point.height} x {point.width}"
    print(f"{point.index:2d}  {point.label:<20} {shape:>15}")
print(f"{len(model.gate_points)} gate points in {model.name}; VGG-16 has 13")

# %% [markdown]
# How good a classifier it is on the two natural image sets used throughout (top-1 and top-5
# accuracy, preprocessing as in the seed: shorter side 256, centre crop 224, ImageNet mean
# and standard deviation). The `imagenet-val-1300` images are 227 x 227 thumbnails that
# their source squashed to a square, so their aspect ratio is lost before our resize and
# crop: accuracies on them, here and in every later chapter, are not those of full-size
# validation images. The split `imagenet-samples-1000` was drawn from is not known.

# %%
accuracy = {}
for name in ["imagenet-val-1300", "imagenet-samples-1000"]:
    scores = evaluate(model, load_dataset(name), limit=accuracy_limit, progress=False)
    accuracy[name] = {k: scores[k] for k in ("top1", "top5", "n_images", "n_skipped")}
    print(
        f"{name:<22} top-1 {scores['top1']:.3f}  top-5 {scores['top5']:.3f}"
        f"  ({scores['n_images']} images, {scores['n_skipped']} skipped)"
    )

# %% [markdown]
# ## LICNN in one figure
#
# For each image: the 224 x 224 crop the network sees, the attention map of the predicted
# class, and the saliency map (the sum of the attention maps of the top five classes). Maps
# are shown over the crop, red for high values.

# %%
samples = load_dataset("imagenet-samples-1000")
by_file = {r.path.name: r for r in samples}
crops, x = crop_batch(model, [by_file[f].path for f in gallery])
result = LICNN(model).explain(x, top_k=5).cpu()
images, maps, titles = [], [], []
for i, crop in enumerate(crops):
    top1 = model.class_names[int(result.classes[i, 0])]
    images += [crop, crop, crop]
    maps += [None, result.attention[i, 0].numpy(), result.saliency[i].numpy()]
    titles += ["input crop", f"attention: {top1}", "saliency (top-5)"]
show_maps(
    images,
    maps,
    titles=titles,
    ncols=3,
    suptitle=f"LICNN on {model.name}, {len(crops)} images from imagenet-samples-1000 "
    "(a=0.1, b=0.9, k=7, softmax)",
)

# %% [markdown]
# ## What this reproduction covers, and what it changes
#
# | seed | this report | why |
# |---|---|---|
# | VGG-16, ImageNet weights | EfficientNet-Lite0, ImageNet weights | VGG-16 weights not obtainable here; VGG-16 runs with the same code given its weights |
# | 7,500 ILSVRC2012 validation images | 1,300 validation images with boxes and 1,000 class samples (2,300 natural images) | the images available offline; a full validation folder is accepted by the loader |
# | ImageNet-A (7,500 images, 200 classes) | a proxy of about 100 images built the same way (natural images of the 200 classes that EfficientNet-Lite2 gets wrong) | ImageNet-A cannot be downloaded here; the loader reads the official archive |
# | maps shown, not measured | localisation and salient-object benchmarks, ablations | the original LICNN paper measured its maps; so do we |
#
# Where the seed's text and its author's code differ, the text is the default and the code's
# choice is an option (`LICNNConfig.seed_code()`):
#
# | point | seed text (default) | seed code (option) |
# |---|---|---|
# | per-layer Sum-C maps | each L2-normalised before the sum | summed raw, one norm at the end |
# | resizing Sum-C maps | not stated (we use bilinear) | nearest neighbour, integer factors |
# | last activation layer | gated like the others | not gated |
# | back-propagated score | softmax probability | softmax probability |
#
# The seed back-propagates the softmax probability rather than the logit; both are options
# (`score="softmax"` or `"logit"`), and chapter 2 shows the difference.

# %%
save_results(
    "01_overview",
    {
        "model": model.name,
        "gate_points": len(model.gate_points),
        "accuracy": accuracy,
        "gallery": {
            f: [model.class_names[int(c)] for c in result.classes[i]] for i, f in enumerate(gallery)
        },
        "provenance": record,
    },
    results_dir,
)
