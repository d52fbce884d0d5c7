"""Grade submissions with a lab's autograder zip, without Docker (through ``otter run``).

    python -m kit.grade SUBMISSION                 # one notebook, or a zip of notebook + checkpoints
    python -m kit.grade SUBMISSION --lab gan       # name the lab when it cannot be read from the notebook
    python -m kit.grade FOLDER --csv grades.csv    # every *.zip / *.ipynb in FOLDER, one CSV row each

The lab is read from the notebook's otter metadata (or its file name) and its autograder is taken from
autograder/<lab>-autograder.zip (``--autograder`` overrides).  The grading environment is this Python:
it must hold torch and otter-grader[grading] (``make venv``).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from kit import ROOT
from kit.labs import LABS


def otter_env(autograder_zip: Path, plugin_dir: Path) -> dict:
    """The environment for ``otter run`` with this zip: its otter plugin (gradeguard.py at the zip's root) is
    imported by otter; on Gradescope the zip's folder is on sys.path, here PYTHONPATH points at a copy."""
    with zipfile.ZipFile(autograder_zip) as z:
        if "gradeguard.py" in z.namelist():
            z.extract("gradeguard.py", plugin_dir)
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(plugin_dir), os.environ.get("PYTHONPATH")])))


def grade(submission: Path, autograder_zip: Path, outdir: Path | None = None, timeout: int = 1800) -> dict:
    """Run ``otter run`` on one submission; return results.json as a dict, plus score, possible, seconds.

    A grading run that dies before writing results.json (a killed kernel, a time-out) is reported
    with score 0 and the reason in "error", never as an exception.
    """
    outdir = Path(outdir or tempfile.mkdtemp(prefix="kit-grade-"))
    outdir.mkdir(parents=True, exist_ok=True)
    results_path = outdir / "results.json"
    results_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "otter", "run", "-a", str(autograder_zip), "-o", str(outdir), "--no-logo",
           str(submission)]
    plugin_dir = Path(tempfile.mkdtemp(prefix="kit-plugin-"))
    env = otter_env(autograder_zip, plugin_dir)
    start = time.time()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        log = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        log = f"grading timed out after {timeout} s\n{exc.stdout or ''}"
    seconds = time.time() - start
    shutil.rmtree(plugin_dir, ignore_errors=True)
    if not results_path.exists():
        tail = "\n".join(log.strip().splitlines()[-5:])
        return {"tests": [], "score": 0.0, "possible": 0.0, "seconds": seconds,
                "error": f"the autograder wrote no results: {tail}"}
    results = json.loads(results_path.read_text())
    tests = results.get("tests", [])
    results["score"] = float(results.get("score", sum(t.get("score", 0) for t in tests)))
    results["possible"] = float(sum(t.get("max_score", 0) for t in tests))
    results["seconds"] = seconds
    return results


def lab_of(submission: Path) -> str | None:
    """The lab a submission belongs to: the notebook's otter assignment name, else its file name."""
    import nbformat

    def from_nb(text: str, name: str):
        try:
            meta = nbformat.reads(text, as_version=4).metadata.get("otter", {})
            if meta.get("assignment_name") in LABS:
                return meta["assignment_name"]
        except Exception:
            pass
        return next((lab for lab in LABS if Path(name).stem.startswith(lab)), None)

    if submission.suffix == ".zip":
        with zipfile.ZipFile(submission) as z:
            nbs = [n for n in z.namelist() if n.endswith(".ipynb") and not n.startswith("__MACOSX")]
            return from_nb(z.read(nbs[0]).decode(), nbs[0]) if nbs else None
    return from_nb(submission.read_text(), submission.name)


def per_question(results: dict) -> dict:
    """Points per question (test names look like 'q1_discriminator_loss - 1'; sum them by question)."""
    scores: dict[str, list[float]] = {}
    for t in results.get("tests", []):
        q = t["name"].split(" - ")[0]
        s = scores.setdefault(q, [0.0, 0.0])
        s[0] += t.get("score", 0)
        s[1] += t.get("max_score", 0)
    return scores


def print_table(name: str, results: dict) -> None:
    print(f"\n{name}: {results['score']:g} / {results['possible']:g} autograded points "
          f"({results['seconds']:.0f} s)")
    if results.get("error"):
        print("  ERROR:", results["error"])
    for q, (s, m) in per_question(results).items():
        print(f"  {q:<32} {s:>5g} / {m:g}")
    for t in results.get("tests", []):
        if t.get("score", 0) < t.get("max_score", 0) and t.get("output"):
            first = next((line for line in t["output"].splitlines() if line.strip()), "")
            print(f"  - {t['name']}: {first[:200]}")


def autograder_for(lab: str, override: Path | None) -> Path:
    zip_path = override or ROOT / "autograder" / f"{lab}-autograder.zip"
    if not zip_path.exists():
        raise SystemExit(f"no autograder at {zip_path}: run `make release` first")
    return zip_path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", type=Path, help="a submission (.ipynb or .zip) or a folder of them")
    ap.add_argument("--lab", choices=LABS)
    ap.add_argument("--autograder", type=Path, help="autograder zip (default autograder/<lab>-autograder.zip)")
    ap.add_argument("--csv", type=Path, help="with a folder: where to write the grades")
    args = ap.parse_args(argv)

    paths = sorted(p for p in args.path.iterdir() if p.suffix in (".zip", ".ipynb")) if args.path.is_dir() \
        else [args.path]
    rows = []
    for p in paths:
        lab = args.lab or lab_of(p)
        if lab is None:
            rows.append({"name": p.stem, "lab": "", "total": 0, "possible": 0,
                         "errors": "cannot tell which lab this is: pass --lab"})
            print(f"\n{p.name}: cannot tell which lab this is; pass --lab")
            continue
        res = grade(p, autograder_for(lab, args.autograder))
        print_table(p.name, res)
        row = {"name": p.stem, "lab": lab, "total": res["score"], "possible": res["possible"],
               "errors": res.get("error", "")}
        row.update({q: s for q, (s, _) in per_question(res).items()})
        rows.append(row)
    if args.csv:
        fields = ["name", "lab"] + sorted({k for r in rows for k in r} - {"name", "lab", "total", "possible", "errors"}) \
            + ["total", "possible", "errors"]
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, restval="")
            w.writeheader()
            w.writerows(rows)
        print(f"\nwrote {len(rows)} rows to {args.csv}")


if __name__ == "__main__":
    main()
