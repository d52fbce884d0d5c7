"""Training time to the bars of the conditional GAN / VAE lab, on this machine.

    python -m kit.bench_cgan_vae                    # seed 0: CGAN and VAE
    python -m kit.bench_cgan_vae --seeds 0 1 2      # the three seeds the bars were set from
    python -m kit.bench_cgan_vae --threads 1        # torch on one thread (a shared 2-core machine)

Trains the solution's CGAN and VAE from scratch (the model and training code are executed from the solution
notebook, solutions/cgan_vae/cgan_vae.ipynb, or the master when no release is built) and judges them every
``--every`` steps exactly as the autograder does (grading_cgan_vae, hidden MNIST judge):

* CGAN: label accuracy of ``generate(n, c)`` over 200 samples per digit, overall and for the worst digit;
  the time to the issue's speed target (98 % label accuracy) and to the grading bars is printed;
* VAE: the judge score (Inception Score with the hidden judge) of 1000 prior samples; the time to the
  grading bar is printed.

Seconds are training seconds only (judging excluded): wall-clock and CPU time of this process.
``bench_training()`` is the entry point kit/bench.py can call.
"""
from __future__ import annotations

import argparse
import copy
import os
import time

import nbformat
import torch

from kit import ASSIGNMENT, JUDGES, ROOT

LAB = "cgan_vae"
CGAN_TARGET = 0.98  # the speed target: hidden-judge label accuracy within 3 minutes of training


def load_lab_code() -> dict:
    """Execute the lab notebook's non-training code cells; return its namespace (models, train_*, generate).

    Cells that load a submitted checkpoint are skipped when the checkpoint is not there.
    """
    import genkit

    sol = ROOT / "solutions" / LAB / f"{LAB}.ipynb"
    path = sol if sol.exists() else ASSIGNMENT / LAB / f"{LAB}.ipynb"
    nb = nbformat.read(path, as_version=4)
    ns: dict = {}
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        for cell in nb.cells:
            src = cell.source
            if cell.cell_type != "code" or "otter_ignore" in cell.metadata.get("tags", []) \
                    or "grader." in src or src.lstrip().startswith(("import otter", '"""', "def test_")):
                continue
            try:
                exec(compile(src, f"<{path.name}>", "exec"), ns)
            except genkit.CheckpointError:
                pass
    finally:
        os.chdir(cwd)
    return ns


