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
# # Cascading randomisation
#
# A map that claims to explain a classifier should depend on what the classifier learned.
# {cite:t}`adebayo2018sanity` turned that into a test: destroy the trained weights of the
# model step by step, from the output layer towards the input, and compare each method's map
# of an image with the map the trained model gave. A method whose maps hardly change while
# the network underneath becomes noise is showing something about the image (its edges, its
# contrast), not about the model, and cannot be used to debug one. The seed
# {cite}`marcinek2020reproduction` ran this *cascading* test on VGG-16 and showed the LICNN maps
# of a junco (its Fig. 11) and the similarity curves of LICNN beside Gradient, Gradient x
# Input, Integrated Gradients and Grad-CAM (its Fig. 12). It concluded that LICNN passes: its
# maps drift further from the original as more layers are randomised, as the other methods'
# do.
#
# Here the test is repeated on EfficientNet-Lite0 {cite}`tan2019efficientnet`, the model of
# this report (VGG-16's trained weights cannot be obtained on the machines it is built on).
# Three things follow from that change and from the cost of the computation, and the reader
# should keep them in mind when comparing with the seed:
#
# - **The steps are groups of layers, not single layers.** Lite0 has a head (the classifier
#   and the 1x1 convolution before it), sixteen MBConv blocks in seven stages, and a stem
#   convolution. We randomise the head, then one *stage* at a time from the last to the first,
#   then the stem: nine steps. Single blocks would give eighteen steps, twice the
#   computation; on the two shared CPU cores this report is built on, that would take about
#   forty minutes per test at book scale (see the timing note at the end).
# - **Re-initialisation.** Every convolution and fully connected weight of a randomised group is
#   drawn afresh from a seeded Kaiming normal distribution {cite}`he2015delving` (fan-in,
#   `std = sqrt(2 / fan_in)`), biases are set to zero, and the group's batch-norm layers are
#   reset to the identity (scale 1, shift 0, running mean 0, variance 1), the state of a freshly
#   built layer. Keeping the trained batch-norm statistics would rescale random responses by
#   numbers measured on trained ones (Adebayo et al.'s code keeps them; that variant is
#   measured below, with the others). Each group has its own seed, so it gets the same random
#   weights here and in the independent test of the next chapter.
# - **Targets.** Every class-specific map is computed for the class the *trained* model
#   predicts (top-1), at every step; the LICNN saliency map is told no class and sums the
#   attention maps of whatever five classes the randomised model ranks highest. Integrated
#   Gradients uses 16 steps from a black baseline (to keep the run affordable).
#
# The similarity of an original map and a randomised one is measured as in the seed and in
# {cite:t}`adebayo2018sanity`: Spearman rank correlation of the absolute (normalised) maps
# and of the signed maps, the correlation of the maps' histograms of oriented gradients (HOG,
# 16 x 16-pixel cells; the seed says Pearson, Adebayo et al.'s code uses Spearman, so both are
# shown) and SSIM. A method passes when these fall towards zero as the randomisation goes
# deeper.

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
extra_seeds = [1]  # re-initialisation seeds besides randomisation_seed, at the end point
variants = None  # protocol variants (names of licnn.experiments.sanity.VARIANTS); None: all
quantus_images = 1
quantus_methods = ["licnn_saliency", "gradient"]  # None: all of `methods`
quantus_samples = 3  # noisy copies per explanation in sMPRT (Quantus's default is 50)
vgg_images = 2
vgg_methods = ["licnn_saliency", "gradient"]
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
variants = list(variants or [v.name for v in sanity.VARIANTS if v.name != "report"])
quantus_methods = list(quantus_methods or methods)
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
    "variants": variants,
    "quantus_images": quantus_images,
    "quantus_methods": quantus_methods,
    "quantus_samples": quantus_samples,
    "vgg_images": vgg_images,
    "vgg_methods": vgg_methods,
    "device": device,
}
record = print_provenance(model, [dataset_name, "imagenet-samples-1000"], params)

