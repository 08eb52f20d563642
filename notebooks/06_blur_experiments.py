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
# # Blur experiments: does the background steer the prediction?
#
# {cite:t}`marcinek2020reproduction` (section 4.1) used LICNN saliency maps to separate an
# image into a salient object and a background, blurred one of the two, and asked how much
# VGG-16's accuracy changes. If a classifier looked only at the object, blurring the
# background would leave its accuracy as it is and blurring the object would destroy it.
# The seed reported three things, on 7500 natural ImageNet validation images and 7500
# ImageNet-A images {cite}`hendrycks2021natural`:
#
# - on natural images, top-5 accuracy falls as the background is blurred more strongly;
# - with the salient object blurred at the largest radius, about half of the original
#   accuracy remains;
# - on adversarial images, background blur does not lower accuracy, and top-1 accuracy rises
#   slightly at radius 10.
#
# This notebook repeats the experiment. For every image, the LICNN saliency map (the sum of
# the attention maps of the model's own five most likely classes: the network is told no
# class) is made once on the 224 x 224 centre crop the network sees. The seed author's code
# turns it into a binary mask, `map > (max - min) / 5`. The crop is then blurred with
# Pillow's Gaussian filter at radii 2, 5 and 10, either outside the mask (background blur)
# or inside it (object blur), and every variant is classified. The seed author's code also
# has a plain erase of the background (set to black), which we add as an eighth variant.
#
# What differs from the seed, and why:
#
# - **Model.** The seed used VGG-16 {cite}`simonyan2015very`; its ImageNet weights cannot be
#   obtained on the machines this report is built on, so we use EfficientNet-Lite0
#   {cite}`tan2019efficientnet`, for the saliency maps and the classification alike.
# - **Natural images.** Instead of 7500 random ILSVRC2012 validation images
#   {cite}`russakovsky2015imagenet` we use the two ImageNet sets available here: 1300
#   validation images (`imagenet-val-1300`, 227 x 227 thumbnails that their source squashed
#   to a square, so every accuracy on them is for squashed thumbnails, not full-size
#   images) and 1000 images, one per class, of unknown split (`imagenet-samples-1000`), each
#   on its own and pooled (2300 images).
# - **Adversarial images.** ImageNet-A is used when it is present. It is not on these
#   machines, so the book is built with the **ImageNet-A proxy**: the 100 images of the 200
#   ImageNet-A classes in the natural sets that a different classifier (EfficientNet-Lite2)
#   gets wrong at top-1, i.e. the adversarial filtering by which ImageNet-A was made, applied
#   to a small pool. It is not ImageNet-A: its images are ordinary validation photographs
#   and they are also part of the natural sets above. As for ImageNet-A, accuracy on it is
#   over the 200 classes only (the logits of the other 800 are dropped before ranking); the
#   saliency map is still made from the model's own top-5 over all 1000 classes.
# - **Statistics.** The seed shows accuracies without uncertainty. Each accuracy here has
#   a 95% Wilson interval {cite}`wilson1927probable`, and each variant is compared with the
#   original on the same images by McNemar's paired test {cite}`mcnemar1947note`.

# %% tags=["parameters"]
model_name = "efficientnet-lite0"
natural_sets = ["imagenet-val-1300", "imagenet-samples-1000"]
limit = 4
example_key = "n01531178_goldfinch.JPEG"
settings_check_images = 4
batch_size = 8
device = "auto"
results_dir = None

# %%
from licnn.blur_experiment import (
    describe_changes,
    format_table,
    load_adversarial,
    make_example,
    mask_shares,
    pool,
    run_blur_experiment,
)
from licnn.blur_figures import accuracy_figure, share_histogram, variant_figure
from licnn.config import LICNNConfig
from licnn.data import load_dataset
from licnn.models import load_model
from licnn.report import print_provenance, save_results

model = load_model(model_name, device=device)
natural = [load_dataset(name, limit=limit) for name in natural_sets]
adversarial, is_proxy = load_adversarial(limit=limit)
adversarial_label = "ImageNet-A proxy" if is_proxy else "ImageNet-A"
params = {
    "model_name": model_name,
    "natural_sets": natural_sets,
    "limit": limit,
    "example_key": example_key,
    "settings_check_images": settings_check_images,
    "batch_size": batch_size,
    "device": device,
}
record = print_provenance(model, [*natural_sets, adversarial.name], params)

# %% [markdown]
# ## One image, blurred six ways
#
# The seed's figures 13 and 14 show an image with its background, then its object, blurred
# at the three radii. The figure below does the same for one image of
# `imagenet-samples-1000`. The white line is the boundary of the salient mask, drawn on the
# crop and on the saliency map it comes from. The mask is generous: the threshold, a fifth of
# the map's range, keeps much of the bird's surroundings.

