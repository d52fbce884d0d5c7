"""Training time to the bars of the conditional WGAN-GP lab (Fashion-MNIST), on this machine.

    python -m kit.bench_wgan                    # seed 0
    python -m kit.bench_wgan --seeds 0 1 2      # the three seeds the bar was set from
    python -m kit.bench_wgan --threads 1        # torch on one thread (a shared 2-core machine)

Trains the solution's generator and critic from scratch (the model and training code are executed from the
solution notebook, solutions/wgan/wgan.ipynb, or the master when no release is built) and judges the averaged
generator every ``--every`` steps exactly as the autograder does (grading_wgan: label accuracy of
``generate(n, c)`` over 200 samples per class under the hidden Fashion-MNIST judge, as a share of that judge's
accuracy on real test images). Prints the training time to the issue's speed target (85 % of the judge's
real-data accuracy) and to the grading bar.

Seconds are training seconds only (judging excluded): wall-clock and CPU time of this process.
``bench_training()`` is the entry point kit/bench.py can call.
"""
from __future__ import annotations

import argparse
import copy
import os

import torch

from kit import JUDGES
from kit.bench_cgan_vae import Clock, describe

LAB = "wgan"
TARGET_SHARE = 0.85  # the speed target: 85 % of the judge's real-data accuracy within 10 minutes


def load_lab_code() -> dict:
    from kit import bench_cgan_vae

    old = bench_cgan_vae.LAB
    bench_cgan_vae.LAB = LAB
    try:
        return bench_cgan_vae.load_lab_code()
    finally:
        bench_cgan_vae.LAB = old


def bench_wgan(ns: dict, images, labels, seed: int, max_iters: int, every: int) -> dict:
    import grading_wgan as lab

    G, D, G_avg, opt_G, opt_D = ns["new_wgan"](seed=seed)
    clock, history, out = Clock(), None, {"seed": seed, "curve": []}
    while history is None or len(history["critic"]) < max_iters:
        with clock:
            history = ns["train_wgan"](G, D, G_avg, opt_G, opt_D, images, labels, every, history=history)
        ns["wgan"] = copy.deepcopy(G_avg).cpu().eval()  # what generate samples from
        lab.grading._label_cache.clear()
        overall, per_class, _ = lab.label_accuracy(ns["generate"])
        share = lab.share_of_real(overall)
        steps = len(history["critic"])
        out["curve"].append((steps, clock.wall, clock.cpu, overall, share))
        print(f"wgan seed {seed}: {steps:>5} steps, {clock.wall:5.0f} s wall / {clock.cpu:5.0f} s CPU of training: "
              f"label accuracy {overall:.1%} = {share:.1%} of real data "
              f"[{' '.join(f'{a:.0%}' for a in per_class)}]", flush=True)
        if "target" not in out and share >= TARGET_SHARE:
            out["target"] = (steps, clock.wall, clock.cpu)
        if "bar" not in out and share >= lab.QUALITY_BARS["label_accuracy_share"]:
            out["bar"] = (steps, clock.wall, clock.cpu)
    out["final"] = out["curve"][-1]
    return out


def bench_training(seeds=(0,), iters: int = 3000, every: int = 500) -> dict:
    """Train the lab's WGAN-GP from scratch for each seed and print the training time to each bar."""
    import genkit

    import grading

    def hidden_judge(dataset: str = "fashion"):  # in the repository the judges live apart from grading.py
        judge = grading.HiddenJudgeNet()
        genkit.load_checkpoint(JUDGES / f"judge_{dataset}_hidden.pt", judge)
        return judge

    grading.hidden_judge = hidden_judge
    ns = load_lab_code()
    images, labels = genkit.load_tensors("fashion", train=True)
    results = [bench_wgan(ns, images, labels, seed, iters, every) for seed in seeds]
    print(f"\n{LAB}: training time to the bars on {torch.get_num_threads()} torch thread(s), {os.cpu_count()} CPUs")
    for res in results:
        print("  " + describe("wgan", res, "target", f"label accuracy >= {TARGET_SHARE:.0%} of real data"))
        print("  " + describe("wgan", res, "bar", "grading bar"))
    return {"wgan": results}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="*", default=[0])
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--iters", type=int, default=5000)
    ap.add_argument("--every", type=int, default=500)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    bench_training(args.seeds, iters=args.iters, every=args.every)


if __name__ == "__main__":
    main()
