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
# # Blur experiments under controls: the map or the mask's size?
#
# Chapter 6 repeated the seed's blur experiment with the seed code's mask, the LICNN
# saliency map thresholded at a fifth of its range. Two of its findings rest on that mask.
# Object blur left almost nothing of the accuracy (the seed reported about half), and
# background blur cost a few points of top-1 accuracy. But the mask covers about three
# quarters of the crop on average, so object blur blurs most of the picture, and
# background blur changes only a thin frame; and a blurred frame around a sharp centre is
# itself an unusual image. Neither finding says whether the LICNN map found *what the
# classifier uses*. This chapter asks that with controls a referee would ask for:
#
# - **masks of fixed area**: for each image, the top share q of a map's pixels (ties broken
#   in raster order), for q = 0.1, 0.2, 0.3, 0.5, 0.76 and 0.9 (0.76 is about the seed
#   threshold's mean area), and the image's own seed-threshold area;
# - **mask sources that know less**: Grad-CAM {cite}`selvaraju2017gradcam` of the predicted
#   class (a second map of what the classifier uses), a centred disc of the same area (the
#   photographer's centring, knowing nothing of the image), the LICNN map of another image of
#   the same set (a map's shape, the wrong content: a seeded pairing), a seeded random blob
#   of the same area (a neutral perturbation), and on `imagenet-val-1300` the union of the
#   ground-truth boxes at their own area (the "true object");
# - **paired comparisons at equal area**: every control is compared with the LICNN mask on
#   the same images (95% percentile-bootstrap interval of the difference over images, 2000
#   resamples, and the exact McNemar test, its p-value Holm-adjusted over the family of one
#   blur variant and one metric: every control at every area, as one table shows them);
#   accuracies have 95% Wilson intervals.
#
# If the LICNN map finds what the classifier uses, then at the same area its object blur
# should hurt *more*, and its background blur *less*, than the centred disc's or the
# blob's. The same analysis is repeated on the ImageNet-A proxy (chapter 6 explains what it
# is and is not) and, to tell Lite0's findings from LICNN's, with a second model,
# EfficientNet-Lite1 {cite}`tan2019efficientnet`.
#
# Scale. Every image costs about a hundred classifications here (six sources, seven areas,
# two blur kinds, two radii), so the book runs this chapter on a seeded random subset of
# each natural set (the sample sizes are printed with every result), not on all 2300
# images as chapter 6 does. The images of `imagenet-val-1300` are 227 x 227 thumbnails that
# their source squashed to a square: every accuracy on them is for squashed thumbnails.

# %% tags=["parameters"]
model_name = "efficientnet-lite0"
natural_sets = ["imagenet-val-1300", "imagenet-samples-1000"]
area_images = 4
adversarial_limit = 4
second_model = "efficientnet-lite1"
second_model_images = 4
criterion_k = 1  # the book uses 5, as chapter 7
batch_size = 8
device = "auto"
results_dir = None

# %%
import numpy as np
from IPython.display import Markdown

from licnn import load_model
from licnn.data import load_dataset
from licnn.experiments.background import box_kinds
from licnn.experiments.blur import mask_area
from licnn.experiments.blur.maps import image_maps
from licnn.experiments.blur.protocol import item_name, load_adversarial
from licnn.imaging.masks import threshold_mask
from licnn.report import print_provenance, save_results
from licnn.report.blur_figures import mask_area_figure, mask_sources_figure

model = load_model(model_name, device=device)
natural = [load_dataset(name) for name in natural_sets]
adversarial, is_proxy = load_adversarial(limit=adversarial_limit)
adversarial_label = "ImageNet-A proxy" if is_proxy else "ImageNet-A"
params = {
    "model_name": model_name,
    "natural_sets": natural_sets,
    "area_images": area_images,
    "adversarial_limit": adversarial_limit,
    "second_model": second_model,
    "second_model_images": second_model_images,
    "criterion_k": criterion_k,
    "batch_size": batch_size,
    "device": device,
}
record = print_provenance(model, [*natural_sets, adversarial.name], params)

# %% [markdown]
# ## Running the experiment
#
# Each image's LICNN saliency map, Grad-CAM map and logits are made once and cached
# (`licnn.experiments.blur.maps`, shared with chapter 6's runner), and so are the logits of
# every blurred variant, per image, so an interrupted run resumes. Radius 10 is used for
# every source at every area; radius 5 for the LICNN mask and the centred disc at the areas
# 0.3 and 0.76 and the seed threshold's.

