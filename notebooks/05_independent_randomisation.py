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
baseline_partners = 5  # other images each trained map is compared with
extra_seeds = [1]  # re-initialisation seeds besides randomisation_seed
seed_images = 2  # the first images of the sample, re-run with each extra seed
device = "auto"
results_dir = None

# %%
from IPython.display import Markdown

from licnn.data import load_dataset
from licnn.experiments import sanity
from licnn.imaging.images import load_image
from licnn.models import load_model
from licnn.report import print_provenance, save_results

methods = list(methods or sanity.SANITY_METHODS)
model = load_model(model_name, device=device)
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
    "baseline_partners": baseline_partners,
    "extra_seeds": extra_seeds,
    "seed_images": seed_images,
    "device": device,
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
# point randomises a different group, and the rest of the network is the trained one. The
# first point, "original", randomises nothing (the trained maps computed again); the images
# are `imagenet-val-1300`'s 227 x 227 thumbnails, squashed to a square by their source.

# %%
result = sanity.run_randomisation(
    model, records, "independent", methods, steps, groups,
    seed=randomisation_seed, ig_steps=ig_steps, progress=False, include_original=True,
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
# ## Baselines
#
# As in the cascading chapter (its section "What the end point is compared with"), three
# reference levels for the Spearman rank correlation of the absolute maps. Two trained maps of
# different images (each image against several others of the sample) correlate this much
# before anything is randomised, and each trained map this much with a fixed centred Gaussian:

# %%
originals = sanity.original_maps(model, records, methods, ig_steps=ig_steps, progress=False)
trained_other = sanity.trained_other_image(originals, result.keys, methods, baseline_partners)
trained_point = sanity.end_point(result, result.steps[0], trained_other)
Markdown(sanity.methods_table(trained_point, ["trained_other_image", "original_centre"]))

# %% [markdown]
# The randomised maps' correlation with the centre prior, with each group randomised alone:

# %%
per_step = sanity.per_step_baselines(result)
Markdown(sanity.step_baseline_table(per_step, "randomised_centre"))

# %% [markdown]
# And the partial rank correlation of original and randomised map with the centre prior held
# fixed, `(r_ab - r_ac r_bc) / sqrt((1 - r_ac^2)(1 - r_bc^2))`:

# %%
Markdown(sanity.step_baseline_table(per_step, "partial"))

# %% [markdown]
# ## Other random draws
#
# The test once more with other seeds of the re-initialisation, on the first images of the
# sample (their number is a parameter, recorded). Each cell is the mean over the seeds of the
# image-specific Spearman correlation (own minus other image), the report's seed included,
# and in brackets the lowest and highest of the seeds' means:

# %%
seed_records = records[:seed_images]
seed_results = {
    seed: sanity.run_randomisation(
        model, seed_records, "independent", methods, steps, groups,
        seed=seed, ig_steps=ig_steps, progress=False,
    )
    for seed in [randomisation_seed, *extra_seeds]
}  # fmt: skip
seed_summaries = {seed: sanity.summarise(r) for seed, r in seed_results.items()}
Markdown(sanity.seed_step_table(seed_summaries, "spearman_abs", part="image_specific"))

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
# **The baselines agree with the control.** The trained-vs-other-image level and the centre
# prior are the same as in the cascading chapter (same images, same trained maps): two trained
# LICNN saliency maps of different images correlate 0.53, a trained map and the centre prior
# 0.74. With one group random, the randomised maps' correlation with the centre prior swings
# with the group (0.97 with stage 5 random, the round central blob of the junco row; 0.25
# with stage 3 random), and the raw curve follows it. Held against the prior, the similarity
# to the original is about zero or below for stages 6 to 3, as the image-specific part is, and
# it is clearly positive where the image-specific part is: with the head alone random (0.59),
# stage 7 (0.32), and the stem (0.40, larger than the image-specific part there, 0.12). The
# stem case is the one where the two controls differ most: the other-image control also
# removes what all maps share beyond being centred (presumably the grid the strided
# convolutions leave, which the centre prior does not model), so it is the stricter of the two.
#
# **Other random draws tell the same story.** With three seeds of the re-initialisation on 20
# of the images, the LICNN saliency map's image-specific part lies between -0.10 and +0.06 in
# every seed's mean for stages 6 to 3, and is positive in every seed with the head (0.25 to
# 0.26), stage 7 (0.10 to 0.17), stage 1 (0.12 to 0.18) or the stem (0.18 to 0.22) random.
# Stage 2 is the borderline case: 0.09 to 0.11 on these 20 images, 0.07 [-0.02, 0.16] on all
# 50. The gradient methods' values move by 0.03 or less between seeds; Grad-CAM's, whose
# randomised maps are often empty, by up to 0.25.
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
        "baselines": {
            "trained": trained_point,
            "per_step": per_step,
            "partners": baseline_partners,
        },
        "seeds": {
            "images": seed_results[randomisation_seed].keys,
            "summaries": {
                seed: {k: s[k] for k in ("methods", "image_specific")}
                for seed, s in seed_summaries.items()
            },
        },
        "provenance": record,
    },
    results_dir,
)
