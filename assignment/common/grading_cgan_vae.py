"""grading_cgan_vae: autograder-only helpers of the conditional GAN / VAE lab (never shipped to students).

* the lab's quality bars, each set from measurement (kit/bench_cgan_vae.py): the solution clears them with
  margin on three training seeds, an untrained or unconditional generator (or an untrained VAE decoder)
  does not;
* label accuracy of a conditional ``generate(n, c)`` as the hidden MNIST judge reads it, overall and per
  class, with a per-class table a student can read in the feedback;
* the hidden judge's score of unconditional samples (the VAE's ``vae_generate(n)``).

Each judged result is computed once per grading run and cached, so that the tests of one question share it.
"""
from __future__ import annotations


import grading

# Bars on sample quality, set from measurement (python -m kit.bench_cgan_vae --seeds 0 1 2, one torch thread,
# hidden MNIST judge; the notebook's CPU budgets are 6000 CGAN steps and 2500 VAE steps):
# * CGAN label accuracy at 6000 steps, seeds 0/1/2: 99.2 / 99.0 / 98.9 % overall, worst digit 98 / 96 / 97 %;
#   both bars below are first cleared at 2500 steps on every seed; an untrained generator scores 10 %, the
#   unconditional GAN of Part 3 (every label mapped to the same embedding) about 10 %;
# * VAE judge score at 2500 steps, seeds 0/1/2: 5.99 / 5.77 / 5.95 (1000 samples), all ten digits present;
#   the bar is first cleared at 1000 / 1250 / 1000 steps; an untrained decoder scores 1.00 (grey blobs that
#   the judge reads as one digit, with high confidence).
QUALITY_BARS = {
    # share of CGAN samples (SAMPLES_PER_CLASS per digit) that the hidden judge reads as the digit asked for
    "cgan_label_accuracy": 0.95,
    # the same share for the worst digit
    "cgan_min_class_accuracy": 0.85,
    # judge score (Inception Score under the hidden judge, 1 to 10) of VAE_SAMPLES prior samples; a score
    # rather than a confident share, because an untrained decoder's grey blobs are read as one digit with
    # high confidence
    "vae_judge_score": 5.0,
}
SAMPLES_PER_CLASS = 200
VAE_SAMPLES = 1000

_cache: dict = {}


def label_accuracy(generate, per_class: int = SAMPLES_PER_CLASS, seed: int = 0):
    """grading.label_accuracy on MNIST with this lab's sample count: (overall, per class (10,), confusion)."""
    return grading.label_accuracy(generate, "mnist", per_class, seed)


def explain_label_accuracy(per_class, confusion) -> str:
    """The per-digit table, and for the worst digit what the judge read instead."""
    return grading.explain_label_accuracy(per_class, confusion, "mnist")


def vae_quality(generate, n: int = VAE_SAMPLES, seed: int = 0) -> dict:
    """Hidden-judge reading of ``generate(n)``: grading.judge_scores (inception_score, confident_share,
    class_counts)."""
    key = ("vae", id(generate), n, seed)
    if key not in _cache:
        _cache[key] = grading.judge_scores(grading.sample(generate, n, seed=seed), grading.hidden_judge("mnist"))
    return _cache[key]
