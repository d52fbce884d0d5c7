"""Benchmark the kit on this machine and print the figures.

    python -m kit.bench                  # every figure, for every lab
    python -m kit.bench --skip-training  # only build and grading figures
    python -m kit.bench --skip-grading   # only the labs' training benchmarks and reports
    python -m kit.bench --cores 1        # grade pinned to one core (Gradescope's default gives 0.5 CPU)
    python -m kit.bench --grading-python /path/to/cpu-venv/bin/python   # grade with a CPU-only torch
    python -m kit.bench --labs wgan --skip-grading --seeds 1 2 --threads 1   # time to the bars, two seeds
    python -m kit.bench --labs cgan_vae --skip-grading --steps cgan=3000 vae=500 --every 250

For each lab: seconds to build it (otter assign, executing the solution, grading it); seconds and peak
resident memory (the whole process tree: otter and its kernel, sampled every 50 ms) to grade the
solution submission, and the same grading in Gradescope's box (../shared/tools/gradescope-box: 768 MB, 0.5 CPU)
where it exists, and each reference model's figures from that grading's results.json (``reference_lines``);
then the lab's own benchmark, ``assignment/<lab>/bench.py``:

* ``runs(ns) -> list[Run]`` (ns: the namespace of the lab's solution code, ``kit.notebook.lab_code``): each
  Run trains the solution's models from scratch per seed, in chunks of ``every`` steps, judges them after
  each chunk exactly as the autograder does, and prints the training time (wall and CPU seconds of this
  process, judging excluded) until each of its bars holds;
* ``report(ns)`` (optional): figures that are not a training loop (sampling time, an attack's success rate).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import psutil

from kit import ROOT
from kit.build import submission_zip
from kit.grade import autograder_folder, grading_env, grading_python
from kit.labs import LABS, get

GRADESCOPE_RAM_MB = 768
# The references' realism (FD / floor with the hidden judge, as the build's grading measures it) as reached on the
# CPU budget, with margin: make bench fails when one regresses past its target.  Reached: CGAN 1.3, diffusion 3.0-3.3,
# DCGAN 24.9, cWGAN-GP 53.8, VAE 45.9.
REFERENCE_FD_TARGETS = {"cgan": 1.5, "diffusion": 3.5, "dcgan": 30.0, "wgan": 60.0, "vae": 55.0}
HEADROOM_MB = 576  # a quarter of Gradescope's default left to spare
# A box shaped like Gradescope's default container (768 MB memory cgroup, 0.5 CPU): where it exists, the solution
# is graded in it too, and its own figures (time, peak memory as the cgroup counts it, OOM kills) are printed.
BOX = ROOT.parent / "shared" / "tools" / "gradescope-box"


# --------------------------------------------------------------------------
# Build and grade
# --------------------------------------------------------------------------


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


def bench_build_and_grade(lab: str, cores: int | None, grading_python: str = sys.executable) -> dict:
    """Build the lab into a temporary release, grade its solution with the autograder zip; print the figures and return
    them ({"grading": ..., "references": ...}, as docs/bench.json keeps them)."""
    record: dict = {"grading": {}, "references": {}}
    with tempfile.TemporaryDirectory() as tmp:
        secs, peak, proc = run_measured([sys.executable, "-m", "kit.build", "--labs", lab, "--out", tmp], cwd=ROOT)
        if proc.returncode:
            print(proc.stdout[-2000:])
            raise SystemExit(f"{lab}: build failed")
        print(f"{lab}: build {secs:.0f} s (peak RSS {peak:.0f} MB)")
        sol = Path(tmp) / "solutions" / lab
        sub = submission_zip(sol / f"{lab}.ipynb", [sol / f for f in get(lab).student_files],
                             Path(tmp) / "submission.zip")
        ag_zip = Path(tmp) / "autograder" / f"{lab}-autograder.zip"

        def entry_point(name: str) -> tuple[Path, list[str]]:
            """An autograder-shaped folder for the solution, and the zip's own entry point on it (as Gradescope)."""
            ag = autograder_folder(sub, ag_zip, Path(tmp) / name)
            return ag, [grading_python, str(ag / "source" / "run_otter.py"), str(ag)]

        ag, cmd = entry_point("grading")
        secs, peak, proc = run_measured(cmd, cores=cores, env=grading_env(threads=cores or None))
        if not (ag / "results" / "results.json").exists():
            print(proc.stdout[-2000:])
            raise SystemExit(f"{lab}: grading wrote no results.json")
        res = json.loads((ag / "results" / "results.json").read_text())
        score = sum(t.get("score", 0) for t in res["tests"])
        possible = sum(t.get("max_score", 0) for t in res["tests"])
        if score < possible:  # the solution should get every point: say why it did not
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
        verdict = "fits" if peak < GRADESCOPE_RAM_MB else "DOES NOT FIT"
        print(f"{lab}: grading the solution ({score:g}/{possible:g}) {secs:.0f} s, peak RSS {peak:.0f} MB "
              f"on {cores or os.cpu_count()} core(s) ({verdict} in Gradescope's {GRADESCOPE_RAM_MB} MB; "
              f"torch {torch_build(grading_python)})")
        for line in reference_lines(lab, res.get("extra_data", {})):
            print(line)
        record["grading"] = {"score": f"{score:g}/{possible:g}", "seconds": round(secs, 1), "peak_rss_mb": round(peak),
                             "box": {}}
        keep = ("fd_ratio", "coverage_min", "label_accuracy", "inception_score", "success", "agreement")
        record["references"] = {model: {"lab": lab, **{k: f[k] for k in keep if isinstance(f.get(k), (int, float))}}
                                for model, f in (res.get("extra_data") or {}).get("samples", {}).items()}
        for model in record["references"]:
            seconds = stored_train_seconds(lab, model)
            if seconds is not None:
                record["references"][model]["train_seconds"] = seconds
        if BOX.exists():
            for mem in (GRADESCOPE_RAM_MB, HEADROOM_MB):
                ag, cmd = entry_point(f"box-{mem}")
                proc = subprocess.run([str(BOX), "--mem", str(mem), "--", *cmd], capture_output=True, text=True,
                                      env=grading_env(threads=1))
                report = next((line for line in proc.stderr.splitlines() if line.startswith("gradescope-box:")),
                              "gradescope-box: no report")
                graded = "no results.json"
                if (ag / "results" / "results.json").exists():
                    tests = json.loads((ag / "results" / "results.json").read_text())["tests"]
                    graded = f"{sum(t.get('score', 0) for t in tests):g}/{sum(t.get('max_score', 0) for t in tests):g}"
                print(f"{lab}: grading the solution in Gradescope's box, {mem} MB ({graded}): "
                      f"{report[len('gradescope-box: '):]}")
                peak_box = re.search(r"exit \S+, ([\d.]+) s, peak (\d+) MB", report)
                if peak_box:
                    record["grading"]["box"][str(mem)] = {"score": graded, "seconds": float(peak_box.group(1)),
                                                          "peak_mb": int(peak_box.group(2))}
                else:
                    record["grading"].setdefault("box_failed", []).append(f"{mem} MB: {report}")
    return record


