"""Grade submissions with a lab's autograder zip, without Docker, through the zip's own entry point (as Gradescope).

    python -m kit.grade SUBMISSION                 # one notebook, or a zip of notebook + checkpoints
    python -m kit.grade SUBMISSION --lab gan       # name the lab when it cannot be read from the notebook
    python -m kit.grade FOLDER --csv grades.csv    # every *.zip / *.ipynb in FOLDER, one CSV row each
    python -m kit.grade FOLDER --jobs 8 --csv grades.csv --summary summary/   # 8 gradings at a time
    python -m kit.grade FOLDER --shard 3/10 --csv grades-3.csv                # the 3rd of 10 slices
    python -m kit.grade merge grades-*.csv --csv grades.csv                   # join the shards' CSVs

The lab is read from the notebook's otter metadata (or its file name) and its autograder is taken from
autograder/<lab>-autograder.zip (``--autograder`` overrides).  The grading environment is this Python, or the one
KIT_GRADING_PYTHON names: it must hold torch and otter-grader[grading] (``make venv``; ``make gradeenv`` builds
.gradeenv, a CPU-only torch as on Gradescope, which the kit's tests grade with).  Student code runs in the zip's
sandbox: as root, as an unprivileged user; otherwise in bubblewrap where it is installed; ``--no-sandbox`` runs it as
this user (and says so in the results and the CSV's flags).  Each grading runs on
``--threads`` torch threads (default 1, as on Gradescope's half a CPU) and keeps its results in its own folder
under ``--out`` (default FOLDER-results/ beside FOLDER); a later run keeps them (``--force`` grades again).  Grading a
whole class (pool, shards, merge, summary) is in kit/classgrade.py, which imports this module (never the reverse);
``python -m kit.grade`` runs its command.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from kit.labs import LABS


LOG = "otter-run.log"


def grading_python() -> str:
    """The Python that grades: KIT_GRADING_PYTHON, or this one.  Its folder is resolved (a venv reached through a
    link: the sandbox hides the kit's folder, and the kernel must find the venv where it really is), the python itself
    is not (a venv's python is a link whose own folder makes the venv)."""
    python = Path(os.environ.get("KIT_GRADING_PYTHON") or sys.executable).absolute()
    return str(python.parent.resolve() / python.name)


def autograder_folder(submission: Path, autograder_zip: Path, work: Path) -> Path:
    """Lay out ``work/autograder`` as Gradescope does: ``source/`` (the zip), ``submission/`` (the hand-in: a zip is
    extracted, a notebook copied), ``results/`` and submission_metadata.json; return the folder."""
    ag = work / "autograder"
    for sub in ("source", "submission", "results"):
        (ag / sub).mkdir(parents=True, exist_ok=True)
    (ag / "submission_metadata.json").write_text("{}")
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(ag / "source")
    if submission.suffix == ".zip":
        with zipfile.ZipFile(submission) as z:
            z.extractall(ag / "submission")
    else:
        shutil.copy(submission, ag / "submission")
    return ag


def grading_env(threads: int | None = None, sandbox: str | None = None, hide: tuple = ()) -> dict:
    """The environment of a grading: ``threads`` torch threads in the kernel (None: torch's choice), the sandbox
    mode (None: the best the machine allows; "none": no sandbox) and the folders the kernel must not see beside the
    autograder's own (the kit itself, the class's submissions and results: KIT_SANDBOX_HIDE), but for the grading
    Python's environment (KIT_SANDBOX_KEEP)."""
    from kit import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIT_SANDBOX", "PYTHONPATH"))}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if sandbox:
        env["KIT_SANDBOX"] = sandbox
    python = Path(grading_python()).absolute()
    env["KIT_SANDBOX_HIDE"] = os.pathsep.join(str(Path(p).resolve()) for p in (ROOT, *hide))
    env["KIT_SANDBOX_KEEP"] = str(python.parent.parent)
    return env


def kill_tree(proc: subprocess.Popen) -> None:
    """Kill a process and everything it started, until nothing of it is left."""
    import psutil

    for _ in range(50):
        try:
            tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        except psutil.Error:
            tree = []
        tree = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not tree:
            break
        for p in tree:
            try:
                p.kill()
            except (psutil.Error, ProcessLookupError):
                pass
        time.sleep(0.05)
    proc.wait()


def read_results(results_path: Path) -> dict:
    """otter's results.json as a dict, with its total "score" and "possible" points."""
    results = json.loads(results_path.read_text())
    tests = results.get("tests", [])
    results["score"] = float(results.get("score", sum(t.get("score", 0) for t in tests)))
    results["possible"] = float(sum(t.get("max_score", 0) for t in tests))
    return results


def grade(submission: Path, autograder_zip: Path, outdir: Path | None = None, timeout: int = 1800,
          threads: int | None = 1, sandbox: str | None = None) -> dict:
    """Grade one submission the way Gradescope does: in an autograder-shaped folder of its own, the zip's own entry
    point (``python source/run_otter.py FOLDER``); return results.json as a dict, plus score, possible, seconds.

        grade(Path("alice.zip"), Path("autograder/gan-autograder.zip"), Path("results/alice"), threads=1)

    The kernel runs in the zip's sandbox (``sandbox``: None for the best this machine allows, "none" for none; see
    the zip's sandbox.py).  Only results.json is read.  A grading that writes no results.json (a time-out: the whole
    process tree is killed) is reported with score 0 and the reason in "error" (one line), never as an exception;
    the entry point's output is kept in ``outdir/otter-run.log`` (a file: a process that keeps it open cannot hold
    this one up).  ``threads``: torch threads of the grading kernel (default 1, as on Gradescope's half a CPU; None:
    torch's choice).
    """
    outdir = Path(outdir or tempfile.mkdtemp(prefix="kit-grade-"))
    outdir.mkdir(parents=True, exist_ok=True)
    results_path = outdir / "results.json"
    results_path.unlink(missing_ok=True)
    work = Path(tempfile.mkdtemp(prefix="kit-grade-"))
    try:
        ag = autograder_folder(Path(submission), Path(autograder_zip), work)
    except (OSError, zipfile.BadZipFile) as exc:
        shutil.rmtree(work, ignore_errors=True)
        return {"tests": [], "score": 0.0, "possible": 0.0, "seconds": 0.0,
                "error": f"the submission could not be unpacked ({type(exc).__name__}: {exc})"}
    env = grading_env(threads, sandbox, (Path(submission).resolve().parent, outdir.resolve(),
                                         Path(autograder_zip).resolve().parent))
    cmd = [grading_python(), str(ag / "source" / "run_otter.py"), str(ag)]
    start = time.time()
    stopped = None
    with open(outdir / LOG, "w") as log_file:
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=work, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc)
            stopped = f"grading timed out after {timeout} s and was stopped"
    seconds = time.time() - start
    if (ag / "results" / "results.json").is_file() and not stopped:
        shutil.copy(ag / "results" / "results.json", results_path)
    shutil.rmtree(work, ignore_errors=True)
    if not results_path.exists():
        # one line, and the same wherever it ran: the folders of this run are named in words
        log = (outdir / LOG).read_text(errors="replace").replace(str(outdir), "<results folder>").replace(
            str(work), "<grading folder>")
        last = next((line.strip() for line in reversed(log.splitlines()) if line.strip()), "otter printed nothing")
        reason = f"{stopped}: the autograder wrote no results" if stopped else \
            f"the autograder wrote no results: {last}"
        return {"tests": [], "score": 0.0, "possible": 0.0, "seconds": seconds,
                "error": f"{reason} (otter's output is in {LOG} in the results folder)"}
    results = read_results(results_path)
    results["seconds"] = seconds
    write_sample_grids(results, outdir)
    return results


def write_sample_grids(results: dict, outdir: Path) -> list[Path]:
    """The grids of graded samples the verdict plugin put in results.json, as ``<model>-samples.png`` beside it."""
    import base64

    written = []
    for model, png in (results.get("extra_data") or {}).get("sample_grids", {}).items():
        if isinstance(png, str) and model.isidentifier():
            path = outdir / f"{model}-samples.png"
            path.write_bytes(base64.b64decode(png))
            written.append(path)
    return written


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


CASE_HEADER = re.compile(r"^\S+ - \d+ (message|result):\s*(.*)$")


def failure_message(output: str) -> str:
    """A failing test's reason in one line (at most 200 characters): otter's output of a question lists its
    cases ("q1 - 2 message: ...", "q1 - 2 result:", "Test case failed", the error); this is the first failed
    case's message, else the last line of its error, else the first non-empty line of the output."""
    import html

    output = output or ""
    if "<pre>" in output:  # a judged question's HTML: otter's text is in <pre>, the report after it
        output = html.unescape(output.split("<pre>", 1)[1].split("</pre>", 1)[0])
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    pending = message = None
    for i, line in enumerate(lines):
        header = CASE_HEADER.match(line)
        if header and header.group(1) == "message":
            pending = header.group(2)
        elif header:
            message, pending = pending, None
        elif "Test case failed" in line:
            if message:
                return message[:200]
            block = lines[i + 1:]
            end = next((j for j, x in enumerate(block) if CASE_HEADER.match(x)), len(block))
            if end:
                return block[end - 1][:200]
    return (lines[0] if lines else "")[:200]


def table_text(name: str, results: dict) -> str:
    """The score table of one grading: points per question, then one line per failing test."""
    lines = [f"\n{name}: {results['score']:g} / {results['possible']:g} autograded points "
             f"({results.get('seconds', 0):.0f} s)"]
    if results.get("error"):
        lines.append(f"  ERROR: {results['error']}")
    if results.get("output"):  # what the autograder's guard skipped, stopped or refused
        lines.append("  NOTE: " + results["output"].strip().replace("\n", "\n        "))
    for q, (s, m) in per_question(results).items():
        lines.append(f"  {q:<32} {s:>5g} / {m:g}")
    for t in results.get("tests", []):
        if t.get("score", 0) < t.get("max_score", 0) and t.get("output"):
            lines.append(f"  - {t['name']}: {failure_message(t['output'])}")
    return "\n".join(lines)


def print_table(name: str, results: dict) -> None:
    print(table_text(name, results))


if __name__ == "__main__":  # python -m kit.grade: the command is the class grader's (kit/classgrade.py)
    import runpy

    runpy.run_module("kit.classgrade", run_name="__main__", alter_sys=True)
