"""Build the release: every master notebook in assignment/ becomes a student notebook, a solution and
a Gradescope autograder zip.

    python -m kit.build                  # build into the repository (student_release/, solutions/, autograder/)
    python -m kit.build --out /tmp/rel   # build somewhere else (the test suite does this)
    python -m kit.build --retrain        # train the reference checkpoints again first (minutes)

For each lab:
1. stage: the master notebook, the support modules (assignment/common), the judges and the lab's
   reference checkpoints (assignment/<lab>/reference) go into one folder, as otter assign wants;
2. (with --retrain, or when a submitted checkpoint's reference is missing) execute the master notebook
   there; its training cells train what has no checkpoint (everything, with --retrain) and the
   checkpoints it writes become the new references;
3. ``otter assign`` splits the master into the student notebook and the autograder (with its zip);
4. the solution notebook is executed (the references are present, so nothing trains) for its figures;
5. the executed solution, zipped with its checkpoint, is graded by the real autograder: anything below
   full marks stops the build;
6. the results are copied to <out>/student_release/<lab>, <out>/solutions/<lab> and
   <out>/autograder/<lab>-autograder.zip.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from kit import ASSIGNMENT, COMMON, JUDGES, LABS, ROOT
from kit.grade import grade


def lab_config(lab: str) -> dict:
    """The ASSIGNMENT CONFIG of a master notebook, parsed."""
    import yaml

    nb = nbformat.read(ASSIGNMENT / lab / f"{lab}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("# ASSIGNMENT CONFIG"):
            return yaml.safe_load(cell.source)
    raise SystemExit(f"{lab}: the master notebook has no ASSIGNMENT CONFIG cell")


def reference_dir(lab: str) -> Path:
    return ASSIGNMENT / lab / "reference"


def stage(lab: str, dest: Path, with_references: bool = True) -> Path:
    """Copy everything the master notebook needs into ``dest``; return the staged master's path."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ASSIGNMENT / lab / f"{lab}.ipynb", dest)
    for f in COMMON.glob("*.py"):
        shutil.copy(f, dest)
    for f in JUDGES.glob("judge_*.pt"):
        shutil.copy(f, dest)
    if with_references and reference_dir(lab).exists():
        for f in reference_dir(lab).iterdir():
            shutil.copy(f, dest)
    return dest / f"{lab}.ipynb"


def execute(path: Path, timeout: int | None = None) -> None:
    """Run a notebook top to bottom in its own folder and save it with its outputs."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)


def retrain(lab: str, workdir: Path, everything: bool = True) -> None:
    """Execute the master notebook and keep the checkpoints it trains as references.

    With ``everything`` no reference is staged, so every training cell trains; otherwise the existing
    references are staged and only the missing ones train (training cells skip existing checkpoints).
    """
    master = stage(lab, workdir / "retrain", with_references=not everything)
    before = {p.name for p in master.parent.iterdir()}
    start = time.time()
    print(f"[{lab}] training the reference checkpoints (executing the master notebook) ...", flush=True)
    execute(master)
    new = [p for p in master.parent.glob("*.pt") if p.name not in before]
    ref = reference_dir(lab)
    ref.mkdir(parents=True, exist_ok=True)
    for p in new:
        shutil.copy(p, ref)
    print(f"[{lab}] trained {[p.name for p in new]} in {time.time() - start:.0f} s", flush=True)


def assign(master: Path, out: Path) -> None:
    cmd = [sys.executable, "-m", "otter", "assign", "--no-run-tests", str(master), str(out)]
    subprocess.run(cmd, check=True, cwd=master.parent, stdout=subprocess.DEVNULL)


def stable_ids(path: Path) -> None:
    """Number the cells' ids (otter assign draws them at random), so that a rebuild diffs only real changes."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
    nbformat.write(nb, path)


# The grading guard's limits (assignment/common/gradeguard.py): seconds per student cell, seconds for the cells
# that run the tests, and memory the kernel may allocate beyond what it holds after importing torch.  A
# solution grades in 20-30 s and under 700 MB on one core, so these are far from what honest work needs.
GUARD_LIMITS = {"cell_timeout": 180, "checks_timeout": 480, "memory_mb": 1024}


