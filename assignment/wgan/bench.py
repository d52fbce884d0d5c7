"""The conditional WGAN-GP lab's training benchmark (Fashion-MNIST; run by ``kit.bench``).

    python -m kit.bench --labs wgan --skip-grading                           # seed 0
    python -m kit.bench --labs wgan --skip-grading --seeds 1 2 --threads 1   # the seeds the bar was set from
    python -m kit.bench --labs wgan --skip-grading --steps wgan=3000 --every 250

Trains the solution's generator and critic from scratch (new_wgan / train_wgan) and judges the averaged
generator every 500 steps as the autograder does (grading_wgan: label accuracy of ``generate(n, c)`` over
SAMPLES_PER_CLASS samples per class under the hidden Fashion-MNIST judge, as a share of that judge's accuracy
on real test images); timed to the issue's speed target (85 % of the real-data figure) and to the grading bar.
"""
from __future__ import annotations

from pathlib import Path

import grading
from kit.bench import Run, per_class_text, realism_text, sample_figures, snapshot
from kit.labs import get

LAB = get(Path(__file__).resolve().parent.name)
TARGET_SHARE = 0.85  # the speed target: 85 % of the judge's real-data accuracy within 10 minutes


def runs(ns: dict) -> list[Run]:
    lab = LAB.grading

    def new(seed):
        return {"models": ns["new_wgan"](seed=seed), "history": None}

    def train(state, images, labels, steps):
        state["history"] = ns["train_wgan"](*state["models"], images, labels, steps, history=state["history"])

    def judge(state):
        ns["wgan"] = snapshot(state["models"][2])  # G_avg: what generate samples from
        figures = sample_figures(ns["generate"], lab.WGAN)
        return {**figures, "share": figures["accuracy"] / grading.judge_real_accuracy(lab.DATASET)}

    bar = lab.BARS["wgan_label_accuracy_share"]
    return [Run("wgan", lab.DATASET, new, train, judge, steps=5000, every=500, bars={
        f"label accuracy >= {TARGET_SHARE:.0%} of real data": lambda f: f["share"] >= TARGET_SHARE,
        f"grading bar (>= {bar:.0%} of real data)": lambda f: f["share"] >= bar and f["realistic"],
    }, describe=lambda f: f"label accuracy {f['accuracy']:.1%} = {f['share']:.1%} of real data, {realism_text(f)} "
                          f"{per_class_text(f['per_class'])}")]
