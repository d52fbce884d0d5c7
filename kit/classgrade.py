"""Grade a whole class: a folder of submissions several at a time, in shards, resumable, with a summary per lab.

    python -m kit.grade FOLDER --jobs 8 --csv grades.csv --summary summary/   # 8 gradings at a time
    python -m kit.grade FOLDER --shard 2/10 --csv grades-2.csv                # the 2nd of 10 slices (from 1)
    python -m kit.grade merge grades-*.csv --csv grades.csv                   # the shards' CSVs in one
    python -m kit.grade merge grades-*.csv --csv grades.csv --summary summary/ --out FOLDER-results

    from kit.classgrade import grade_class, write_csv, write_summary
    rows, results, counts = grade_class(sorted(Path("subs").glob("*.zip")), Path("subs-results"), jobs=2)

Every grading is a process of its own (kit.grade.grade: the zip's entry point) on ``threads`` torch threads; the pool
(concurrent.futures) only waits on them, ``jobs`` at a time.  A submission's results stay in OUT/<name>/:
otter's results.json and kit-grade.json (the SHA-256 of the submission and of the autograder zip, the grading
seconds, any error).  A later run keeps the results of a submission graded with the same autograder (an error
too: delete that folder, or pass ``--force``, to grade it again) and grades the others.

A submission's name is its file name without .zip / .ipynb (unique in a folder): it names its CSV row and
its results folder.  Rows are sorted by name, so a sequential run, ``--jobs N`` and merged shards give the
same CSV; grading seconds are left out of it (they are in kit-grade.json and the summary).
"""
from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import re
import statistics
import sys
import tempfile
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from kit import ROOT
from kit.grade import failure_message, grade, lab_of, per_question, read_results, table_text
from kit.labs import LABS, get

RECORD = "kit-grade.json"
FIRST, LAST = ["name", "lab"], ["total", "possible", "flags", "errors"]


# --------------------------------------------------------------------------
# Which submissions, in which shard
# --------------------------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    """``--shard i/N`` as (i, N): the i-th of N slices, with i from 1 to N."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m or not 1 <= int(m[1]) <= int(m[2]):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected i/N with 1 <= i <= N, e.g. 1/4 (shards count from 1; a Kubernetes "
            "JOB_COMPLETION_INDEX counts from 0: pass $((JOB_COMPLETION_INDEX + 1))/N)")
    return int(m[1]), int(m[2])


def submissions(folder: Path) -> list[Path]:
    """The *.zip and *.ipynb files of ``folder``, sorted by name; two files of one name stop with a sentence."""
    paths = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix in (".zip", ".ipynb")),
                   key=lambda p: (p.stem, p.suffix))
    for a, b in zip(paths, paths[1:]):
        if a.stem == b.stem:
            raise SystemExit(f"{a.name} and {b.name} would share the name {a.stem!r} in the grades: rename one")
    return paths


def shard(paths: list[Path], i: int, n: int) -> list[Path]:
    """The i-th (from 1) of n slices of the sorted ``paths``: every n-th one from the i-th, so the slices differ
    in size by one at most and every submission is in exactly one."""
    return paths[i - 1::n]


# --------------------------------------------------------------------------
# Grading, kept between runs
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def _zip_digest(path: Path, mtime: float) -> str:
    return sha256(path)


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass
class Job:
    """One submission to grade: its file, the lab it is graded as, the autograder zip, its results folder."""
    path: Path
    lab: str
    autograder: Path
    outdir: Path

    @property
    def name(self) -> str:
        return self.path.stem

    @functools.cached_property
    def fingerprint(self) -> dict:
        return {"submission": sha256(self.path),
                "autograder": _zip_digest(self.autograder.resolve(), self.autograder.stat().st_mtime)}