# %% [markdown]
# The groups, in the order they are randomised (each step keeps the ones before it), with the
# modules of the model each one re-initialises:

# %%
for name, members in groups:
    print(f"{name:<7} {', '.join(members)}")

# %% [markdown]
# ## The junco
#
# The seed's Fig. 11 follows the LICNN map of one image, a junco, through the randomisation.
# The figure below does the same for every method. Each row is a method; the first map is the
# trained model's, the next ones are the maps after each step of the cascade (absolute values,
# clipped at the 99th percentile and scaled per panel, so the panels show where each map puts
# its weight, not how much weight there is).

# %%
samples = load_dataset("imagenet-samples-1000")
junco = next(r for r in samples if r.key == "n01534433_junco.JPEG")
junco_run = sanity.run_randomisation(
    model, [junco], "cascading", methods, steps, groups,
    seed=randomisation_seed, ig_steps=ig_steps, keep_maps=True, progress=False,
)  # fmt: skip
junco_key = junco_run.keys[0]
print(f"class explained: {model.class_names[junco_run.targets[0]]}")

# %% tags=["full-width"]
sanity.maps_figure(
    junco_run,
    junco_key,
    model.crop(load_image(junco.path)),
    f"Cascading randomisation, {model.name} (ImageNet weights): junco image "
    f"(imagenet-samples-1000), 1 image, IG {ig_steps} steps",
    shown=shown_steps,
)

# %% [markdown]
# ## Many images
#
# The same test on a fixed random sample of the ImageNet validation images of
# `imagenet-val-1300` (the sample is drawn with a seed and its file names are saved with the
# results; the images are 227 x 227 thumbnails whose source squashed them to a square). For
# each method, measure and step, the line is the mean over the images and the shaded band its
# 95% percentile-bootstrap interval. The first point, "original", randomises nothing: the
# trained model's maps computed a second time, the curve's starting value.
#
# A similarity is only small or large relative to something. Maps can resemble each other
# without sharing anything about a particular image: a method may favour the centre of the
# frame, or leave a texture of its own, whatever the image. So each original map is also
# compared with the randomised map of *another* image (the next one in its batch of ten) at
# the same step: the dashed line in each method's colour. Where the solid line lies on the
# dashed one, the randomised map keeps nothing specific to its own image; the gap between
# them, own minus other, is the image-specific part of the similarity.

# %%
result = sanity.run_randomisation(
    model, records, "cascading", methods, steps, groups,
    seed=randomisation_seed, ig_steps=ig_steps, progress=False, include_original=True,
)  # fmt: skip
summary = sanity.summarise(result)
sanity.curves_figure(
    summary,
    f"Cascading randomisation, {model.name} (ImageNet weights), {dataset_name}, "
    f"{result.n_images} images, IG {ig_steps} steps\n"
    "similarity of each randomised map to the original map: mean and 95% bootstrap interval",
)

# %% [markdown]
# The mean Spearman rank correlation of the absolute maps at each step:

# %%
Markdown(sanity.step_table(summary, "spearman_abs"))

# %% [markdown]
# Every measure after the last step, when no trained weight is left (mean and 95% interval
# over the images):

# %%
last = result.steps[-1]
Markdown(sanity.summary_table(summary, last))

# %% [markdown]
# The same after the last step, as the paired difference between an image's own randomised
# map and another image's (own minus other; mean and 95% interval over the images):

# %%
Markdown(sanity.summary_table(summary, last, part="image_specific"))