def stored_train_seconds(lab: str, model: str) -> float | None:
    """The training seconds stored in the reference checkpoint of ``model`` (a judged draw of ``lab``), if any."""
    import torch

    specs = getattr(get(lab).grading, "JUDGED", {})
    draw = next((s.draw for s in specs.values() if s.draw.name == model), None)
    path = get(lab).reference / draw.checkpoint if draw is not None and draw.checkpoint else None
    if path is None or not path.exists():
        return None
    seconds = torch.load(path, weights_only=True).get("train_seconds")
    return round(float(seconds), 1) if isinstance(seconds, (int, float)) else None


def write_bench(records: dict[str, dict], path: Path) -> None:
    """Merge the grading figures of ``records`` ({lab: bench_build_and_grade's record}) into ``path`` (docs/bench.json):
    what kit.docs writes the docs' tables from."""
    import platform

    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault("grading", {})
    data.setdefault("references", {})
    for lab, record in records.items():
        data["grading"][lab] = record["grading"]
        data["references"] = {m: f for m, f in data["references"].items() if f.get("lab") != lab}
        data["references"].update(record["references"])
    data["machine"] = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def reference_lines(lab: str, extra: dict) -> list[str]:
    """The lab's reference models as the autograder judged them in the solution's grading (results.json's
    ``extra_data``): realism (FD / floor), variety (the least varied class's pixel spread and its coverage in the
    hidden judge's features), label accuracy overall and for the worst class (conditional models) or the Inception
    Score, and the training seconds stored with
    each reference checkpoint."""
    draws = {spec.draw.name: spec.draw for spec in getattr(get(lab).grading, "JUDGED", {}).values()
             if hasattr(spec, "draw") and hasattr(spec.draw, "checkpoint")}
    lines = []
    for name, f in extra.get("samples", {}).items():
        if "fd_ratio" not in f:
            continue
        parts = [f"FD/floor {f['fd_ratio']:.1f}", f"agreement {f.get('agreement', float('nan')):.2f}"]
        if "per_class" in f:
            parts += [f"label accuracy {f['label_accuracy']:.1%} (worst class {min(f['per_class']):.0%})",
                      f"least varied class's spread {min(f['class_spread']):.3f}"]
        else:
            parts += [f"IS {f['inception_score']:.2f}", f"spread {f['spread']:.3f}"]
        if f.get("coverage_min") is not None:
            parts.append(f"least covered class's coverage {f['coverage_min']:.2f}")
        draw = draws.get(name)
        ckpt = get(lab).reference / draw.checkpoint if draw else None
        if ckpt is not None and ckpt.exists():
            seconds = torch_load_extra(ckpt).get("train_seconds")
            parts.append(f"trained in {seconds:.0f} s" if seconds is not None else "training time not recorded")
        lines.append(f"{lab}: reference {name}: " + ", ".join(parts))
    if extra.get("grading_seconds") is not None:
        lines.append(f"{lab}: drawing and judging the samples: {extra['grading_seconds']:.0f} s")
    return lines