# %%
grid_r10 = mask_area.Grid(radii={source: (10,) for source in mask_area.SOURCES})
grid_r5 = mask_area.Grid(areas=(0.3, 0.76), radii={"licnn": (5,), "disc": (5,)})
runs = {
    d.name: mask_area.run_mask_area(model, d, grid_r10, n_images=area_images, batch_size=batch_size)
    for d in natural
}
runs_r5 = {
    d.name: mask_area.run_mask_area(model, d, grid_r5, n_images=area_images, batch_size=batch_size)
    for d in natural
}
pooled_name = " + ".join(natural_sets)
natural_r10 = mask_area.pool_mask_area(list(runs.values()), pooled_name)
natural_r5 = mask_area.pool_mask_area(list(runs_r5.values()), pooled_name)
adversarial_r10 = mask_area.run_mask_area(model, adversarial, grid_r10, batch_size=batch_size)
summaries = {
    "natural": mask_area.summarise_mask_area(natural_r10),
    "natural_r5": mask_area.summarise_mask_area(natural_r5),
    "adversarial": mask_area.summarise_mask_area(adversarial_r10),
    **{name: mask_area.summarise_mask_area(res) for name, res in runs.items()},
}
val = runs[natural_sets[0]]
natural_label = (
    f"natural images ({', '.join(f'{n}: {len(r)}' for n, r in runs.items())}; "
    f"n={len(natural_r10)}, seeded random subsets)"
)
adv_title = f"{adversarial_label} ({adversarial.name}, n={len(adversarial_r10)}, 200 classes)"
print(natural_label)
print(adv_title)

# %%
# NBVAL_IGNORE_OUTPUT
every_run = [*runs.values(), *runs_r5.values(), adversarial_r10]
computed = sum(r.n_computed for r in every_run)
seconds = sum(r.seconds for r in every_run)
print(f"computed {computed} image entries in {seconds:.0f} s; the others came from the cache")

# %% [markdown]
# ## One image, six masks of the same area
#
# The first image of the `imagenet-val-1300` subset with each source's mask of 30% of the
# crop outlined (top; the boxes at their own area) and the inside of that mask blurred at
# radius 10 (bottom). The shuffled mask is the LICNN map of the next image in the subset.

# %%
example = mask_area.example_masks(model, val.records[0], val.records[1], grid_r10)
print(f"{example.record.key}: {model.class_names[example.record.label]}")
mask_sources_figure(
    example,
    "q0.3",
    f"{model.name}: {example.record.key} ({natural_sets[0]}, 224 x 224 crop), "
    "masks of 30% of the crop",
)

# %% [markdown]
# ## Accuracy against mask area
#
# One panel per blur kind and accuracy; a line per mask source through the fixed areas
# (shaded: 95% Wilson intervals); a star for each source at the seed threshold's area (the
# LICNN star is chapter 6's experiment on these images); a square for the ground-truth
# boxes at their own area; the dashed line is the unblurred image.

# %%
mask_area_figure(
    summaries["natural"],
    f"{model.name} on {natural_label}\nblur radius 10; 95% Wilson intervals",
)

# %% [markdown]
# The numbers the verdicts below rest on: object-blur top-5 accuracy as a share of the
# original's with masks of 30% of the crop, background-blur top-1 change with masks of
# 76%, and both at the seed threshold's area; "minus LICNN" is a control's paired
# difference from the LICNN mask on the same images (95% bootstrap interval, exact McNemar
# p and its Holm-adjusted value).

# %%
key_natural = mask_area.key_numbers(summaries["natural"])
print(mask_area.key_lines(key_natural))

# %% [markdown]
# Object blur, top-5 accuracy, per source at three areas:

# %%
Markdown(mask_area.control_table(summaries["natural"], "object_r10", "top5"))

# %% [markdown]
# Background blur, top-1 accuracy:

# %%
Markdown(mask_area.control_table(summaries["natural"], "background_r10", "top1"))

# %% [markdown]
# At radius 5 (LICNN mask and centred disc only), object blur top-5 and background blur
# top-1:

# %%
Markdown(mask_area.control_table(summaries["natural_r5"], "object_r5", "top5"))

# %%
Markdown(mask_area.control_table(summaries["natural_r5"], "background_r5", "top1"))

# %% [markdown]
# ## The adversarial set
#
# The same curves on the adversarial set. With 100 images, the interval of a paired
# difference is the honest summary: its width is the smallest effect this set can detect.

# %%
mask_area_figure(
    summaries["adversarial"],
    f"{model.name} on the {adv_title}\nblur radius 10; 95% Wilson intervals",
)

# %%
key_adversarial = mask_area.key_numbers(summaries["adversarial"])
print(mask_area.key_lines(key_adversarial))

# %% [markdown]
# ## A chance baseline for chapter 7's rescues
#
# Chapter 7 counts the images that background blur "rescues" (wrong as they are, right
# once the background is blurred) and "loses" (the reverse). Some of both happen with any
# perturbation: a prediction near a decision boundary can flip either way. The table
# counts them, on these images, for background blur with the LICNN seed-threshold mask
# (chapter 7's variant), and with a random blob, a centred disc and Grad-CAM of the same
# area, image by image; and with the fixed 0.76 masks.

