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
# # Independent randomisation
#
# The cascading test of the previous chapter cannot tell which layers a map depends on: once
# the top of the network is random, everything below it is seen through noise. The
# *independent* test of {cite:t}`adebayo2018sanity` re-initialises one layer (here: one
# group of layers) at a time and leaves every other layer with its trained weights. A method
# that uses the whole network should react wherever the weights are destroyed; one that reads
# mostly the lower layers, or mostly the image, will react only there or hardly at all. The
# seed {cite}`marcinek2020reproduction` shows this test for VGG-16 in its appendix: the LICNN
# maps of the junco (Fig. 20) and the similarity curves (Fig. 21).
#
# The set-up is that of the cascading chapter, on EfficientNet-Lite0
# {cite}`tan2019efficientnet` instead of VGG-16: the same nine groups (head, the seven stages
# of MBConv blocks from the last to the first, stem), the same re-initialisation (Kaiming
# normal weights {cite}`he2015delving`, zero biases, batch norm reset to the identity; each
# group draws exactly the random weights it drew in the cascading test), the same targets
# (the trained model's top-1 class; the LICNN saliency map takes the randomised model's top
# five), the same measures and the same images. Each step here randomises a single group;
# the step names say which.

# %% tags=["parameters"]
model_name = "efficientnet-lite0"
dataset_name = "imagenet-val-1300"
n_images = 2
selection_seed = 0
granularity = "stage"
steps = ["head", "stage4", "stem"]
shown_steps = None
methods = None  # a list of method names; None: all six of licnn.sanity.SANITY_METHODS
ig_steps = 16
randomisation_seed = 0
results_dir = None

# %%
from IPython.display import Markdown

from licnn import sanity
from licnn.data import load_dataset
from licnn.images import load_image
from licnn.models import load_model
from licnn.report import print_provenance, save_results

methods = list(methods or sanity.SANITY_METHODS)
model = load_model(model_name)
groups = sanity.layer_groups(model, granularity)
dataset = load_dataset(dataset_name)
records = sanity.sample_records(dataset, n_images, seed=selection_seed)
params = {
    "dataset_name": dataset_name,
    "n_images": n_images,
    "selection_seed": selection_seed,
    "granularity": granularity,
    "steps": steps,
    "methods": methods,
    "ig_steps": ig_steps,
    "randomisation_seed": randomisation_seed,
}
record = print_provenance(model, [dataset_name, "imagenet-samples-1000"], params)

# %% [markdown]
# The groups; each step re-initialises the modules of its group alone:

# %%
for name, members in groups:
    print(f"{name:<7} {', '.join(members)}")

# %% [markdown]
# ## The junco
#
# Each row is a method: the trained model's map, then the map with one group randomised
# (absolute values, clipped at the 99th percentile, scaled per panel).

# %%
samples = load_dataset("imagenet-samples-1000")
junco = next(r for r in samples if r.key == "n01534433_junco.JPEG")
junco_run = sanity.run_randomisation(
    model, [junco], "independent", methods, steps, groups,
    seed=randomisation_seed, ig_steps=ig_steps, keep_maps=True, progress=False,
)  # fmt: skip
junco_key = junco_run.keys[0]
print(f"class explained: {model.class_names[junco_run.targets[0]]}")

# %% tags=["full-width"]
sanity.maps_figure(
    junco_run,
    junco_key,
    model.crop(load_image(junco.path)),
    f"Independent randomisation, {model.name} (ImageNet weights): junco image "
    f"(imagenet-samples-1000), 1 image, IG {ig_steps} steps",
    shown=shown_steps,
)

# %% [markdown]
# ## Many images
#
# The same fixed random sample of `imagenet-val-1300` as in the cascading chapter. Lines are
# means over the images, bands their 95% percentile-bootstrap intervals; the dashed lines are
# the control of the cascading chapter (each original map against another image's randomised
# map at the same step). Unlike the cascading curves, these need not fall monotonically: each
# point randomises a different group, and the rest of the network is the trained one.