def torch_load_extra(path) -> dict:
    """What a checkpoint written by genkit.save_checkpoint stores beside its weights."""
    import torch

    saved = torch.load(path, map_location="cpu", weights_only=False)
    return {k: v for k, v in saved.items() if k != "state_dict"}


def torch_build(python: str) -> str:
    return subprocess.run([python, "-c", "import torch; print(torch.__version__)"],
                          capture_output=True, text=True).stdout.strip()


# --------------------------------------------------------------------------
# Train and judge: one loop for every lab's runs
# --------------------------------------------------------------------------


class Clock:
    """Wall-clock and CPU seconds spent inside ``with clock:`` blocks."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.process_time()

    def __exit__(self, *exc):
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


@dataclass
class Run:
    """One training benchmark of a lab: what to train, how to judge it and the bars to time.

    * ``new(seed)``: a fresh state (models, optimisers, history: any object ``train`` and ``judge`` share);
    * ``train(state, images, labels, steps)``: continue training for ``steps`` steps (timed);
    * ``judge(state)``: the figures of the state's samples, a dict (not timed; grading's caches are cleared first);
    * ``bars``: {label: predicate(figures) -> bool}; the first chunk at which each holds is recorded;
    * ``describe(figures)``: the figures in one line;
    * ``until_bars``: stop a seed once every bar holds (else train all ``steps``).
    """
    name: str
    dataset: str
    new: Callable[[int], Any]
    train: Callable[[Any, Any, Any, int], None]
    judge: Callable[[Any], dict]
    bars: dict[str, Callable[[dict], bool]]
    steps: int
    every: int
    describe: Callable[[dict], str]
    until_bars: bool = False


_data: dict = {}


def training_set(dataset: str):
    """(images, labels) of ``dataset``'s training set, loaded once."""
    import genkit

    if dataset not in _data:
        _data[dataset] = genkit.load_tensors(dataset, train=True)
    return _data[dataset]


