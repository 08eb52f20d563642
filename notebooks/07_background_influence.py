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
# # Background influence: images that blurring the background puts right
#
# In section 4.2 of {cite:t}`marcinek2020reproduction` the author looked at the ImageNet-A
# images {cite}`hendrycks2021natural` that VGG-16 got wrong as they were and right once the
# background was blurred (mostly at radius 10), and sorted them by eye into two kinds of
# background influence:
#
# 1. **the background as a competing category**: the background is itself an object of
#    another class, larger than the true object, and the network names it (a dog's head in
#    front of a taxi, classified as a taxi);
# 2. **the background suggests another class**: the setting is one in which another class
#    is usually photographed, or the true object's setting is unusual, and the network
#    follows the setting (an ant on a stem, classified as a nail).
#
# The seed gives no rule and no counts, only "dozens of cases" of each. This notebook finds
# those images in the results of the blur experiment (the previous notebook; the same cached
# results are read back here, nothing is recomputed), and sorts them by a rule stated in
# advance and applied in code:
#
# > Take the LICNN attention map of the class the network predicted (wrongly) for the
# > original image, made on the original crop, and the salient mask the background blur
# > used. If **more than half** of that map's positive energy lies **outside** the mask,
# > the wrong class was found in the background: **kind 1**. Otherwise its evidence
# > overlaps the salient object: **kind 2**.
#
# (`licnn.background.background_kind`; the share outside is
# `licnn.background.outside_share`.) The rule is our operationalisation, not the seed's: the
# seed sorted by looking. It has a weakness worth stating in advance: the salient mask is
# made from the top-5 saliency map, which includes the wrong top-1 class's own map, so a
# wrong class with strong evidence tends to pull the mask over its evidence. Kind 1 is
# therefore the conservative label. Two diagnostics come with every image: the share of the
# wrong class's energy outside the *true* class's own salient region (the same threshold
# rule applied to the true class's attention map, which does not contain the wrong class),
# and the Spearman rank correlation between the two classes' maps, with, as a control, the
# correlation between the true class's map and that of the class the network finds least
# likely. If LICNN's maps hardly change with the class, no rule built on them can separate
# a competing object from a misleading context, and these numbers show it.
#
# "Wrong" and "right" follow the seed's examples, several of which have the true class in
# the blurred image's top 5 but not first (its figures 18, 27 and 28): an image is
# **rescued** when its true class is not among the five highest-ranked classes for the
# original and is among them for the blurred image (top-5). We also count top-1 rescues.
# Model, data and the 200-class scoring of the ImageNet-A proxy are as in the previous
# notebook: EfficientNet-Lite0 instead of VGG-16, 2300 natural ImageNet images (those of
# `imagenet-val-1300` are 227 x 227 thumbnails their source squashed to a square, so the
# predictions counted here are on squashed thumbnails), and the 100-image ImageNet-A proxy
# in place of ImageNet-A, which is not available here.

# %% tags=["parameters"]
model_name = "efficientnet-lite0"
natural_sets = ["imagenet-val-1300", "imagenet-samples-1000"]
limit = 5
batch_size = 8
radius = 10
other_radius = 5
criterion_k = 1  # the book uses 5 (see the text); top-1 finds a rescue among the first images
threshold = 0.5
examples_per_set = 6
device = "auto"
results_dir = None

# %%
import numpy as np
from IPython.display import display

from licnn.background import (
    KINDS,
    analyse_influence,
    influence_record,
    kind_counts,
    pick_examples,
    rescue_counts,
)
from licnn.blur_experiment import load_adversarial, pool, run_blur_experiment
from licnn.blur_figures import influence_figure, share_histogram
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
    "batch_size": batch_size,
    "radius": radius,
    "other_radius": other_radius,
    "criterion_k": criterion_k,
    "threshold": threshold,
    "examples_per_set": examples_per_set,
    "device": device,
}
record = print_provenance(model, [*natural_sets, adversarial.name], params)

# %% [markdown]
# The blur experiment's results, read from the cache the previous notebook filled (the
# same model, LICNN settings and radii give the same cache entries):

# %%
runs = {d.name: run_blur_experiment(model, d, batch_size=batch_size) for d in natural}
sets = {
    "natural": pool(list(runs.values()), " + ".join(natural_sets)),
    adversarial_label: run_blur_experiment(model, adversarial, batch_size=batch_size),
}
for name, res in sets.items():
    print(f"{name}: {res.dataset}, {len(res)} images, accuracy over {res.n_classes} classes")

# %%
# NBVAL_IGNORE_OUTPUT
computed = sum(r.n_computed for r in [*runs.values(), sets[adversarial_label]])
print(f"images computed afresh: {computed} (0 when the blur experiment ran first)")