def stored(outdir: Path) -> dict | None:
    """The results kept in a submission's results folder (results.json, or the error kit-grade.json recorded),
    with the grading seconds; None when there are none."""
    try:
        record = json.loads((outdir / RECORD).read_text())
    except (OSError, ValueError):
        return None
    if record.get("error"):
        return {"tests": [], "score": 0.0, "possible": 0.0, "seconds": record.get("seconds", 0.0),
                "error": record["error"]}
    if not (outdir / "results.json").exists():
        return None
    results = read_results(outdir / "results.json")
    results["seconds"] = record.get("seconds", 0.0)
    return results


def kept(job: Job) -> dict | None:
    """The results of an earlier grading of this very submission with this very autograder zip, or None."""
    try:
        record = json.loads((job.outdir / RECORD).read_text())
    except (OSError, ValueError):
        return None
    return stored(job.outdir) if record.get("fingerprint") == job.fingerprint else None


def grade_job(job: Job, threads: int, timeout: int, sandbox: str | None = None) -> dict:
    """Grade one submission into its results folder (what a pool worker runs)."""
    (job.outdir / RECORD).unlink(missing_ok=True)
    return grade(job.path, job.autograder, job.outdir, timeout=timeout, threads=threads, sandbox=sandbox)


def record(job: Job, results: dict) -> None:
    """Write kit-grade.json beside results.json: what was graded with what, how long it took, any error."""
    (job.outdir / RECORD).write_text(json.dumps(
        {"submission": job.path.name, "lab": job.lab, "autograder": str(job.autograder),
         "fingerprint": job.fingerprint, "seconds": round(results.get("seconds", 0.0), 1),
         "error": results.get("error", "")}, indent=1) + "\n")


def row(name: str, lab: str, results: dict | None, error: str = "") -> dict:
    """One CSV row: name, lab, points per question, total, possible, flags (what the guard flagged for the
    instructor: code that names the autograder or otter's internals) and errors (every reason, in words: this
    error, the grading's, and what else the guard wrote above the tests, such as another lab's notebook)."""
    from gradeguard import TAMPER_MARK

    results = results or {}
    notes = (results.get("output") or "").splitlines()
    flags = [line.split(TAMPER_MARK, 1)[1].strip() for line in notes if TAMPER_MARK in line]
    notes = "\n".join(line for line in notes if TAMPER_MARK not in line)
    errors = [e for e in (error, results.get("error"), notes) if e]
    r = {"name": name, "lab": lab, "total": results.get("score", 0.0), "possible": results.get("possible", 0.0),
         "flags": "; ".join(flags), "errors": "; ".join(errors)}
    r.update({q: s for q, (s, _) in per_question(results).items()})
    r.update(figure_columns(results))
    return r


# The figures the verdict plugin measured (results.json's extra_data), as CSV columns "<model>.<figure>".
FIGURES = ("label_accuracy", "inception_score", "fd_ratio", "agreement", "coverage_min", "copies", "success", "error")


def figure_columns(results: dict) -> dict:
    """{"cgan.label_accuracy": 0.995, "cgan.per_class": "100 100 99 ...", "cgan.fd_ratio": 3.6, ...} from the
    results' extra_data (figures rounded to 4 places, per-class accuracies in whole percent)."""
    out = {}
    for model, figures in ((results.get("extra_data") or {}).get("samples") or {}).items():
        for key in FIGURES:
            value = figures.get(key)
            if isinstance(value, float):
                value = round(value, 4)
            if value is not None:
                out[f"{model}.{key}"] = value
        if figures.get("per_class"):
            out[f"{model}.per_class"] = " ".join(f"{100 * a:.0f}" for a in figures["per_class"])
    return out