# %% [markdown]
# ## What the end point is compared with
#
# The other-image control above answers one question: does a randomised map keep anything
# of *its own* image? A referee will ask three more. How similar are two *trained* maps of
# different images, before anything is randomised? How much of any map is simply "centred"?
# And what is left of the original-versus-randomised similarity once that centred part is
# taken out? The table gives, for the last step (no trained weight left), the Spearman rank
# correlation of the absolute maps:
#
# - *trained maps of two images*: each image's trained map against the trained maps of
#   several other images of the sample (their mean; the number is a parameter, recorded);
# - *vs centre prior*: each map against a fixed centred Gaussian (standard deviation a
#   quarter of the image side, chapter 8's centre prior), for the trained and the
#   randomised map;
# - *centre prior held fixed*: the partial rank correlation of the original and the
#   randomised map given the centre prior, `(r_ab - r_ac r_bc) / sqrt((1 - r_ac^2)(1 - r_bc^2))`
#   with `a`, `b` the two maps and `c` the prior (`licnn.metrics.similarity.partial_spearman`).
#   It is near zero when the two maps agree only in being centred.

# %%
originals = sanity.original_maps(model, records, methods, ig_steps=ig_steps, progress=False)
trained_other = sanity.trained_other_image(originals, result.keys, methods, baseline_partners)
end_point = sanity.end_point(result, last, trained_other)
Markdown(sanity.methods_table(end_point))

# %% [markdown]
# The partial correlation (centre prior held fixed) at every step:

# %%
per_step = sanity.per_step_baselines(result)
Markdown(sanity.step_baseline_table(per_step, "partial"))

# %% [markdown]
# ## Other random draws
#
# The end point is one draw of random weights. The same end point with other seeds of the
# re-initialisation (the report's seed first), as the spread of the means over the images:
# the Spearman rank correlation of each original map with its own randomised map.

# %%
per_seed = {
    randomisation_seed: end_point,
    **sanity.run_seeds(model, records, methods, groups, extra_seeds, last, ig_steps, False),
}
seed_spread = sanity.seed_spread(per_seed)
Markdown(sanity.seed_table(seed_spread))

# %% [markdown]
# ## Protocol variants
#
# The test leaves choices open, and the level after randomisation depends on them. Each
# variant below changes one thing at the end point (same images, same seed), against this
# report's protocol:
#
# - *batch norm kept*: the randomised layers' batch-norm layers keep their trained scale,
#   shift and running statistics, as in Adebayo et al.'s released code (this report resets
#   them to the identity);
# - *randomised model's own top-1*: the class-specific methods explain the class the
#   randomised model ranks first, as Adebayo et al. do (this report, and Quantus, explain the
#   trained model's class);
# - *seed code's settings*: LICNN without per-layer normalisation, the last layer ungated,
#   nearest-neighbour resizing (the seed author's code; LICNN methods only);
# - two **interventions** that test this chapter's reading of the common pattern: LICNN with
#   its *last layer not gated* (chapter 2 shows that gate's mask is a fixed central diamond),
#   and a randomised model that *pads by replicating the border pixel* instead of with zeros
#   (if the centred blob comes from zero padding, it should weaken).
#
# The Spearman rank correlation of each original map with its own randomised map:

# %%
points = {
    "report": end_point,
    **sanity.run_variants(
        model, records, methods, groups, variants, last, randomisation_seed,
        baseline_partners, ig_steps, False,
    ),
}  # fmt: skip
variant_labels = {v.name: v.label for v in sanity.VARIANTS}
Markdown(sanity.variants_table(points, variant_labels))

# %% [markdown]
# And every reference level of the LICNN saliency map under each variant:

# %%
Markdown(
    sanity.end_point_table({variant_labels[k]: p for k, p in points.items()}, "licnn_saliency")
)