# %% [markdown]
# ## How many images does background blur rescue, and how many does it lose?
#
# Rescued: wrong for the original image, right with the background blurred; lost: the
# reverse. Both directions matter: a handful of rescues means little if as many images are
# lost. Counts at the two largest radii, for top-1 and top-5:

# %%
counts = {
    name: rescue_counts(res.hits(), res.variants, (other_radius, radius))
    for name, res in [*sets.items(), *runs.items()]
}
for name, by_radius in counts.items():
    print(name)
    for r, by_metric in by_radius.items():
        cells = [
            f"{metric}: {c['rescued']} rescued, {c['lost']} lost of {c['n']}"
            for metric, c in by_metric.items()
        ]
        print(f"  background {r}: " + "; ".join(cells))

# %% [markdown]
# ## Sorting the rescued images into the two kinds
#
# For every image rescued at radius 10 the attention map of the wrong class is computed on
# the original crop and compared with the mask. Top-5 rescues are the main set; top-1
# rescues are sorted too.

# %%
variant = f"background_r{radius}"
influence = {
    name: {
        k: analyse_influence(res, model, variant, k=k, threshold=threshold)
        for k in (criterion_k, 1 if criterion_k == 5 else 5)
    }
    for name, res in sets.items()
}
for name, by_k in influence.items():
    for k, found in by_k.items():
        n = kind_counts(found)
        print(
            f"{name}, top-{k} rescues at r={radius}: {len(found)} images; "
            f"kind 1 ({KINDS[1]}): {n['1']}, kind 2 ({KINDS[2]}): {n['2']}"
        )

# %% [markdown]
# The natural images come from two sets; the same counts per set (top-5 rescues):

# %%
for dataset in natural_sets:
    found = [
        item
        for item in influence["natural"][criterion_k]
        if sets["natural"].records[item.index].dataset == dataset
    ]
    n = kind_counts(found)
    print(f"{dataset}: {len(found)} rescued; kind 1: {n['1']}, kind 2: {n['2']}")

# %% [markdown]
# How decisive is the rule, and could another map-based rule do better? For the main set
# (rescues at radius 10), the wrong class's share of positive map energy outside the blur
# mask (the rule) and outside the true class's own salient region (the diagnostic); the
# dashed line is the threshold. Below, the rank correlation of the wrong and true classes'
# maps, and of the true and the least likely classes' maps (the control).

# %%
main = [item for by_k in influence.values() for item in by_k[criterion_k]]
if main:
    display(
        share_histogram(
            {
                "outside the blur mask": [item.outside_share for item in main],
                "outside the true class's region": [item.outside_true_share for item in main],
            },
            f"{model.name}: top-{criterion_k} rescues at background blur r={radius} "
            f"(natural and {adversarial_label}, n={len(main)})\nwhere the wrong class's "
            "LICNN attention lies",
            xlabel="share of the wrong class's positive attention energy",
            threshold=threshold,
        )
    )
    for label, values in (
        ("wrong and true classes", [item.class_map_correlation for item in main]),
        ("true and least likely classes (control)", [item.control_correlation for item in main]),
    ):
        values = np.array(values)
        print(
            f"Spearman correlation of the maps of the {label}: median {np.median(values):.2f}, "
            f"range {values.min():.2f} to {values.max():.2f} (n={values.size})"
        )
else:
    print("no rescued image in this run")

# %% [markdown]
# ## Every rescued image
#
# All rescued images, top-5 and top-1 rescues, each list sorted by how much the true class's
# probability rose when the background was blurred (largest first): the file, the true
# class, the wrong top-1 class of the original, the share of that class's map outside the
# blur mask and outside the true class's region, the rank correlation of the two maps
# (and of the control pair), the kind, and the rise in probability.

# %%
names = model.class_names
for name, by_k in influence.items():
    for k, found in by_k.items():
        print(f"{name}: top-{k} rescues at r={radius} ({len(found)})")
        for item in found:
            key = sets[name].records[item.index].key.split("/")[-1]
            print(
                f"  {key[:30]:<30} {names[item.label][:18]:<18} <- "
                f"{names[item.wrong_class][:18]:<18} out {item.outside_share:.2f} / "
                f"{item.outside_true_share:.2f}  rho {item.class_map_correlation:.2f} "
                f"({item.control_correlation:.2f})  "
                f"kind {item.kind}  {item.label_gain:+.2f}"
            )

# %% [markdown]
# ## Examples
#
# As in the seed's figures 17, 18 and 26-28: each row is one rescued image with the
# salient mask outlined (white), its top-5 saliency map, the attention maps of the class the
# network wrongly chose and of the true class, the image with its background blurred, and
# the top-5 classes before and after, the true class in capitals between asterisks.
# Probabilities are softmax values over the classes the set is scored on (200 for the
# proxy). Shown per set: up to three from the top-5 rescues, then
# top-1 rescues not already shown; within each, the kinds in turn while both have images
# left, largest rise of the true class's probability first.