def plan(paths: list[Path], out: Path, lab: str | None = None, autograder: Path | None = None):
    """(jobs, rows): a Job per submission that can be graded, a row for each that cannot (unreadable, no lab,
    no autograder), by name."""
    jobs, rows = [], {}
    for p in paths:
        try:
            own, problem = lab_of(p), ""
        except (zipfile.BadZipFile, OSError, UnicodeDecodeError) as exc:
            own, problem = None, f"cannot read this submission ({exc})"
        graded_as = None if problem else lab or own
        zip_path = autograder or (ROOT / "autograder" / f"{graded_as}-autograder.zip")
        if graded_as is None:
            rows[p.stem] = row(p.stem, lab or "", None, problem or "cannot tell which lab this is: pass --lab")
        elif not zip_path.exists():
            rows[p.stem] = row(p.stem, graded_as, None, f"no autograder at {zip_path}: run `make release` first")
        else:
            jobs.append(Job(p, graded_as, zip_path, out / p.stem))
    return jobs, rows


def grade_class(paths: list[Path], out: Path, lab: str | None = None, autograder: Path | None = None,
                jobs: int = 1, threads: int = 1, timeout: int = 1800, force: bool = False, show: bool = True,
                sandbox: str | None = None):
    """Grade ``paths``, ``jobs`` at a time, each into ``out/<name>/``; keep what an earlier run graded (unless
    ``force``).  Returns (rows sorted by name, {name: results}, {"graded": n, "kept": n}).

    Each grading is a process of its own (the zip's entry point, kit.grade.grade) on ``threads`` torch threads, its
    kernel in the zip's sandbox (``sandbox``: None for the best the machine allows, "none" for none), stopped after
    ``timeout`` seconds; the pool's threads only wait on them.  ``lab``: grade every submission as this lab (else each one's own);
    ``autograder``: this zip for all.  ``show``: print why a submission cannot be graded, and each fresh
    grading's table above a progress bar.
    """
    from tqdm import tqdm

    todo, rows = plan(paths, out, lab, autograder)
    if show:
        for name, r in rows.items():
            print(f"\n{name}: {r['errors']}")
    results = {} if force else {job.name: res for job in todo if (res := kept(job)) is not None}
    fresh = [job for job in todo if job.name not in results]
    bar = tqdm(total=len(fresh), desc="grading", unit="submission", disable=len(fresh) < 2, file=sys.stderr)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_job, job, threads, timeout, sandbox): job for job in fresh}
        for future in as_completed(futures):
            job = futures[future]
            results[job.name] = future.result()
            record(job, results[job.name])
            if show:
                bar.write(table_text(job.path.name, results[job.name]), file=sys.stdout)
            bar.update()
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise SystemExit(f"stopped; the finished gradings are kept in {out}: the same command goes on from there")
    finally:
        pool.shutdown()
        bar.close()
    for job in todo:
        rows[job.name] = row(job.name, job.lab, results[job.name])
    return [rows[k] for k in sorted(rows)], results, {"graded": len(fresh), "kept": len(todo) - len(fresh)}


# --------------------------------------------------------------------------
# CSV: write, read back, merge
# --------------------------------------------------------------------------


def columns(rows: list[dict]) -> list[str]:
    """name, lab, every question any row has (sorted), total, possible, flags, errors, then the judged figures
    ("<model>.<figure>", sorted)."""
    keys = {k for r in rows for k in r} - {*FIRST, *LAST}
    figures = sorted(k for k in keys if "." in k)
    return [*FIRST, *sorted(keys - set(figures)), *LAST, *figures]


def write_csv(rows: list[dict], path: Path) -> None:
    """The grades, one row per submission, sorted by name; a question a row's lab does not have is left empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns(rows), restval="")
        w.writeheader()
        w.writerows(sorted(rows, key=lambda r: r["name"]))


def read_grades(paths: list[Path]) -> list[dict]:
    """The rows of several grades CSVs written by kit.grade (the shards of one class), sorted by name; a CSV that is
    missing or not kit.grade's, or a name in two of them, stops with a sentence."""
    rows, seen = [], {}
    for path in paths:
        if not path.is_file():
            raise SystemExit(f"{path}: no such file (merge takes the CSVs that `kit.grade --shard i/N --csv` wrote)")
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in FIRST + LAST if c not in (reader.fieldnames or [])]
            if missing:
                raise SystemExit(f"{path} is not a grades CSV of kit.grade: it has no {', '.join(missing)} column")
            for r in reader:
                if r["name"] in seen:
                    raise SystemExit(f"{r['name']!r} is in both {seen[r['name']]} and {path}: merge the CSVs of one "
                                     "set of shards (one N, each i once)")
                seen[r["name"]] = path
                rows.append(r)
    return sorted(rows, key=lambda r: r["name"])