# %%
chance_variants = {
    mask_area.variant_name(source, point, "background", 10): f"{label}, {where}"
    for point, where in ((mask_area.SEED, "seed threshold's area"), ("q0.76", "area 0.76"))
    for source, label in mask_area.SOURCE_LABELS.items()
    if source in ("licnn", "blob", "disc", "grad_cam")
}
chance = mask_area.rescue_table(natural_r10, list(chance_variants))
Markdown(mask_area.rescue_markdown(chance, chance_variants))

# %% [markdown]
# ## The kind rule with the ground-truth boxes
#
# Chapter 7 sorts rescued images into the seed's two kinds by where the wrong class's LICNN
# attention lies: outside the salient mask (kind 1, "background as a competing category")
# or on it (kind 2). The mask covers three quarters of the crop, so "outside" is a thin
# frame and kind 2 is the likely answer whatever the image. On `imagenet-val-1300` the
# ground-truth boxes give an object that does not come from the map. For the images the
# LICNN background blur rescues at top-`criterion_k` among this chapter's
# `imagenet-val-1300` images, both rules on the same attention map:

# %%
rescued_variant = mask_area.variant_name("licnn", mask_area.SEED, "background", 10)
rows = mask_area.rescued_rows(val, rescued_variant, k=criterion_k)
records = [val.records[i] for i in rows]
maps = image_maps(model, records, [item_name(r) for r in records], batch_size=batch_size)
seed_masks = [threshold_mask(maps.entries[item_name(r)]["saliency"]) for r in records]
kinds = box_kinds(model, records, mask_area.predicted(val)[rows], masks=seed_masks)
agree = sum(1 for k in kinds if k["kind"] == k["mask_kind"])
by_boxes = {kind: sum(1 for k in kinds if k["kind"] == kind) for kind in (1, 2)}
by_mask = {kind: sum(1 for k in kinds if k["mask_kind"] == kind) for kind in (1, 2)}
print(f"{len(kinds)} rescued images with boxes (top-{criterion_k}, r=10)")
print(f"  kind by the salient mask:        1: {by_mask[1]}, 2: {by_mask[2]}")
print(f"  kind by the ground-truth boxes:  1: {by_boxes[1]}, 2: {by_boxes[2]}")
print(f"  the two rules agree on {agree} of {len(kinds)}")
if kinds:
    print(
        f"  mean area: salient mask {np.mean([k['mask_area'] for k in kinds]):.2f}, "
        f"boxes {np.mean([k['box_area'] for k in kinds]):.2f}"
    )

# %% [markdown]
# ## A second model: EfficientNet-Lite1
#
# Which findings are Lite0's and which LICNN's? The curves for the LICNN mask, the centred
# disc and the shuffled maps at radius 10, with EfficientNet-Lite1 (its own LICNN maps at
# its own input size, 240 px) on a seeded random subset of `imagenet-val-1300`, beside
# Lite0 on the same images. Lite2 is not used: it chose the ImageNet-A proxy's images.

# %%
lite1 = load_model(second_model, device=device)
grid_second = mask_area.Grid(radii={"licnn": (10,), "disc": (10,), "shuffled": (10,)})
second_run = mask_area.run_mask_area(
    lite1, natural[0], grid_second, n_images=second_model_images, batch_size=batch_size
)
# Lite0 on the same images, from its run above (the same seeded order, so the same pairs
# for the shuffled masks but for the last image's)
same_rows = [val.items.index(item) for item in second_run.items if item in val.items]
second = {
    lite1.name: mask_area.summarise_mask_area(second_run),
    model.name: mask_area.summarise_mask_area(val.select(same_rows)),
}
for name, summary in second.items():
    print(f"{name} on {summary['dataset']}:")
    print(mask_area.key_lines(mask_area.key_numbers(summary)))

# %%
# NBVAL_IGNORE_OUTPUT
print(f"{lite1.name}: computed {second_run.n_computed} images in {second_run.seconds:.0f} s")

# %%
mask_area_figure(
    second[lite1.name],
    f"{lite1.name} ({lite1.input_size} px) on {second_run.dataset}, n={len(second_run)} "
    "(seeded subset)\nblur radius 10; 95% Wilson intervals",
)