# %%
samples = load_dataset("imagenet-samples-1000")
example = make_example(model, next(r for r in samples if r.key == example_key))
print("true class:", model.class_names[example.record.label])
print("top-5 (the classes whose maps make the saliency map):")
print(", ".join(model.class_names[c] for c in example.classes))
print(f"mask: {example.mask.mean():.1%} of the crop")

# %%
variant_figure(
    example,
    f"{model.name}: {example_key} (224 x 224 crop), background (top) or salient object (bottom)"
    "\nblurred; mask: LICNN top-5 saliency map > (max - min) / 5",
)

# %% [markdown]
# ## Running the experiment
#
# Each image's saliency map, mask and the logits of its eight variants are stored on disk
# as they are computed (`licnn.blur_experiment.run_blur_experiment`), so an interrupted
# run resumes where it stopped and the next notebook, on background influence, reads the
# same results back without computing anything. The ImageNet-A proxy's images are among the
# natural ones, so their results are read from the same entries; only the scoring differs.

# %%
runs = {d.name: run_blur_experiment(model, d, batch_size=batch_size) for d in natural}
natural_results = pool(list(runs.values()), " + ".join(natural_sets))
adversarial_results = run_blur_experiment(model, adversarial, batch_size=batch_size)
for res in [*runs.values(), adversarial_results]:
    print(
        f"{res.dataset}: {len(res)} images ({len(res.skipped)} unreadable), "
        f"accuracy over {res.n_classes} classes"
    )
natural_label = f"natural images ({' + '.join(natural_sets)}, n={len(natural_results)})"
adv_title = f"{adversarial_label} ({adversarial.name}, n={len(adversarial_results)}, 200 classes)"

# %%
# NBVAL_IGNORE_OUTPUT
computed = sum(r.n_computed for r in [*runs.values(), adversarial_results])
seconds = sum(r.seconds for r in [*runs.values(), adversarial_results])
print(f"computed {computed} images in {seconds:.0f} s; the others came from the cache")

# %% [markdown]
# ## How much of the image is "object"?
#
# Every conclusion below rests on the mask separating object from background. The
# seed's threshold is relative to each map's own range, so a map with one sharp peak gives
# a small mask and a flat map a large one. The share of the crop inside the mask:

# %%
share_summaries = {
    "natural": natural_results.summary()["mask_share"],
    adversarial_label: adversarial_results.summary()["mask_share"],
}
for name, s in share_summaries.items():
    print(
        f"{name}: mean {s['mean']:.3f} [{s['ci'][0]:.3f}, {s['ci'][1]:.3f}], "
        f"median {s['median']:.3f}, quartiles {s['quartiles'][0]:.3f}-{s['quartiles'][1]:.3f}, "
        f"range {s['min']:.3f}-{s['max']:.3f}"
    )

# %%
share_histogram(
    {"natural": natural_results.mask_share, adversarial_label: adversarial_results.mask_share},
    f"{model.name}: share of the crop in the salient mask\n{natural_label};\n{adv_title}",
)

# %% [markdown]
# The masks are large: on average about three quarters of the crop counts as "object", so
# background blur changes only the outer part of most images, and object blur changes most
# of it. This depends on the LICNN settings. The report follows the seed's text (each
# layer's map normalised before the sum, every layer gated, bilinear resizing); the seed
# author's code differs in these three points (`LICNNConfig.seed_code()`). For the first
# images of `imagenet-val-1300`, the mask share under both settings:

# %%
check = runs[natural_sets[0]].select(range(min(settings_check_images, len(natural[0]))))
code_shares = mask_shares(model, check.records, LICNNConfig.seed_code(), batch_size)
print(f"{len(check)} images of {natural_sets[0]}: mean share of the crop in the mask")
print(f"  seed text settings (used here): {check.mask_share.mean():.3f}")
print(f"  seed code settings:             {code_shares.mean():.3f}")

# %% [markdown]
# With the code's settings, EfficientNet-Lite0's saliency map is positive everywhere and
# its minimum lies well above zero, so a threshold at a fifth of the range, not offset by
# the minimum, falls below nearly every pixel: there would be no background left to blur.
# The seed's text settings give the tighter masks, and the experiment uses them.

# %% [markdown]
# ## Accuracy against blur radius
#
# The seed's figures 15 and 16 plot accuracy against the blur radius. Here each panel has a
# line for background blur and one for object blur, both starting from the original image
# at radius 0, with 95% Wilson intervals shaded; the square on the right is the image with
# its background erased. Natural images first, then the adversarial set.