def train_and_judge(run: Run, seed: int) -> dict:
    """Train ``run`` from scratch with ``seed`` in chunks of ``run.every`` steps, judging after each; print a line
    per chunk.  Returns {'seed', 'curve': [(steps, wall, cpu, figures)], 'reached': {bar: (steps, wall, cpu)}}."""
    import grading

    images, labels = training_set(run.dataset)
    state, clock, steps = run.new(seed), Clock(), 0
    out = {"seed": seed, "curve": [], "reached": {}}
    while steps < run.steps:
        chunk = min(run.every, run.steps - steps)
        with clock:
            run.train(state, images, labels, chunk)
        steps += chunk
        try:
            figures, text = run.judge(state), None
        except grading.SubmissionError as exc:  # e.g. an early generator that draws the same image every time
            figures, text = None, f"rejected by grading: {exc}"
        out["curve"].append((steps, clock.wall, clock.cpu, figures))
        print(f"{run.name} seed {seed}: {steps:>5} steps, {clock.wall:5.0f} s wall / {clock.cpu:5.0f} s CPU of "
              f"training: {text or run.describe(figures)}", flush=True)
        for label, holds in run.bars.items():
            if figures is not None and label not in out["reached"] and holds(figures):
                out["reached"][label] = (steps, clock.wall, clock.cpu)
        if run.until_bars and len(out["reached"]) == len(run.bars):
            break
    return out


def time_to_bars(run: Run, res: dict) -> list[str]:
    """One line per bar: the training time at which it was first reached, or NOT reached."""
    steps, wall = res["curve"][-1][:2] if res["curve"] else (0, 0.0)
    lines = []
    for label in run.bars:
        if label in res["reached"]:
            s, w, c = res["reached"][label]
            lines.append(f"{run.name} seed {res['seed']}: {label} after {s} steps, {w:.0f} s wall / {c:.0f} s CPU "
                         "of training")
        else:
            lines.append(f"{run.name} seed {res['seed']}: {label} NOT reached in {steps} steps ({wall:.0f} s wall)")
    return lines


def bench_runs(lab: str, runs: list[Run], seeds) -> None:
    """Every run (but those given 0 steps) for every seed, then the summary: time to each bar."""
    import torch

    results = [(run, train_and_judge(run, seed)) for run in runs if run.steps > 0 for seed in seeds]
    if not results:
        return
    print(f"\n{lab}: training time to the bars on {torch.get_num_threads()} torch thread(s), {os.cpu_count()} CPUs")
    for run, res in results:
        for line in time_to_bars(run, res):
            print("  " + line)


def snapshot(model):
    """A frozen CPU copy of ``model`` in eval mode: what a lab's generate samples from while training goes on."""
    import copy

    return copy.deepcopy(model).cpu().eval()


def sample_figures(generate, draw) -> dict:
    """``generate`` judged as the lab's autograder judges it (grading.measure of the grading module's Draw ``draw``):
    every figure of grading.draw_figures, plus 'realistic' (the realism and coverage bars hold) and, for a
    conditional model, 'accuracy' and 'worst' (the worst class's label accuracy)."""
    import grading

    f = grading.measure(draw, generate)
    f["realistic"] = (f["fd_ratio"] <= draw.fd_bar and f["agreement"] >= draw.agreement_bar
                      and (f.get("coverage_min") is None or f["coverage_min"] >= grading.COVERAGE_BAR))
    if draw.per_class:
        f.update(accuracy=f["label_accuracy"], worst=min(f["per_class"]))
    return f


def realism_text(f) -> str:
    """The realism figures of sample_figures in a few words."""
    coverage = "" if f.get("coverage_min") is None else f", least covered class {f['coverage_min']:.2f}"
    return f"FD/floor {f['fd_ratio']:.1f}, second-judge agreement {f['agreement']:.2f}{coverage}"


def per_class_text(per) -> str:
    """Per-class shares as ``[99% 98% ...]``."""
    return "[" + " ".join(f"{a:.0%}" for a in per) + "]"