def merge_main(argv: list[str]) -> None:
    """``python -m kit.grade merge CSV... --csv OUT [--summary DIR --out RESULTS...]``."""
    ap = argparse.ArgumentParser(prog="python -m kit.grade merge",
                                 description="Join the grades CSVs of kit.grade's shards into one: every shard's "
                                             "columns, rows sorted by name (the CSV of a sequential run).")
    ap.add_argument("csvs", nargs="+", type=Path, help="the shards' CSVs")
    ap.add_argument("--csv", type=Path, required=True, help="where to write the merged grades")
    ap.add_argument("--summary", type=Path, metavar="DIR", help="write summary.md and <lab>.png to DIR")
    ap.add_argument("--out", type=Path, action="append", default=[], metavar="RESULTS",
                    help="a results folder of the shards (repeatable), for the summary's failure messages")
    args = ap.parse_args(argv)
    if any(p.resolve() == args.csv.resolve() for p in args.csvs):
        ap.error(f"--csv {args.csv} is one of the CSVs to merge: name another file")
    rows = read_grades(args.csvs)
    write_csv(rows, args.csv)
    print(f"merged {len(args.csvs)} CSVs: wrote {len(rows)} rows to {args.csv}")
    if args.summary:
        results = {}
        for r in rows:
            found = (res for out in args.out if (res := stored(out / r["name"])) is not None)
            if (res := next(found, None)) is not None:
                results[r["name"]] = res
        print(f"wrote {write_summary(rows, results, args.summary)}")


# --------------------------------------------------------------------------
# Summary per lab: a Markdown table and a plot
# --------------------------------------------------------------------------


def _num(value) -> float | None:
    return None if value in ("", None) else float(value)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def question_stats(lab: str, lab_rows: list[dict], results: dict) -> list[dict]:
    """Per question of the lab (those worth points): its points, the mean over graded submissions, how many
    got full marks, and the most common failure message (kit.grade.failure_message) with how many submissions
    gave it; of messages given equally often, the first submission's by name."""
    graded = [r for r in lab_rows if _num(r["possible"])]
    maxes: dict[str, float] = {}
    failures: dict[str, Counter] = {}
    for r in graded:
        for q, (_, m) in per_question(results.get(r["name"], {})).items():
            maxes[q] = max(maxes.get(q, 0.0), m)
        for t in results.get(r["name"], {}).get("tests", []):
            if t.get("score", 0) < t.get("max_score", 0):
                failures.setdefault(t["name"].split(" - ")[0], Counter())[failure_message(t.get("output", ""))] += 1
    if not maxes and lab in LABS:  # no results folders (a merge without --out): the master's points
        maxes = {q["name"]: float(q.get("points", 0)) for q in get(lab).questions if not q.get("manual")}
    stats = []
    for q in sorted(maxes):
        scores = [s for r in graded if (s := _num(r.get(q))) is not None]
        if maxes[q] <= 0 or not scores:
            continue
        common = failures.get(q, Counter()).most_common(1)
        stats.append({"question": q, "max": maxes[q], "mean": statistics.fmean(scores),
                      "full": sum(s >= maxes[q] for s in scores), "n": len(scores),
                      "failure": common[0] if common else None})
    return stats


