"""Training time to the bars of the diffusion lab, and sampling time, on this machine.

    python -m kit.bench_diffusion                    # seed 0
    python -m kit.bench_diffusion --seeds 0 1 2      # the seeds the bars were set from
    python -m kit.bench_diffusion --threads 1        # torch on one thread (a shared 2-core machine)
    python -m kit.bench_diffusion --sampling-only    # time generate() of the reference checkpoint only

Trains the solution's U-Net from scratch (the model, training and sampling code are executed from the
solution notebook, solutions/diffusion/diffusion.ipynb, or the master when no release is built) and judges
it every ``--every`` steps exactly as the autograder does (grading_diffusion: hidden MNIST judge, 50 samples
per digit from ``generate``, i.e. DDIM with the notebook's SAMPLE_STEPS and GUIDANCE). Prints the training
time to the issue's target (99 % label accuracy) and to the grading bars, and the time ``generate`` takes
for 500 images (50 per digit) with the reference checkpoint.

Seconds are training seconds only (judging excluded): wall-clock and CPU time of this process.
"""
from __future__ import annotations

import argparse
import copy
import os
import time

import torch

from kit import ASSIGNMENT, JUDGES
from kit.bench_cgan_vae import Clock, load_lab_code as _load_lab_code

LAB = "diffusion"
TARGET = 0.99  # the speed target: hidden-judge label accuracy within 6 minutes of training


def load_lab_code() -> dict:
    import kit.bench_cgan_vae as base

    old = base.LAB
    base.LAB = LAB
    try:
        return _load_lab_code()
    finally:
        base.LAB = old


def use_repository_judges() -> None:
    """In the repository the judges live apart from grading.py."""
    import genkit
    import grading

    def hidden_judge(dataset: str = "mnist"):
        judge = grading.HiddenJudgeNet()
        genkit.load_checkpoint(JUDGES / f"judge_{dataset}_hidden.pt", judge)
        return judge

    grading.hidden_judge = hidden_judge


def time_sampling(ns: dict, per_class: int = 50) -> float:
    """Seconds generate() takes for per_class images of each digit."""
    start = time.perf_counter()
    for c in range(10):
        ns["generate"](per_class, c)
    return time.perf_counter() - start


def bench_seed(ns: dict, images, labels, seed: int, max_iters: int, every: int) -> dict:
    import grading
    import grading_diffusion as lab

    torch.manual_seed(seed)
    model = ns["UNet"]().to(ns["device"])
    ema = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    clock, history, out = Clock(), None, {"seed": seed, "curve": []}
    bars = lab.QUALITY_BARS
    while history is None or len(history["loss"]) < max_iters:
        with clock:
            history = ns["train_diffusion"](model, ema, opt, images, labels, every, history=history)
        ns["unet"] = copy.deepcopy(ema).cpu().eval()  # what generate samples from
        grading._label_cache.clear()
        overall, per_class, _ = lab.label_accuracy(ns["generate"])
        steps = len(history["loss"])
        out["curve"].append((steps, clock.wall, clock.cpu, overall, float(per_class.min())))
        print(f"seed {seed}: {steps:>5} steps, {clock.wall:5.0f} s wall / {clock.cpu:5.0f} s CPU of training: "
              f"label accuracy {overall:.1%}, worst digit {per_class.min():.0%} "
              f"[{' '.join(f'{a:.0%}' for a in per_class)}]", flush=True)
        if "target" not in out and overall >= TARGET:
            out["target"] = (steps, clock.wall, clock.cpu)
        if "bar" not in out and overall >= bars["label_accuracy"] and per_class.min() >= bars["min_class_accuracy"]:
            out["bar"] = (steps, clock.wall, clock.cpu)
    out["final"] = out["curve"][-1]
    return out


def describe(res: dict, key: str, what: str) -> str:
    if key in res:
        steps, wall, cpu = res[key]
        return f"seed {res['seed']}: {what} after {steps} steps, {wall:.0f} s wall / {cpu:.0f} s CPU of training"
    return f"seed {res['seed']}: {what} NOT reached in {res['final'][0]} steps ({res['final'][1]:.0f} s wall)"


def bench_training(seeds=(0,), iters: int = 4000, every: int = 500, sampling_only: bool = False) -> dict:
    """Train the lab's U-Net from scratch for each seed and print the training time to each bar."""
    import genkit

    use_repository_judges()
    ns = load_lab_code()
    ref = ASSIGNMENT / LAB / "reference" / "diffusion_unet.pt"
    results = {"training": []}
    if ref.exists():
        unet = ns["UNet"]()
        genkit.load_checkpoint(ref, unet)
        ns["unet"] = unet
        ns["generate"](2, 0)  # warm-up
        results["sampling_s"] = time_sampling(ns)
    if not sampling_only:
        images, labels = genkit.load_tensors("mnist", train=True)
        for seed in seeds:
            results["training"].append(bench_seed(ns, images, labels, seed, iters, every))
    print(f"\n{LAB}: on {torch.get_num_threads()} torch thread(s), {os.cpu_count()} CPUs")
    if "sampling_s" in results:
        print(f"  generate(): 500 images (50 per digit, DDIM {ns['SAMPLE_STEPS']} steps, w = {ns['GUIDANCE']}) "
              f"in {results['sampling_s']:.1f} s with the reference checkpoint")
    for res in results["training"]:
        print("  " + describe(res, "target", f"label accuracy >= {TARGET:.0%}"))
        print("  " + describe(res, "bar", "grading bars"))
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="*", default=[0])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--iters", type=int, default=4000)
    ap.add_argument("--every", type=int, default=500)
    ap.add_argument("--sampling-only", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    bench_training(args.seeds, iters=args.iters, every=args.every, sampling_only=args.sampling_only)


if __name__ == "__main__":
    main()
