"""The conditional GAN / VAE lab's training benchmark (run by ``kit.bench``).

    python -m kit.bench --labs cgan_vae --skip-grading                         # seed 0: CGAN and VAE
    python -m kit.bench --labs cgan_vae --skip-grading --seeds 0 1 2 --threads 1   # the seeds the bars were set from
    python -m kit.bench --labs cgan_vae --skip-grading --steps cgan=3000 vae=0     # a shorter CGAN, no VAE

Trains the solution's CGAN and VAE from scratch and judges them as the autograder does (grading_cgan_vae,
hidden MNIST judge):

* cgan: label accuracy of ``generate(n, c)`` over SAMPLES_PER_CLASS samples per digit, overall and for the worst
  digit, and realism (FD / floor), every 1000 steps up to the notebook's CPU budget (18000); timed to the
  issue's speed target (98 % label accuracy) and to the grading bars;
* vae: the judge score (Inception Score with the hidden judge) of VAE_SAMPLES prior samples and the digits
  present, every 250 steps; timed to the grading bar.
"""
from __future__ import annotations

from pathlib import Path

import torch

from kit.bench import Run, per_class_text, realism_text, sample_figures, snapshot
from kit.labs import get

LAB = get(Path(__file__).resolve().parent.name)
CGAN_TARGET = 0.98  # the speed target: hidden-judge label accuracy within 3 minutes of training


def cgan_run(ns: dict) -> Run:
    """The CGAN: new_gan / train_cgan of the solution; generate samples from the averaged generator."""
    lab = LAB.grading

    def new(seed):
        return {"models": ns["new_gan"](ns["N_CLASSES"], seed=seed), "history": None}

    def train(state, images, labels, steps):
        state["history"] = ns["train_cgan"](*state["models"], images, labels, steps, history=state["history"])

    def judge(state):
        ns["cgan"] = snapshot(state["models"][2])  # G_avg: what generate samples from
        return sample_figures(ns["generate"], lab.CGAN)

    bars = lab.BARS
    return Run("cgan", lab.DATASET, new, train, judge, steps=18000, every=1000, bars={
        f"label accuracy >= {CGAN_TARGET:.0%}": lambda f: f["accuracy"] >= CGAN_TARGET,
        f"grading bars (label accuracy >= {bars['cgan_label_accuracy']:.0%}, worst digit >= "
        f"{bars['cgan_min_class_accuracy']:.0%})":
            lambda f: f["accuracy"] >= bars["cgan_label_accuracy"] and f["worst"] >= bars["cgan_min_class_accuracy"]
                      and f["realistic"],
    }, describe=lambda f: f"label accuracy {f['accuracy']:.1%}, worst digit {f['worst']:.0%}, {realism_text(f)} "
                          f"{per_class_text(f['per_class'])}")


def vae_run(ns: dict) -> Run:
    """The VAE: the solution's VAE and train_vae (Adam, lr 2e-3, as the notebook); vae_generate samples its prior."""
    lab = LAB.grading

    def new(seed):
        torch.manual_seed(seed)
        model = ns["VAE"]().to(ns["device"])
        return {"model": model, "opt": torch.optim.Adam(model.parameters(), lr=2e-3), "history": None}

    def train(state, images, labels, steps):
        state["history"] = ns["train_vae"](state["model"], state["opt"], images, steps, history=state["history"])

    def judge(state):
        ns["vae"] = snapshot(state["model"])
        scores = sample_figures(ns["vae_generate"], lab.VAE)
        recon, kl = (sum(state["history"][k][-50:]) / len(state["history"][k][-50:]) for k in ("recon", "kl"))
        return {**scores, "recon": recon, "kl": kl}

    bar = lab.BARS["vae_inception_score"]
    return Run("vae", lab.DATASET, new, train, judge, steps=3000, every=250, bars={
        f"grading bar (judge score >= {bar}, all digits)":
            lambda f: f["inception_score"] >= bar and min(f["class_counts"]) > 0 and f["realistic"],
    }, describe=lambda f: f"recon {f['recon']:.1f}, KL {f['kl']:.1f}; judge score {f['inception_score']:.2f}, "
                          f"{realism_text(f)}, "
                          f"per digit {f['class_counts']}")


def runs(ns: dict) -> list[Run]:
    return [cgan_run(ns), vae_run(ns)]