def lab_section(lab: str, lab_rows: list[dict], results: dict, folder: Path) -> list[str]:
    """The Markdown of one lab's summary (and its plot, written to folder/<lab>.png)."""
    graded = [r for r in lab_rows if _num(r["possible"])]
    lines = [f"## {lab or 'no lab'}: {len(lab_rows)} submission{'s' * (len(lab_rows) != 1)}", ""]
    if graded:
        totals = [_num(r["total"]) for r in graded]
        possible = max(_num(r["possible"]) for r in graded)
        lines.append(f"- graded: {len(graded)}; total: mean {statistics.fmean(totals):.2f} / {possible:g}, "
                     f"median {statistics.median(totals):g}, full marks {sum(t >= possible for t in totals)}, "
                     f"zero {sum(t == 0 for t in totals)}")
    if len(graded) < len(lab_rows):
        lines.append(f"- not graded (no results): {len(lab_rows) - len(graded)}")
    seconds = [results[r["name"]]["seconds"] for r in lab_rows if r["name"] in results]
    if seconds:
        lines.append(f"- grading time: mean {statistics.fmean(seconds):.0f} s, longest {max(seconds):.0f} s")
    errors = Counter(r["errors"].splitlines()[0] for r in lab_rows if r["errors"])
    if errors:
        (text, k), = errors.most_common(1)
        lines.append(f"- most common error ({k} of {len(lab_rows)}): {_md(text[:200])}")
    stats = question_stats(lab, lab_rows, results)
    if stats:
        lines += ["", "| question | points | mean | full marks | most common failure (submissions) |",
                  "| --- | ---: | ---: | ---: | --- |"]
        for s in stats:
            failure = f"{_md(s['failure'][0]) or '(no output)'} ({s['failure'][1]})" if s["failure"] else ""
            lines.append(f"| {s['question']} | {s['max']:g} | {s['mean']:.2f} | {s['full']} of {s['n']} | {failure} |")
        plot_lab(lab, [_num(r["total"]) for r in graded], max(_num(r["possible"]) for r in graded), stats,
                 folder / f"{lab}.png")
        lines += ["", f"![{lab}: totals and mean per question]({lab}.png)"]
    return lines + [""]