# %%
other_k = 1 if criterion_k == 5 else 5
examples = {}
for name, by_k in influence.items():
    first = pick_examples(by_k[criterion_k], examples_per_set // 2)
    rest = pick_examples(by_k[other_k], examples_per_set - len(first), [i.key for i in first])
    examples[name] = first + rest
for name, chosen in examples.items():
    print(f"{name}: {len(chosen)} examples")

# %% tags=["full-width"]
if examples["natural"]:
    display(
        influence_figure(
            sets["natural"],
            examples["natural"],
            model,
            f"{model.name}: natural images ({' + '.join(natural_sets)}) rescued by background "
            f"blur at r={radius}; {len(examples['natural'])} examples",
            radius=radius,
        )
    )

# %% tags=["full-width"]
if examples[adversarial_label]:
    display(
        influence_figure(
            sets[adversarial_label],
            examples[adversarial_label],
            model,
            f"{model.name}: {adversarial_label} ({adversarial.name}, scored over 200 classes) "
            f"rescued by background blur at r={radius}; "
            f"{len(examples[adversarial_label])} examples",
            radius=radius,
        )
    )

# %% [markdown]
# ## Discussion
#
# **Few rescues, more losses.** Blurring the background at radius 10 puts only a small
# share of the wrongly classified images right, and it puts more right images wrong than
# wrong images right, on the natural images and on the proxy alike (the counts above). The
# seed looked only at the rescued images; the lost ones are a reminder that the background
# carries helpful evidence at least as often as misleading evidence, and that a rescued
# image on its own is weak evidence that the background misled the network. Chapter 10
# counts the rescues and losses that a neutral perturbation of the same area (a random
# blob) gives on the same images, the baseline these counts need.
#
# **The rule puts every rescued image in kind 2.** For each rescued image, nearly all of the
# wrong class's attention lies inside the blur mask, far from the threshold, so by the
# stated rule none is a case of the background as a competing category. Read literally,
# blurring did not remove a competing object's evidence; it changed the surroundings of the
# region where the wrong class's evidence lay, and that tipped the decision. The
# diagnostics advise against reading it that way. The wrong class's attention also lies
# almost entirely inside the true class's own salient region, and the two classes' maps are
# strongly rank-correlated. The control shows why: the map of the class the network finds
# *least* likely is about as strongly correlated with the true class's map as the wrong
# class's map is. On EfficientNet-Lite0, LICNN marks largely the same pixels whichever
# class it is asked about, and its masks cover most of the crop. With such maps a
# competing object beside the true one cannot show up as evidence outside the object, so
# the rule cannot find kind 1 even where it exists. The count of kinds says more about the
# maps than about the images. Chapter 10 applies the same rule with the ground-truth boxes
# of `imagenet-val-1300` as the object instead of the salient mask.
#
# **By eye.** The lists and examples above show both of the seed's patterns and a third.
# Some wrong classes name an object that is, or could well be, in the picture beside the
# true one, which the seed would have called a competing category: a soccer ball for a
# schipperke, a mortarboard for an academic gown. Many are close relatives of the true
# class, such as a beagle for a Walker hound or one poodle for another; there blurring
# tipped a close decision, which is neither of the seed's kinds. Sorting these reliably
# needs either class-specific maps or a stated protocol for human raters; the lists are
# given so that a reader can do the latter.
#
# **Compared with the seed.** The seed found "dozens" of each kind among 7500 ImageNet-A
# images, sorted by eye, with VGG-16. Here the 100-image proxy gives a handful of rescues
# and the 2300 natural images a few dozen, with a different model whose LICNN maps are
# much less class-specific. We can confirm that such images exist, and that their
# proportion is small; we cannot confirm the seed's division into two kinds.

# %%
results = {
    "model": model.name,
    "radius": radius,
    "criterion": f"top-{criterion_k}",
    "examples_per_set": examples_per_set,
    "threshold": threshold,
    "rule": "kind 1 if the share of the wrong top-1 class's positive LICNN attention outside "
    "the salient mask > threshold, else kind 2",
    "counts": counts,
}
for name, res in sets.items():
    key = "natural" if name == "natural" else "adversarial"
    results[key] = {
        "dataset": res.dataset,
        "n_images": len(res),
        "classes": res.n_classes,
        "is_proxy": is_proxy if key == "adversarial" else False,
        "kinds": {f"top{k}": kind_counts(found) for k, found in influence[name].items()},
        "rescued": {f"top{k}": len(found) for k, found in influence[name].items()},
        "images": {
            f"top{k}": [influence_record(item, names) for item in found]
            for k, found in influence[name].items()
        },
        "examples_shown": [item.key for item in examples[name]],
    }
results["provenance"] = record
save_results("07_background_influence", results, results_dir)
