"""Benchmark the kit on this machine and print the figures.

    python -m kit.bench                  # every figure, for every lab
    python -m kit.bench --skip-training  # only build and grading figures
    python -m kit.bench --cores 1        # grade pinned to one core (Gradescope's default gives 0.5 CPU)
    python -m kit.bench --grading-python /path/to/cpu-venv/bin/python   # grade with a CPU-only torch

For each lab: seconds to build it (otter assign, executing the solution, grading it); seconds and peak
resident memory (the whole process tree: otter and its kernel, sampled every 50 ms) to grade the
solution submission; and, for the GAN lab, training seconds on this CPU until the DCGAN's samples clear
the autograder's quality bar (judged by the hidden judge every 250 iterations).
"""
from __future__ import annotations

import argparse
import importlib
import json
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from kit import JUDGES, LABS, ROOT
from kit.build import submission_zip
from kit.grade import otter_env

GRADESCOPE_RAM_MB = 768


def tree_rss_mb(proc: psutil.Process) -> float:
    total = 0
    try:
        tree = [proc, *proc.children(recursive=True)]
    except psutil.Error:  # the process ended between two samples
        return 0.0
    for p in tree:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def run_measured(cmd: list[str], cores: int | None = None, **kw) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run a command; return (seconds, peak RSS of its process tree in MB, completed process)."""
    if cores:
        cmd = ["taskset", "-c", ",".join(str(c) for c in range(cores)), *cmd]
    env = dict(kw.pop("env", None) or os.environ, **({"OMP_NUM_THREADS": str(cores)} if cores else {}))
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, **kw)
    peak = [0.0]

    def sample():
        try:
            ps = psutil.Process(proc.pid)
        except psutil.Error:  # already gone
            return
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(ps))
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, _ = proc.communicate()
    t.join()
    return time.time() - start, peak[0], subprocess.CompletedProcess(cmd, proc.returncode, out, "")


def bench_build_and_grade(lab: str, cores: int | None, grading_python: str = sys.executable) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        secs, peak, proc = run_measured([sys.executable, "-m", "kit.build", "--labs", lab, "--out", tmp], cwd=ROOT)
        if proc.returncode:
            print(proc.stdout[-2000:])
            raise SystemExit(f"{lab}: build failed")
        print(f"{lab}: build {secs:.0f} s (peak RSS {peak:.0f} MB)")
        sol = Path(tmp) / "solutions" / lab
        sub = submission_zip(sol / f"{lab}.ipynb", [p for p in sol.glob("*.pt") if not p.name.startswith("judge_")],
                             Path(tmp) / "submission.zip")
        out = Path(tmp) / "results"
        out.mkdir()
        ag_zip = Path(tmp) / "autograder" / f"{lab}-autograder.zip"
        secs, peak, proc = run_measured([grading_python, "-m", "otter", "run", "-a", str(ag_zip),
                                         "-o", str(out), "--no-logo", str(sub)], cores=cores,
                                        env=otter_env(ag_zip, Path(tmp)))
        if not (out / "results.json").exists():
            print(proc.stdout[-2000:])
            raise SystemExit(f"{lab}: grading wrote no results.json")
        res = json.loads((out / "results.json").read_text())
        score = sum(t.get("score", 0) for t in res["tests"])
        possible = sum(t.get("max_score", 0) for t in res["tests"])
        verdict = "fits" if peak < GRADESCOPE_RAM_MB else "DOES NOT FIT"
        print(f"{lab}: grading the solution ({score:g}/{possible:g}) {secs:.0f} s, peak RSS {peak:.0f} MB "
              f"on {cores or os.cpu_count()} core(s) ({verdict} in Gradescope's {GRADESCOPE_RAM_MB} MB; "
              f"torch {torch_build(grading_python)})")


def torch_build(python: str) -> str:
    return subprocess.run([python, "-c", "import torch; print(torch.__version__)"],
                          capture_output=True, text=True).stdout.strip()


def bench_gan_training(max_iters: int = 6000, every: int = 250) -> None:
    """Train the solution's DCGAN from scratch and report when the hidden judge's bar is cleared."""
    import nbformat
    import torch

    import genkit
    import grading

    sol_dir = ROOT / "solutions" / "gan"
    nb = nbformat.read(sol_dir / "gan.ipynb", as_version=4)
    ns: dict = {}
    cwd = os.getcwd()
    os.chdir(sol_dir)
    try:
        for cell in nb.cells:
            if cell.cell_type == "code" and "otter_ignore" not in cell.metadata.get("tags", []) \
                    and "grader." not in cell.source and "import otter" not in cell.source:
                exec(compile(cell.source, "<solution>", "exec"), ns)
    finally:
        os.chdir(cwd)
    bar = grading.QUALITY_BARS["gan_inception_score"]
    judge = grading.HiddenJudgeNet()
    genkit.load_checkpoint(JUDGES / "judge_mnist_hidden.pt", judge)  # in the repo the judges live apart
    images, _ = genkit.load_tensors("mnist", train=True)
    torch.manual_seed(0)
    G, D = ns["DCGANGenerator"](), ns["DCGANDiscriminator"]()
    opt_G, opt_D = ns["make_optimizers"](G, D)
    trained, seconds = 0, 0.0
    while trained < max_iters:
        start = time.time()
        ns["train_gan"](G, D, opt_G, opt_D, images, every, ns["generator_loss_nonsaturating"])
        seconds += time.time() - start
        trained += every
        G.eval()
        torch.manual_seed(0)
        with torch.no_grad():
            x = ((G(torch.randn(1000, 100)) + 1) / 2).reshape(-1, 28, 28).numpy()
        G.train()
        s = grading.judge_scores(x, judge)
        print(f"gan: DCGAN after {trained} iterations ({seconds:.0f} s of training): hidden-judge IS "
              f"{s['inception_score']:.2f}, clear digits {s['confident_share']:.0%}, "
              f"digits present {sum(c > 0 for c in s['class_counts'])}/10", flush=True)
        if s["inception_score"] >= bar and all(c > 0 for c in s["class_counts"]):
            print(f"gan: quality bar (IS >= {bar}, all ten digits) reached after {trained} iterations, "
                  f"{seconds:.0f} s of training on {torch.get_num_threads()} CPU thread(s)")
            return
    print(f"gan: quality bar IS >= {bar} NOT reached in {max_iters} iterations ({seconds:.0f} s)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labs", nargs="*", default=list(LABS))
    ap.add_argument("--cores", type=int, default=None, help="pin grading to this many cores")
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--grading-python", default=sys.executable,
                    help="Python of the grading environment, e.g. a venv with a CPU-only torch and "
                         "otter-grader[grading] as Gradescope installs it")
    args = ap.parse_args(argv)
    for lab in args.labs:
        bench_build_and_grade(lab, args.cores, args.grading_python)
    if not args.skip_training and "gan" in args.labs:
        bench_gan_training()
    if not args.skip_training and "adversarial" in args.labs:
        # success rate and time of the solution's attack against eps, on one thread
        subprocess.run([sys.executable, str(ROOT / "assignment" / "adversarial" / "make_reference.py"), "--bench"],
                       check=True)
    for lab in args.labs:
        # a lab's own training benchmark, kit/bench_<lab>.py with bench_training(): time to its quality bars
        if not args.skip_training and importlib.util.find_spec(f"kit.bench_{lab}") is not None:
            importlib.import_module(f"kit.bench_{lab}").bench_training()


if __name__ == "__main__":
    main()
