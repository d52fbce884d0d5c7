"""grading_diffusion: autograder-only helpers of the diffusion lab (never shipped to students).

* the lab's quality bars, each set from measurement (kit/bench_diffusion.py): the solution clears them with
  margin on several training seeds, an untrained model, a model whose label is ignored (unconditional) and
  a generator with the guidance sign flipped do not;
* label accuracy of ``generate(n, c)`` as the hidden MNIST judge reads it, overall and per class, with a
  per-class table a student can read in the feedback.

Each judged result is computed once per grading run and cached (in grading.label_accuracy), so that the
tests of one question share it.
"""
from __future__ import annotations

import grading

# Bars on sample quality, set from measurement (python -m kit.bench_diffusion --seeds 0 1 2, one torch thread,
# hidden MNIST judge, 50 samples per digit, DDIM with the notebook's SAMPLE_STEPS and GUIDANCE):
# * the reference (notebook budget: 4000 steps of 32 images, DDIM 20 steps, w = 3; 621 s of training on a busy
#   2-core machine), three sampling seeds: 83.8 / 82.2 / 84.2 % overall, worst digit 56 / 46 / 60 % (6 and 3, 9 weakest);
# * the same checkpoint with the label ignored (every label mapped to the null embedding): 9.0 %, worst digit 0 %;
#   with the guidance sign flipped ((1 - w) eps_c + w eps_u): 0.2 %; an untrained U-Net about 10 %.
# The target (99 % within 6 minutes of training) is NOT reached by this reference: see the lab's report.
QUALITY_BARS = {
    # share of samples (SAMPLES_PER_CLASS per digit) that the hidden judge reads as the digit asked for
    "label_accuracy": 0.65,
    # the same share for the worst digit
    "min_class_accuracy": 0.25,
}
SAMPLES_PER_CLASS = 50


def label_accuracy(generate, per_class: int = SAMPLES_PER_CLASS, seed: int = 0):
    """grading.label_accuracy on MNIST with this lab's sample count: (overall, per class (10,), confusion)."""
    return grading.label_accuracy(generate, "mnist", per_class, seed)


def explain_label_accuracy(per_class, confusion) -> str:
    """The per-digit table, and for the worst digit what the judge read instead."""
    return grading.explain_label_accuracy(per_class, confusion, "mnist")