class Clock:
    """Wall-clock and CPU seconds spent inside ``with clock:`` blocks."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


def bench_cgan(ns: dict, images, labels, seed: int, max_iters: int, every: int) -> dict:
    import grading
    import grading_cgan_vae as lab

    G, D, G_avg, opt_G, opt_D = ns["new_gan"](ns["N_CLASSES"], seed=seed)
    clock, history, out = Clock(), None, {"seed": seed, "curve": []}
    bars = lab.QUALITY_BARS
    while history is None or len(history["D"]) < max_iters:
        with clock:
            history = ns["train_cgan"](G, D, G_avg, opt_G, opt_D, images, labels, every, history=history)
        ns["cgan"] = copy.deepcopy(G_avg).cpu().eval()  # what generate samples from
        grading._label_cache.clear()
        overall, per_class, _ = lab.label_accuracy(ns["generate"])
        steps = len(history["D"])
        out["curve"].append((steps, clock.wall, clock.cpu, overall, float(per_class.min())))
        print(f"cgan seed {seed}: {steps:>5} steps, {clock.wall:5.0f} s wall / {clock.cpu:5.0f} s CPU of training: "
              f"label accuracy {overall:.1%}, worst digit {per_class.min():.0%} "
              f"[{' '.join(f'{a:.0%}' for a in per_class)}]", flush=True)
        if "target" not in out and overall >= CGAN_TARGET:
            out["target"] = (steps, clock.wall, clock.cpu)
        if "bar" not in out and overall >= bars["cgan_label_accuracy"] \
                and per_class.min() >= bars["cgan_min_class_accuracy"]:
            out["bar"] = (steps, clock.wall, clock.cpu)
    out["final"] = out["curve"][-1]
    return out


def bench_vae(ns: dict, images, seed: int, max_iters: int, every: int) -> dict:
    import grading_cgan_vae as lab

    torch.manual_seed(seed)
    model = ns["VAE"]().to(ns["device"])
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    clock, history, out = Clock(), None, {"seed": seed, "curve": []}
    while history is None or len(history["loss"]) < max_iters:
        with clock:
            history = ns["train_vae"](model, opt, images, every, history=history)
        ns["vae"] = copy.deepcopy(model).cpu().eval()
        lab._cache.clear()
        scores = lab.vae_quality(ns["vae_generate"])
        steps = len(history["loss"])
        recon, kl = (sum(history[k][-50:]) / 50 for k in ("recon", "kl"))
        out["curve"].append((steps, clock.wall, clock.cpu, scores["inception_score"], min(scores["class_counts"])))
        print(f"vae seed {seed}: {steps:>5} steps, {clock.wall:5.0f} s wall / {clock.cpu:5.0f} s CPU of training: "
              f"recon {recon:.1f}, KL {kl:.1f}; judge score {scores['inception_score']:.2f}, "
              f"per digit {scores['class_counts']}", flush=True)
        if "bar" not in out and scores["inception_score"] >= lab.QUALITY_BARS["vae_judge_score"] \
                and min(scores["class_counts"]) > 0:
            out["bar"] = (steps, clock.wall, clock.cpu)
    out["final"] = out["curve"][-1]
    return out


def describe(name: str, res: dict, key: str, what: str) -> str:
    if key in res:
        steps, wall, cpu = res[key]
        return f"{name} seed {res['seed']}: {what} after {steps} steps, {wall:.0f} s wall / {cpu:.0f} s CPU of training"
    return f"{name} seed {res['seed']}: {what} NOT reached in {res['final'][0]} steps ({res['final'][1]:.0f} s wall)"


def bench_training(seeds=(0,), cgan_iters: int = 9000, cgan_every: int = 500, vae_iters: int = 3000,
                   vae_every: int = 250, parts=("cgan", "vae")) -> dict:
    """Train the lab's CGAN and VAE from scratch for each seed and print the training time to each bar."""
    import genkit

    import grading

    def hidden_judge(dataset: str = "mnist"):  # in the repository the judges live apart from grading.py
        judge = grading.HiddenJudgeNet()
        genkit.load_checkpoint(JUDGES / f"judge_{dataset}_hidden.pt", judge)
        return judge

    grading.hidden_judge = hidden_judge
    ns = load_lab_code()
    images, labels = genkit.load_tensors("mnist", train=True)
    results = {"cgan": [], "vae": []}
    for seed in seeds:
        if "cgan" in parts:
            results["cgan"].append(bench_cgan(ns, images, labels, seed, cgan_iters, cgan_every))
        if "vae" in parts:
            results["vae"].append(bench_vae(ns, images, seed, vae_iters, vae_every))
    print(f"\n{LAB}: training time to the bars on {torch.get_num_threads()} torch thread(s), {os.cpu_count()} CPUs")
    for res in results["cgan"]:
        print("  " + describe("cgan", res, "target", f"label accuracy >= {CGAN_TARGET:.0%}"))
        print("  " + describe("cgan", res, "bar", "grading bars"))
    for res in results["vae"]:
        print("  " + describe("vae", res, "bar", "grading bar (judge score, all digits)"))
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="*", default=[0])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--cgan-iters", type=int, default=9000)
    ap.add_argument("--vae-iters", type=int, default=3000)
    ap.add_argument("--parts", nargs="*", default=["cgan", "vae"], choices=["cgan", "vae"])
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    bench_training(args.seeds, cgan_iters=args.cgan_iters, vae_iters=args.vae_iters, parts=args.parts)


if __name__ == "__main__":
    main()