def lab_benchmarks(labs: list[str]) -> list[tuple[str, Any, dict, list[Run]]]:
    """(lab, its bench module, its solution namespace, its runs) for each lab that has a bench.py."""
    from kit.notebook import lab_code

    plan = []
    for lab in labs:
        mod = get(lab).module("bench")
        if mod is None:
            continue
        ns = lab_code(lab)
        plan.append((lab, mod, ns, mod.runs(ns) if hasattr(mod, "runs") else []))
    return plan


def apply_overrides(plan, steps: list[str], every: int | None) -> None:
    """``--steps NAME=N`` and ``--every N`` on the planned runs (an unknown run name stops with the known ones)."""
    runs = {run.name: run for *_, lab_runs in plan for run in lab_runs}
    if len(runs) < sum(len(lab_runs) for *_, lab_runs in plan):
        raise SystemExit("two runs share a name: give each Run of the labs' bench.py its own")
    for item in steps:
        name, _, n = item.partition("=")
        if name not in runs or not n.isdigit():
            raise SystemExit(f"--steps {item}: expected NAME=N with NAME one of {', '.join(runs) or '(no runs)'}")
        runs[name].steps = int(n)
    if every is not None and every < 1:
        raise SystemExit(f"--every {every}: expected a positive number of steps")
    for run in runs.values():
        run.every = every or run.every


def bench_training(labs: list[str], seeds, threads: int | None, steps=(), every: int | None = None) -> None:
    """Each lab's report and runs (``assignment/<lab>/bench.py``), on ``threads`` torch threads."""
    import torch

    threads = threads or torch.get_num_threads()
    plan = lab_benchmarks(labs)
    apply_overrides(plan, list(steps), every)
    for lab, mod, ns, runs in plan:
        torch.set_num_threads(threads)  # a lab's modules may set their own (grading_adversarial uses one)
        if hasattr(mod, "report"):
            mod.report(ns)
        if runs:
            bench_runs(lab, runs, seeds)