# %%
natural_summary = natural_results.summary()
adversarial_summary = adversarial_results.summary()
accuracy_figure(natural_summary, f"{model.name} on {natural_label}; 95% Wilson intervals")

# %%
accuracy_figure(adversarial_summary, f"{model.name} on the {adv_title}; 95% Wilson intervals")

# %% [markdown]
# ## Accuracy per variant
#
# Accuracy with its 95% interval and the p-value of McNemar's test against the original
# (exact binomial test below 25 discordant images). The paired test is the right one here:
# the variants are the same images, so the intervals of two variants can overlap although
# one is reliably better on the same images.

# %%
tables = {natural_label: natural_summary}
for name, res in runs.items():
    tables[f"{name} (n={len(res)})"] = res.summary()
tables[adv_title] = adversarial_summary
for name, summary in tables.items():
    print(name)
    print(format_table(summary))
    print()

# %% [markdown]
# The same comparison in words, at the largest radius:

# %%
print("Natural images")
print(describe_changes(natural_summary))
print(f"\n{adversarial_label}")
print(describe_changes(adversarial_summary))

# %% [markdown]
# ## Discussion
#
# **Natural images: background blur lowers accuracy, a little.** Top-1 and top-5 accuracy
# both fall as the background is blurred more strongly, with the largest step already at
# radius 2, and both natural sets show the fall. This is the direction the
# seed reported for VGG-16 (its figure 15a). The fall is a few points, small enough that the
# intervals of the blurred and original images overlap; McNemar's test, which uses the
# pairing of each image with its blurred self, shows that it is nevertheless systematic.
# On these images, erasing the background to black costs more than blurring it. How much of the fall is
# the loss of contextual evidence, and how much the network's reaction to an image that no
# longer looks like a photograph (a sharp object pasted on a smooth surround), this
# experiment cannot say: both predict the same direction.
#
# **Object blur leaves far less than half.** The seed found that blurring the salient object
# at radius 10 kept about half of VGG-16's accuracy and read this as more evidence for the
# background's influence. Here almost nothing is left. The masks explain most of the
# difference: with EfficientNet-Lite0's LICNN maps and the seed's threshold, three quarters
# of an average crop count as object, so "object blur" blurs most of the picture, context
# included. The seed's masks were presumably tighter (its examples show compact regions);
# we cannot check this without VGG-16's weights. The finding is therefore not a
# contradiction of the seed so much as a sign that the experiment's outcome depends on how
# much of the image the saliency map and its threshold call the object.
#
# **Adversarial images: no rise.** On the ImageNet-A proxy, background blur lowers top-1 and
# top-5 accuracy by a few points, and the changes are well within chance for 100 images
# (McNemar p well above 0.05). The seed saw no fall on ImageNet-A and a slight top-1 rise at
# radius 10, and was itself cautious about that rise. We see neither a rise nor a
# detectable fall, which is compatible with the seed's "no decrease" but adds nothing to
# its rise. Two cautions weigh more than the numbers. First, the proxy is much less
# adversarial for EfficientNet-Lite0 than ImageNet-A is for common classifiers: its images
# were chosen because EfficientNet-Lite2 got them wrong over 1000 classes, and scored over
# the 200 ImageNet-A classes Lite0 gets most of them right at top-1 (the table above), far
# from the single-digit accuracies that ImageNet-A was built to produce. Second, its 100
# images are a subset of the natural images, not new photographs. The adversarial half of
# the seed's experiment is therefore only approximated here, and would have to be rerun on
# ImageNet-A itself (the runner uses it automatically when it is present).
#
# In short: the seed's main natural-image finding, that blurring the background lowers
# accuracy, is reproduced in direction with a different model, with intervals and paired
# tests; the object-blur and adversarial findings are not, for reasons (mask size, the
# proxy) that are stated above and that a rerun with VGG-16 and ImageNet-A could settle.
#
# Both natural-image findings rest on one mask whose size nobody chose. Chapter 10 repeats
# the experiment with masks of fixed area and with masks that know less than the LICNN
# map (a centred disc, a random blob, another image's map), on a second model too, and
# re-judges both findings there.

# %%
results = {
    "model": model.name,
    "natural": {
        **natural_summary,
        "subsets": {name: res.summary() for name, res in runs.items()},
    },
    "adversarial": {**adversarial_summary, "is_proxy": is_proxy},
    "example": example_key,
    "provenance": record,
}
save_results("06_blur_experiments", results, results_dir)