# %% [markdown]
# ## Quantus: MPRT, sMPRT and eMPRT
#
# An independent implementation of the end point: Quantus {cite}`hedstrom2023quantus`
# randomises every layer of the model with the layers' own initialisers (its
# `reset_parameters`, which also resets batch norm) and compares the maps of the trained and
# the fully randomised model (MPRT, Spearman of normalised absolute maps). Its two later
# variants {cite}`hedstrom2023sanity`: sMPRT averages each explanation over noisy copies of
# the input (noise 10% of the input's range) before comparing; eMPRT needs no similarity
# measure and reports the relative rise in the maps' entropy, `(H_random - H_trained) /
# H_trained`: near zero when randomisation leaves the maps as structured as before. LICNN is
# given to Quantus through `licnn.faces.quantus_explain`.

# %%
quantus_scores = sanity.quantus_checks(
    model, records[:quantus_images], quantus_methods, nr_samples=quantus_samples,
    ig_steps=ig_steps, progress=False,
)  # fmt: skip
Markdown(sanity.quantus_table(quantus_scores, sanity.QUANTUS_LABELS))

# %% [markdown]
# ## VGG-16 with random weights
#
# VGG-16's trained weights cannot be had here, but the end point of the test needs none: it
# asks what LICNN's maps of a network with random weights look like. VGG-16 has no batch
# norm, no residual connections and pads every 3 x 3 convolution symmetrically. The table
# compares the maps of two independent random draws of VGG-16 (the "original" is itself a
# random network: `vgg16-random`, torchvision's initialisation; the "randomised" one is this
# chapter's re-initialisation of every layer) on the same images, with the same baselines.

# %%
vgg = load_model("vgg16-random", device=device)
vgg_records = records[:vgg_images]
vgg_point = sanity.randomised_end_point(
    vgg, vgg_records, vgg_methods, "stage",
    partners=baseline_partners, seed=randomisation_seed, ig_steps=ig_steps,
)  # fmt: skip
Markdown(sanity.methods_table(vgg_point))