def bench_grading_jobs(n: int, lab: str = "gan") -> None:
    """Grade n copies of a lab's solution (the committed solutions/<lab>/ and autograder/<lab>-autograder.zip)
    with --jobs 2, then --jobs 1 (kit.classgrade.grade_class, one torch thread per grading); print both wall
    times, their ratio, and what 300 submissions would take on 16 cores at the measured time per submission.

        python -m kit.bench --grading-jobs 4
        python -m kit.bench --grading-jobs 4 --labs wgan

    --jobs 2 runs first, so warming the file cache can only favour --jobs 1.
    """
    import shutil

    from kit.classgrade import grade_class

    if n < 1:
        raise SystemExit(f"--grading-jobs {n}: expected at least 1 submission")
    sol, ag_zip = ROOT / "solutions" / lab, ROOT / "autograder" / f"{lab}-autograder.zip"
    if not ag_zip.exists():
        raise SystemExit(f"no autograder at {ag_zip}: run `make release` first")
    walls = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        first = submission_zip(sol / f"{lab}.ipynb", [sol / f for f in get(lab).student_files], folder / "s000.zip")
        for i in range(1, n):
            shutil.copy(first, folder / f"s{i:03d}.zip")
        paths = sorted(folder.iterdir())
        for jobs in (2, 1):
            start = time.perf_counter()
            rows, _, _ = grade_class(paths, Path(tmp) / f"results-{jobs}", lab, ag_zip, jobs=jobs, threads=1,
                                     show=False)
            walls[jobs] = time.perf_counter() - start
            wrong = [r["name"] for r in rows if r["errors"] or r["total"] < r["possible"]]
            if wrong:
                raise SystemExit(f"{lab}: the solution copies {', '.join(wrong)} did not get full marks with "
                                 f"--jobs {jobs}: {rows[0]['errors']}")
            print(f"{lab}: {n} submissions with --jobs {jobs}: {walls[jobs]:.0f} s wall "
                  f"({walls[jobs] / n:.1f} s per submission)", flush=True)
    ratio, per = walls[2] / walls[1], walls[1] / n
    efficiency = min(1.0, walls[1] / (2 * walls[2]))
    print(f"{lab}: --jobs 2 takes {ratio:.2f}x the wall time of --jobs 1 (a speed-up of {1 / ratio:.2f}x; "
          f"{os.cpu_count()} CPUs here; load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"{lab}: 300 submissions at {per:.1f} s each: {300 * per / 60:.0f} min on one core; on 16 cores "
          f"(--jobs 16) {300 * per / 16 / 60:.1f} min if gradings do not slow each other down, "
          f"{300 * per / (16 * efficiency) / 60:.1f} min at the efficiency measured here from 1 to 2 "
          f"({efficiency:.0%}); each grading needs about 0.7 GB of memory")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labs", nargs="*", default=list(LABS))
    ap.add_argument("--cores", type=int, default=None, help="pin grading to this many cores")
    ap.add_argument("--skip-training", action="store_true", help="only build and grading figures")
    ap.add_argument("--skip-grading", action="store_true", help="only the labs' training benchmarks and reports")
    ap.add_argument("--json", type=Path, help="merge the grading figures into this file (make bench: docs/bench.json)")
    ap.add_argument("--grading-python", default=sys.executable,
                    help="Python of the grading environment, e.g. a venv with a CPU-only torch and "
                         "otter-grader[grading] as Gradescope installs it")
    ap.add_argument("--seeds", type=int, nargs="*", default=[0], help="training seeds of every run")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    ap.add_argument("--steps", nargs="*", default=[], metavar="NAME=N", help="train run NAME for N steps")
    ap.add_argument("--every", type=int, default=None, help="judge every run every N steps")
    ap.add_argument("--grading-jobs", type=int, metavar="N",
                    help="only grade N copies of a lab's solution (gan, or the one lab of --labs) with --jobs 2 "
                         "and --jobs 1; print the speed-up and a projection for 300 submissions on 16 cores")
    args = ap.parse_args(argv)
    if args.grading_jobs is not None:
        return bench_grading_jobs(args.grading_jobs, args.labs[0] if len(args.labs) == 1 else "gan")
    for lab in args.labs:
        get(lab)  # an unknown name stops here, before anything runs
    if not args.skip_grading:
        # kit.grade's grading Python is the one the sandbox keeps within reach of the kernel (the kit's folder,
        # where .gradeenv lives, is hidden from it)
        os.environ["KIT_GRADING_PYTHON"] = args.grading_python
        records = {lab: bench_build_and_grade(lab, args.cores, grading_python()) for lab in args.labs}
        if args.json:
            write_bench(records, args.json)
            print(f"wrote {args.json} (python -m kit.docs writes the docs' tables from it)")
    if not args.skip_training:
        bench_training(args.labs, args.seeds, args.threads, args.steps, args.every)
    if not args.skip_grading:
        short = [lab for lab, r in records.items() if not full_marks(r)]
        if short:
            raise SystemExit(f"bench: the solution of {', '.join(short)} lost points in a grading above (its output "
                             "is printed there)")
        regressed = regressions(records)
        if regressed:
            raise SystemExit("bench: references past their realism targets: " + "; ".join(regressed))


def regressions(records: dict) -> list[str]:
    """The references in ``records`` (bench_build_and_grade's) whose FD / floor is past REFERENCE_FD_TARGETS."""
    return [f"{model} FD/floor {f['fd_ratio']:.1f} > {REFERENCE_FD_TARGETS[model]}"
            for r in records.values() for model, f in r.get("references", {}).items()
            if model in REFERENCE_FD_TARGETS and f.get("fd_ratio", 0) > REFERENCE_FD_TARGETS[model]]


def full_marks(record: dict) -> bool:
    """Whether every grading of the solution in ``record`` (bench_build_and_grade's) got every point."""
    scores = [record["grading"]["score"], *(b["score"] for b in record["grading"]["box"].values())]
    return not record["grading"].get("box_failed") and all(
        "/" in s and s.split("/")[0] == s.split("/")[1] for s in scores)


if __name__ == "__main__":
    main()