# %% [markdown]
# ## Verdicts
#
# The numbers below are those of the book's run (EfficientNet-Lite0, 300 seeded images of
# each natural set, radius 10 unless stated); the tables above give every interval.
#
# **Object blur keeps about half of the accuracy only at a smaller mask than the seed's.**
# With the top 30% of the LICNN map blurred, top-5 accuracy keeps 46% of its original value;
# its interval ends just below half, so by the rule stated in advance (the interval contains
# half the unblurred accuracy) the seed's claim is not reproduced at this area, although
# "about half" in words fits it. With 20% blurred, about three fifths remain: half lies
# between masks of a fifth and of three tenths of the crop. With the seed threshold's masks
# (three quarters of the crop on average) every source but the random blob leaves less than
# a fifth of it (the blob a quarter), and the
# centred disc does as badly as LICNN's mask: at that area, chapter 6's near-zero result is
# a property of the mask's size, not of LICNN.
#
# **LICNN's region holds what the classifier uses.** At every area up to one half, blurring
# inside LICNN's mask costs reliably more top-5 accuracy than blurring inside another
# image's LICNN map or a random blob of the same area, and from a fifth of the crop to one
# half more than blurring inside a centred disc (paired differences above zero, Holm-adjusted
# McNemar p below 0.05; at a tenth of the crop the disc's interval is above zero but its
# adjusted p is 0.27). Grad-CAM's mask costs a few points less than LICNN's, with intervals
# above zero at most areas, but after Holm adjustment that difference is significant only at
# a fifth of the crop and at the seed threshold's area: the two maps are about as good at
# finding what the classifier uses. This is the evidence the seed's experiment
# needs and did not have: the map is not just "the middle of the picture". The
# ground-truth boxes of `imagenet-val-1300` (about three fifths of the crop on average)
# fall close to the LICNN curve at their own area: blurring the annotated object costs
# about as much as blurring LICNN's region of that size (their area is not matched, so
# this is a comparison by eye).
#
# **Background blur costs a few points, less than with any mask that knows nothing of the
# image.** Blurring outside LICNN's
# 76% mask lowers top-1 accuracy by about five points (interval below zero): the seed's
# natural-image finding holds at fixed area. The same blur outside a centred disc costs
# more than twice as much, and outside a random blob more still. The controls blur parts of
# the object too, so they bound the fall from above rather than isolate the effect of an
# unnatural blurred surround; what they show is that the fall is smallest with LICNN's
# mask, and Grad-CAM's mask gives the same fall. How much of those five points is lost
# context and how much the look of a blurred frame remains open.
#
# **Chapter 7's rescues are at the level of chance.** Background blur with the LICNN mask
# rescues about as many images as a random blob of the same area does, while it loses far
# fewer: the rare rescues are what any perturbation of that size produces near a decision
# boundary, not evidence that the background misled the network. With the ground-truth
# boxes as the object, the kind rule no longer depends on the 76% masks. Among this
# chapter's images only four rescued ones have boxes, too few to count; on one of them the
# boxes' rule finds the first kind (the wrong class's evidence outside the annotated
# object) where the mask rule, whose mask covers three quarters of the crop, cannot.
#
# **The adversarial set cannot tell the sources apart.** On the 100 images of the proxy the
# curves have the same order, but most paired differences from LICNN have intervals
# fifteen to twenty points wide that include zero, and after Holm adjustment only the random
# blob (and, for background blur at half the crop, the centred disc) differs from LICNN's
# mask: this set can only detect large effects.
#
# **A second model.** EfficientNet-Lite1 (200 images of `imagenet-val-1300`) shows the same
# order: at 30% area, blurring inside LICNN's region leaves about two fifths of top-5
# accuracy, against about half for the centred disc (a paired difference of about eleven
# points, interval above zero, Holm-adjusted p 0.03), and background blur outside the 76%
# mask costs about four points of top-1 with LICNN's mask against about eleven with the disc
# (adjusted p 0.03). The finding that
# LICNN's region holds the classifier's evidence is therefore not Lite0's alone. (Lite0 on
# the same 200 images shows the same direction with a wider interval, one that includes
# zero: the price of the smaller sample.)

# %%
results = {
    "model": model.name,
    "mask_area": {
        model.name: {
            "natural": summaries["natural"],
            "natural_r5": summaries["natural_r5"],
            "adversarial": {**summaries["adversarial"], "is_proxy": is_proxy},
            "subsets": {name: summaries[name] for name in runs},
            "key": {"natural": key_natural, "adversarial": key_adversarial},
        },
        lite1.name: {
            "natural": second[lite1.name],
            "key": {"natural": mask_area.key_numbers(second[lite1.name])},
            "lite0_same_images": second[model.name],
        },
        "grids": {
            "r10": grid_r10.as_dict(),
            "r5": grid_r5.as_dict(),
            "second_model": grid_second.as_dict(),
        },
    },
    "chance_baseline": {
        "rescues": chance,
        "labels": chance_variants,
        "criterion_k": criterion_k,
        "box_kinds": kinds,
        "box_kinds_agree": agree,
    },
    "timings": {
        "lite0": {"images_computed": computed, "seconds": seconds},
        "second_model": {"images_computed": second_run.n_computed, "seconds": second_run.seconds},
    },
    "provenance": record,
}
save_results("10_blur_controls", results, results_dir)