# %% [markdown]
# ## Discussion
#
# **Taken at face value, LICNN fails on EfficientNet-Lite0.** After the last step no trained
# weight is left, yet the LICNN attention and saliency maps still have a Spearman rank
# correlation of about 0.6 to 0.7 with their originals, and an SSIM around 0.5, the highest of
# the six methods (table above). Gradient falls to almost nothing, Gradient x Input and
# Integrated Gradients to about a quarter, Grad-CAM to about a tenth.
#
# **The control says otherwise.** From the third step (stage 6) on, the dashed LICNN lines lie
# on the solid ones: an original LICNN map is as similar to the randomised map of an unrelated
# image as to the randomised map of its own image. The image-specific part of the similarity
# (own minus other) is indistinguishable from zero after the last step, on every measure (last
# table). What the randomised LICNN maps still share with the originals is a pattern common to
# all of them. The junco row shows it: once a few stages are random, the attention map becomes
# a centred, roughly square blob with a faint grid, and it looks much the same for any image.
# Our reading: LICNN adds up channel responses of all 33 gated activation layers; with random
# weights, responses fade towards the border because every convolution pads with zeros, and
# the strided convolutions (with the asymmetric "same" padding of the TensorFlow original)
# leave a grid. The trained model's maps are centred too, because ImageNet photographs mostly
# put the object in the middle. Two centred maps agree in rank order without agreeing about the
# image. The intervention below tests this reading, and it holds. The same effect explains the dip at stage 7: with the head and the last stage random,
# the maps are patchy; as lower stages follow, they settle into the generic blob, which shares
# the centre with the original, and the raw similarity rises again while the image-specific part
# stays at zero. Raw similarity curves of this test should not be read without such a control.
#
# **By the image-specific measure, LICNN passes, and sooner than the gradient methods.** Its
# image-specific similarity is gone after three steps. Gradient loses its own gradually, down to
# the stem. Gradient x Input and Integrated Gradients keep about 0.2 (Spearman and HOG) even with
# every weight random: both multiply by the input image, so its edges survive any
# randomisation, which is what {cite:t}`adebayo2018sanity` found for these methods. Grad-CAM
# drops to near zero at once: with a random head, the weighted sum of the last feature maps is
# mostly negative, and the ReLU leaves an empty map or a stripe along the border (junco row,
# from stage 7 on). An all-zero map counts as similarity 0.
#
# **On the seed's own measure, HOG similarity, LICNN passes plainly.** Its HOG correlation with
# the original falls after the first two steps to the other-image level, below Gradient, and far
# below Gradient x Input and Integrated Gradients, which stay at 0.4 or more even at the stem.
# This agrees with the seed's conclusion that LICNN is sensitive to the model's weights. The
# seed's second measure, Spearman rank correlation, agrees with it only once the shared centred
# pattern is discounted.
#
# **The baselines put the raw number in its place.** Two *trained* LICNN saliency maps of
# different images already correlate 0.53 [0.49, 0.57] (each image against five others), and a
# trained map correlates 0.74 with a fixed centred Gaussian. After full randomisation the maps
# are almost exactly that Gaussian (0.94 [0.94, 0.95]): more centred than the trained ones, not
# less. So the end-point correlation with the originals, 0.67 [0.63, 0.71], is what a centred
# blob scores against centred maps; it is *higher* than the trained-vs-other-image level only
# because the blob is a cleaner "centre" than any real map. Held against the centre prior, the
# similarity is gone: the partial rank correlation of original and randomised map with the
# prior held fixed is -0.14 [-0.22, -0.06] (slightly negative, since both maps' departures
# from the centre go in unrelated directions), against 0.20 for Gradient x Input and 0.21 for
# Integrated Gradients, whose image edges survive. The partial correlation falls to zero or a
# little below from stage 6 on, where the image-specific part (own minus other) vanishes too. The two
# controls, built differently, agree. Grad-CAM shows why the trained-vs-other level matters:
# its trained maps of different images correlate 0.42 (they are compact central blobs), while
# its randomised maps, often empty, correlate 0.10 with the originals.
#
# **Other random draws change little.** With three seeds of the re-initialisation the LICNN
# saliency end point lies between 0.65 and 0.68 (standard deviation 0.012 across seeds); the
# gradient methods move by about 0.01 or less, Grad-CAM from 0.02 to 0.10 (its randomised maps
# are often empty).
#
# **The protocol moves the level, not the verdict.** Keeping the trained batch-norm statistics
# behind the random convolutions (as Adebayo et al.'s code does) lowers the LICNN saliency end
# point to 0.58 [0.52, 0.64] and makes the randomised maps less centred (0.77 with the prior);
# the partial correlation is then 0.03 [-0.05, 0.11]. Explaining the randomised model's own
# top-1 class instead of the trained model's changes nothing for the saliency map (it is told no
# class) and little for LICNN attention (0.59); it raises Grad-CAM's value to 0.18. The seed
# code's LICNN settings (no per-layer normalisation, last layer ungated, nearest resizing) give
# 0.37 [0.33, 0.41], but their trained maps of two different images also correlate less (0.20),
# and the partial correlation is again zero (-0.01). In every variant the original-vs-own value
# lies on the other-image value: nothing image-specific survives.
#
# **The interventions.** Turning off the gate of the last layer, whose mask chapter 2 found to
# be a fixed central diamond, barely changes the end point (0.63 against 0.67): the diamond is
# not the cause. Replacing the zero padding of the randomised model by padding that repeats the
# border pixel turns the pattern inside out: the randomised maps now anti-correlate with the
# centre prior (-0.87) and with the originals (-0.71 [-0.74, -0.68]). With random weights, what
# decides where LICNN's map is bright is how the convolutions treat the image border. That is
# the common pattern, and it is a property of the padding, not of anything learned.
#
# **Quantus agrees, and eMPRT adds a warning.** Quantus's own randomisation (every layer's
# initialiser, batch norm reset), run on 10 of the images, gives an MPRT of 0.75 for LICNN
# saliency and 0.66 for attention, against 0.04 for Gradient and 0.26-0.27 for Gradient x Input
# and Integrated Gradients: the same picture as our end point. Smoothing the explanations
# (sMPRT, 10 noisy copies) changes these by a few hundredths. eMPRT asks whether the randomised
# maps are less structured than the trained ones: for the gradient methods their entropy rises
# by 17-33%; for LICNN it falls slightly (-2% and -3%). By that criterion, LICNN's maps do not
# degrade into noise when the model does; they degrade into a different, equally simple shape.
# Grad-CAM's all-zero randomised maps cannot be scored by Quantus (8 or 9 of 10 images scored).
#
# **VGG-16 with random weights behaves differently.** Two independent random draws of VGG-16
# give LICNN saliency maps of the *same* image that correlate 0.86 [0.83, 0.89], against 0.65
# for maps of different images and 0.66 with the centre prior; with the prior held fixed, 0.74
# is left (20 images). A random VGG-16 makes LICNN maps that follow the image's own structure,
# much as Adebayo et al. found random convolutional networks act as edge detectors. On the
# seed's model, then, a randomised network's LICNN map is likely to keep something of its
# image, and the seed's curves may hold an image-specific residual that Lite0's do not; without
# VGG-16's trained weights we cannot measure the trained-vs-randomised value itself.
#
# LICNN maps are non-negative (they sum responses after a ReLU6), so their signed and absolute
# rank correlations coincide. For the three gradient methods the signed correlation drops to
# zero at the first step: the sign of a gradient is the first thing randomisation scrambles,
# as Adebayo et al. also observed.
#
# **Where we differ from the seed, and why.**
#
# - *Model.* The seed tested VGG-16; we test EfficientNet-Lite0, since VGG-16's trained weights
#   are not available here. Lite0 has batch normalisation, residual MBConv blocks, depthwise
#   convolutions and 33 gate points instead of 13. Whether a trained VGG-16's LICNN maps also
#   converge to a centred blob when randomised, we cannot check without its weights; the
#   random-weight VGG-16 above suggests they keep more of the image.
# - *Steps.* Nine groups (head, seven stages, stem) instead of one layer per step, to keep the
#   run within its budget. The cascade at book scale takes about twenty minutes on two shared
#   CPU cores, and the whole chapter with its baselines, seeds, variants, Quantus checks and
#   VGG-16 about fifty; one block per step would double the cascade. Per-image results are
#   cached, so a rerun takes seconds.
# - *Re-initialisation.* The seed does not say how it re-initialised; our choice (Kaiming normal
#   weights, zero biases, batch norm reset to the identity) is stated above.
# - *Measures and sample.* We add the signed rank correlation, HOG with Spearman, SSIM, the
#   other-image control and 95% intervals over 50 images; the seed does not state how many
#   images its curves average.
# - *The junco.* Lite0 ranks "robin" first for the seed's junco image, so the class-specific
#   maps in our junco row explain "robin".

# %%
junco_spearman = {m: junco_run.metric(m, "spearman_abs")[0] for m in methods}
save_results(
    "04_cascading_randomisation",
    {
        **summary,
        "dataset": dataset_name,
        "images": result.keys,
        "targets": result.targets,
        "groups": groups,
        "junco": {"key": junco_key, "spearman_abs": junco_spearman},
        "baselines": {
            "end_point": end_point,
            "per_step": per_step,
            "partners": baseline_partners,
        },
        "seeds": {"per_seed": per_seed, "spread": seed_spread},
        "protocols": points,
        "mprt": quantus_scores.get("mprt"),
        "smprt": quantus_scores.get("smprt"),
        "emprt": quantus_scores.get("emprt"),
        "quantus": {"images": quantus_images, "nr_samples": quantus_samples},
        "vgg16_random": {
            "end_point": vgg_point,
            "images": [sanity.item_name(r) for r in vgg_records],
        },
        "provenance": record,
    },
    results_dir,
)
