"""The GAN lab's training benchmark (run by ``kit.bench``).

    python -m kit.bench --labs gan --skip-grading                    # seed 0
    python -m kit.bench --labs gan --skip-grading --threads 1 --seeds 0 1
    python -m kit.bench --labs gan --skip-grading --steps dcgan=1000 --every 100

Trains the solution's DCGAN from scratch (DCGANGenerator / DCGANDiscriminator, make_optimizers, train_gan with
generator_loss_nonsaturating, as the notebook does) and judges it every 250 iterations as the autograder does
(grading_gan: SAMPLES samples of ``generate(n)`` read by the hidden MNIST judge); stops when the quality bar
(Inception Score >= BARS['dcgan_inception_score'], all ten digits drawn) is cleared.
"""
from __future__ import annotations

from pathlib import Path

import torch

from kit.bench import Run, realism_text, sample_figures, snapshot
from kit.labs import get

LAB = get(Path(__file__).resolve().parent.name)


def runs(ns: dict) -> list[Run]:
    lab = LAB.grading

    def new(seed):
        torch.manual_seed(seed)
        G, D = ns["DCGANGenerator"]().to(ns["device"]), ns["DCGANDiscriminator"]().to(ns["device"])
        return (G, D, *ns["make_optimizers"](G, D, lr=ns["DCGAN_LR"]))

    def train(state, images, labels, steps):
        ns["train_gan"](*state, images, steps, ns["generator_loss_nonsaturating"])

    def judge(state):
        ns["generator"] = snapshot(state[0])  # what generate samples from
        return sample_figures(ns["generate"], lab.DCGAN)

    bar = lab.BARS["dcgan_inception_score"]
    return [Run("dcgan", lab.DATASET, new, train, judge, steps=6000, every=250, until_bars=True, bars={
        f"quality bar (IS >= {bar}, all ten digits)":
            lambda f: f["inception_score"] >= bar and min(f["class_counts"]) > 0 and f["realistic"],
    }, describe=lambda f: f"hidden-judge IS {f['inception_score']:.2f}, clear digits {f['confident_share']:.0%}, "
                          f"{realism_text(f)}, "
                          f"digits present {sum(c > 0 for c in f['class_counts'])}/10")]