def plot_lab(lab: str, totals: list[float], possible: float, stats: list[dict], path: Path) -> None:
    """A lab's PNG: a histogram of the totals, and the mean per question as bars over its points (Agg backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(11, 4), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.4])
    step = max(1.0, possible / 30)
    edges = [i * step - step / 2 for i in range(int(possible / step) + 2)]
    left.hist(totals, bins=edges, color="tab:blue", edgecolor="white")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.set(xlabel=f"total (of {possible:g} autograded points)", ylabel="submissions",
             title=f"{lab}: totals of {len(totals)} graded submissions")
    names = [s["question"] for s in stats]
    right.bar(names, [s["max"] for s in stats], color="lightgrey", label="points")
    right.bar(names, [s["mean"] for s in stats], color="tab:green", label="mean")
    right.set(ylabel="points", title=f"{lab}: mean per question")
    right.tick_params(axis="x", labelrotation=40)
    for label in right.get_xticklabels():
        label.set_horizontalalignment("right")
    right.legend()
    fig.savefig(path, dpi=100)


def write_summary(rows: list[dict], results: dict, folder: Path) -> Path:
    """folder/summary.md, a section per lab (in the labs' order), and folder/<lab>.png; returns summary.md's path.

    ``results``: {name: results dict} where known (for failure messages and grading seconds)."""
    folder.mkdir(parents=True, exist_ok=True)
    by_lab: dict[str, list[dict]] = {}
    for r in sorted(rows, key=lambda r: (LABS.index(r["lab"]) if r["lab"] in LABS else len(LABS), r["name"])):
        by_lab.setdefault(r["lab"], []).append(r)
    lines = ["# Grades summary", "", f"{len(rows)} submissions; autograded points only (written questions are "
             "graded by hand).", ""]
    for lab, lab_rows in by_lab.items():
        lines += lab_section(lab, lab_rows, results, folder)
    path = folder / "summary.md"
    path.write_text("\n".join(lines))
    return path


# --------------------------------------------------------------------------
# The command (python -m kit.grade parses the arguments)
# --------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    """``python -m kit.grade PATH ...``: grade, print the counts, write the CSV and the summary if asked."""
    folder = args.path.is_dir()
    paths = submissions(args.path) if folder else [args.path]
    if args.shard:
        i, n = args.shard
        paths = shard(paths, i, n)
        print(f"shard {i}/{n}: {len(paths)} submissions")
    out = args.out or (args.path.parent / f"{args.path.name}-results" if folder
                       else Path(tempfile.mkdtemp(prefix="kit-grade-")))
    rows, results, counts = grade_class(paths, out, args.lab, args.autograder, jobs=args.jobs, threads=args.threads,
                                        timeout=args.timeout, force=args.force,
                                        sandbox="none" if args.no_sandbox else None)
    if not folder and counts["kept"]:
        print(table_text(args.path.name, results[args.path.stem]))
    ungradable = len(rows) - counts["graded"] - counts["kept"]
    print(f"\n{counts['graded']} graded, {counts['kept']} kept from an earlier run"
          + (" (--force grades them again)" if counts["kept"] else "")
          + (f", {ungradable} not gradable (the reasons are above)" if ungradable else "") + f"; results in {out}")
    if args.csv:
        write_csv(rows, args.csv)
        print(f"wrote {len(rows)} rows to {args.csv}")
    if args.summary:
        print(f"wrote {write_summary(rows, results, args.summary)}")


def positive(what: str):
    """An argparse type: an integer of at least 1, else a sentence saying what was expected."""
    def parse(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of {what}, at least 1")
        return int(text)
    return parse


def main(argv=None):
    """``python -m kit.grade ...`` (kit/grade.py hands its command over to this module)."""
    import os
    import shutil

    from kit import grade as one

    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["merge"]:
        return merge_main(argv[1:])
    ap = argparse.ArgumentParser(prog="python -m kit.grade", description=one.__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", type=Path, help="a submission (.ipynb or .zip) or a folder of them")
    ap.add_argument("--lab", choices=LABS, help="grade every submission as this lab")
    ap.add_argument("--autograder", type=Path, help="autograder zip (default autograder/<lab>-autograder.zip)")
    ap.add_argument("--csv", type=Path, help="where to write the grades, one row per submission")
    ap.add_argument("--out", type=Path, help="the results folders, one per submission (default: FOLDER-results "
                                             "beside FOLDER; a temporary folder for one submission)")
    ap.add_argument("--jobs", type=positive("gradings at a time"), default=1, help="gradings at a time (default 1)")
    ap.add_argument("--threads", type=positive("torch threads"), default=1,
                    help="torch threads per grading (default 1)")
    ap.add_argument("--timeout", type=positive("seconds"), default=1800,
                    help="seconds one grading may take before it is stopped (default 1800)")
    ap.add_argument("--force", action="store_true", help="grade again submissions whose results are kept")
    ap.add_argument("--no-sandbox", action="store_true",
                    help="run student code as this user (only where no sandbox can be made: not root, no bubblewrap); "
                         "the results and the CSV's flags say so")
    ap.add_argument("--shard", type=parse_shard, metavar="i/N",
                    help="grade only the i-th of N slices of the submissions sorted by name (i counts from 1)")
    ap.add_argument("--summary", type=Path, metavar="DIR",
                    help="write summary.md (a table per lab) and <lab>.png (its plots) to DIR")
    args = ap.parse_args(argv)
    if not args.path.exists():
        ap.error(f"{args.path}: no such file or folder")
    if args.autograder and not args.autograder.is_file():
        ap.error(f"--autograder {args.autograder}: no such file")
    if not args.no_sandbox and os.geteuid() != 0 and not shutil.which("bwrap"):
        ap.error("student code would run as this user: grade as root (the kernel then runs as an unprivileged user), "
                 "install bubblewrap, or pass --no-sandbox")
    run(args)


if __name__ == "__main__":
    main()