# %%
result = sanity.run_randomisation(
    model, records, "independent", methods, steps, groups,
    seed=randomisation_seed, ig_steps=ig_steps, progress=False,
)  # fmt: skip
summary = sanity.summarise(result)
sanity.curves_figure(
    summary,
    f"Independent randomisation, {model.name} (ImageNet weights), {dataset_name}, "
    f"{result.n_images} images, IG {ig_steps} steps\n"
    "similarity of each randomised map to the original map: mean and 95% bootstrap interval",
)

# %% [markdown]
# The mean Spearman rank correlation of the absolute maps with each group randomised on its
# own:

# %%
Markdown(sanity.step_table(summary, "spearman_abs"))

# %% [markdown]
# Its image-specific part (own randomised map minus another image's, averaged over the
# images):

# %%
Markdown(sanity.step_table(summary, "spearman_abs", part="image_specific"))

# %% [markdown]
# The mean HOG similarity (Pearson, the seed's measure) and the mean SSIM:

# %%
Markdown(sanity.step_table(summary, "hog_pearson"))

# %%
Markdown(sanity.step_table(summary, "ssim"))

# %% [markdown]
# ## Discussion
#
# **The raw LICNN curves go up and down; the control explains it.** With one group random, the
# LICNN maps' rank correlation to their originals ranges from well under 0.3 to about 0.7
# depending on the group, and for the middle stages (6 to 2) the dashed control follows the
# solid line closely. The swings are a property of the partly random network, not of the
# image: with stage 5 random, for instance, every map turns into a round central blob (junco
# row), which happens to match the centred originals well; with stage 3 random the maps are
# patchy and match them poorly. As in the cascading chapter, the image-specific part (own
# minus other) is the quantity to read.
#
# **LICNN depends on every middle stage of the network.** Its image-specific similarity is
# about 0.2 with only the head random and somewhat less with only stage 7 random, but it is
# indistinguishable from zero when any single one of stages 6 to 2 is random (table above).
# Two things in LICNN make it sensitive to any one stage: the mask of every gated layer comes
# from a gradient that runs back through all the layers above it, and the response of every
# layer above the randomised stage is computed from that stage's random output. Nothing gets
# round a stage, since the first block of each stage changes the width and so has no residual
# connection. A random head or top stage leaves the responses of all the layers below them
# as they were and changes only their masks, so part of the image-specific map survives. With
# only the stem random, some of it comes back (about 0.1; stage 1 alone gives less, with an
# interval that includes zero): random 3 x 3 filters still pass on a local, image-dependent
# signal, which the trained stages above turn into a map that is partly like the original.
# HOG similarity tells the same story.
#
# **The gradient methods react more evenly.** Their similarity falls smoothly the deeper the
# randomised group, without the collapse in the middle: a single random stage perturbs the
# back-propagated gradient but does not erase it. Gradient ends close to zero with only the
# stem random. Gradient x Input and Integrated Gradients keep an image-specific rank
# correlation of 0.24 or more whichever group is random, because their maps are multiplied by
# the image.
# Grad-CAM loses almost everything image-specific once any group between stage 7 and stage 1
# is random, and keeps a little with only the head or only the stem random.
#
# **Does LICNN pass?** Yes, in the sense of {cite:t}`adebayo2018sanity`: destroying the weights
# of most parts of the model, one at a time, removes what its maps say about the image, and
# it removes more of it than for Gradient x Input and Integrated Gradients. Its dependence is
# weakest at the two ends of the network (the head and the stem). The seed reports this test
# for VGG-16 only as a figure (its Fig. 21), without comment, so there is no statement to
# confirm or contradict beyond the cascading conclusion; the differences listed at the end of
# the cascading chapter (model, stage-sized steps, re-initialisation, measures, sample) apply
# here too. One caveat is particular to this test: a stage of two to four blocks is a coarser
# unit than one VGG-16 layer, and a single block inside a stage, bypassed by its residual
# connection, might matter much less than a whole stage does.

# %%
junco_spearman = {m: junco_run.metric(m, "spearman_abs")[0] for m in methods}
save_results(
    "05_independent_randomisation",
    {
        **summary,
        "dataset": dataset_name,
        "images": result.keys,
        "targets": result.targets,
        "groups": groups,
        "junco": {"key": junco_key, "spearman_abs": junco_spearman},
        "provenance": record,
    },
    results_dir,
)
