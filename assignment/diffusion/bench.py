"""The diffusion lab's training benchmark and sampling time (run by ``kit.bench``).

    python -m kit.bench --labs diffusion --skip-grading                           # seed 0, and the sampling time
    python -m kit.bench --labs diffusion --skip-grading --seeds 1 2 --threads 1   # other training seeds
    python -m kit.bench --labs diffusion --skip-grading --steps diffusion=0       # the sampling time only

Trains the solution's U-Net from scratch (Adam at the notebook's DIFF_LR, EMA copy, train_diffusion) and judges the
EMA copy every 500 steps as the autograder does (grading_diffusion: hidden MNIST judge, SAMPLES_PER_CLASS samples per
digit from ``generate``, i.e. DDIM with the notebook's SAMPLE_STEPS and GUIDANCE); timed to the issue's target
(99 % label accuracy) and to the grading bars.  ``report`` prints the time ``generate`` takes for 500 images
(50 per digit) with the reference checkpoint.
"""
from __future__ import annotations

import copy
import time
from pathlib import Path

import torch

import genkit
from kit.bench import Run, per_class_text, realism_text, sample_figures, snapshot
from kit.labs import get

LAB = get(Path(__file__).resolve().parent.name)
TARGET = 0.99  # the speed target: hidden-judge label accuracy within 6 minutes of training


def runs(ns: dict) -> list[Run]:
    lab = LAB.grading

    def new(seed):
        torch.manual_seed(seed)
        model = ns["UNet"]().to(ns["device"])
        return {"model": model, "ema": copy.deepcopy(model), "history": None,
                "opt": torch.optim.Adam(model.parameters(), lr=ns["DIFF_LR"])}

    def train(state, images, labels, steps):
        state["history"] = ns["train_diffusion"](state["model"], state["ema"], state["opt"], images, labels, steps,
                                                 history=state["history"])

    def judge(state):
        ns["unet"] = snapshot(state["ema"])  # what generate samples from
        return sample_figures(ns["generate"], lab.DIFFUSION)

    bars = lab.BARS
    return [Run("diffusion", lab.DATASET, new, train, judge, steps=4000, every=500, bars={
        f"label accuracy >= {TARGET:.0%}": lambda f: f["accuracy"] >= TARGET,
        f"grading bars (label accuracy >= {bars['diffusion_label_accuracy']:.0%}, worst digit >= "
        f"{bars['diffusion_min_class_accuracy']:.0%})":
            lambda f: f["accuracy"] >= bars["diffusion_label_accuracy"]
            and f["worst"] >= bars["diffusion_min_class_accuracy"] and f["realistic"],
    }, describe=lambda f: f"label accuracy {f['accuracy']:.1%}, worst digit {f['worst']:.0%}, {realism_text(f)} "
                          f"{per_class_text(f['per_class'])}")]


def report(ns: dict, per_class: int = 50) -> None:
    """Seconds generate() takes for ``per_class`` images of each digit with the reference checkpoint."""
    ref = LAB.reference / "diffusion_unet.pt"
    if not ref.exists():
        print(f"{LAB.name}: no {ref.name} in {LAB.reference}; sampling time not measured")
        return
    ns["unet"] = ns["UNet"]()
    genkit.load_checkpoint(ref, ns["unet"])
    ns["generate"](2, 0)  # warm-up
    start = time.perf_counter()
    for c in range(10):
        ns["generate"](per_class, c)
    print(f"{LAB.name}: generate(): {10 * per_class} images ({per_class} per digit, DDIM {ns['SAMPLE_STEPS']} steps, "
          f"w = {ns['GUIDANCE']}) in {time.perf_counter() - start:.1f} s with the reference checkpoint, "
          f"{torch.get_num_threads()} torch thread(s)", flush=True)