def add_guard(lab: str, ag_zip: Path, student_notebook: Path, **limits) -> None:
    """Put gradeguard.py at the root of the autograder zip and switch it on in otter_config.json; add the
    copy bank of each dataset whose hidden judge the zip holds (grading.near_copy_share)."""
    import gradeguard  # assignment/common is on sys.path (kit/__init__.py)

    entry = gradeguard.config_for(lab, student_notebook, **{**GUARD_LIMITS, **limits})
    with zipfile.ZipFile(ag_zip) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(ag_zip, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == "otter_config.json":
                config = json.loads(data)
                config["plugins"] = [entry]
                config.pop("assignment_name", None)  # the guard checks it and still writes results.json
                data = json.dumps(config, indent=1).encode()
            z.writestr(info, data)
        z.write(COMMON / "gradeguard.py", "gradeguard.py")
        names = {info.filename for info, _ in members}
        for dataset in ("mnist", "fashion"):
            if f"files/judge_{dataset}_hidden.pt" in names:
                z.write(JUDGES / f"copybank_{dataset}.pt", f"files/copybank_{dataset}.pt")


def submission_zip(notebook: Path, files: list[Path], dest: Path) -> Path:
    """A submission as a student's export makes it: the notebook and its checkpoints in one zip."""
    with zipfile.ZipFile(dest, "w") as z:
        z.write(notebook, notebook.name)
        for f in files:
            z.write(f, f.name)
    return dest


def build_lab(lab: str, out: Path, work: Path, do_retrain: bool, do_execute: bool) -> dict:
    config = lab_config(lab)
    refs = [reference_dir(lab) / f for f in config.get("student_files", [])]
    if do_retrain or not all(p.exists() for p in refs):
        retrain(lab, work, everything=do_retrain)
    master = stage(lab, work / "stage")
    assign(master, work / "dist")
    ag_dir, student_dir = work / "dist" / "autograder", work / "dist" / "student"
    ag_zip = next(ag_dir.glob(f"{lab}-autograder_*.zip"))
    solution = ag_dir / f"{lab}.ipynb"
    stable_ids(solution)
    stable_ids(student_dir / f"{lab}.ipynb")
    add_guard(lab, ag_zip, student_dir / f"{lab}.ipynb")
    if reference_dir(lab).exists():
        for f in reference_dir(lab).iterdir():
            shutil.copy(f, ag_dir)

    start = time.time()
    if do_execute:
        execute(solution)
    executed_s = time.time() - start

    # Grade the solution through the real autograder: it must get full marks.
    sub = submission_zip(solution, [ag_dir / Path(f).name for f in config.get("student_files", [])],
                         work / f"{lab}-solution.zip")
    result = grade(sub, ag_zip, work / "solution-results")
    if result["score"] < result["possible"]:
        failed = [t for t in result["tests"] if t["score"] < t["max_score"]]
        for t in failed:
            print(f"  {t['name']}: {t['score']}/{t['max_score']}\n    {t.get('output', '').strip()[:500]}")
        raise SystemExit(f"[{lab}] the solution scores {result['score']}/{result['possible']}, not full marks")

    # Place the outputs.
    dest_student, dest_solution = out / "student_release" / lab, out / "solutions" / lab
    for d in (dest_student, dest_solution):
        shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(student_dir, dest_student)
    dest_solution.mkdir(parents=True)
    shutil.copy(solution, dest_solution)
    if reference_dir(lab).exists():
        for f in reference_dir(lab).iterdir():
            shutil.copy(f, dest_solution)
    for f in config.get("files", []):
        shutil.copy(ag_dir / f, dest_solution)
    (out / "autograder").mkdir(parents=True, exist_ok=True)
    shutil.copy(ag_zip, out / "autograder" / f"{lab}-autograder.zip")
    print(f"[{lab}] built: solution {result['score']}/{result['possible']} points "
          f"(executed in {executed_s:.0f} s, graded in {result['seconds']:.0f} s)", flush=True)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT, help="where student_release/, solutions/, autograder/ go")
    ap.add_argument("--labs", nargs="*", default=list(LABS))
    ap.add_argument("--retrain", action="store_true", help="train the reference checkpoints again")
    ap.add_argument("--no-execute", action="store_true", help="do not execute the solution notebooks")
    args = ap.parse_args(argv)
    summary = {}
    with tempfile.TemporaryDirectory(prefix="kit-build-") as tmp:
        for lab in args.labs:
            res = build_lab(lab, args.out.resolve(), Path(tmp) / lab, args.retrain, not args.no_execute)
            summary[lab] = {"score": res["score"], "possible": res["possible"], "grading_s": round(res["seconds"], 1)}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
