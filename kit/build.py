"""Build the release: every master notebook in assignment/ becomes a student notebook, a solution and
a Gradescope autograder zip.

    python -m kit.build                  # build into the repository (student_release/, solutions/, autograder/)
    python -m kit.build --out /tmp/rel   # build somewhere else (the test suite does this)
    python -m kit.build --retrain        # train the reference checkpoints again first (minutes)
    python -m kit.build --leaderboard    # zips that also fill Gradescope's leaderboard (off by default)
    python -m kit.build --lab-zip-url 'https://example.edu/labs/{lab}.zip'   # Colab fetches the lab's files there

For each lab:
1. stage: the master notebook, the shared files (assignment/common/student and assignment/common/autograder:
   genkit, grading, the judges), the lab's modules (assignment/<lab>/*.py) and its reference checkpoints
   (assignment/<lab>/reference) go into one folder, as otter assign wants;
2. the lab's make_reference.py, where it has one, writes the autograder-only reference files it makes (again,
   with --retrain); then (with --retrain, or when a submitted checkpoint's reference is missing) the master
   notebook is executed there: its training cells train what has no checkpoint (everything, with --retrain)
   and the checkpoints it writes become the new references;
3. ``otter assign`` splits the master into the student notebook and the autograder (with its zip); otter's
   first and last cells are replaced by ones that also run on Colab (kit/colab.py);
4. the solution notebook is executed (the references are present, so nothing trains) for its figures; its
   export cell writes the hand-in zip, as a student's run does;
5. that hand-in is graded by the real autograder: anything below full marks stops the build;
6. the results are copied to <out>/student_release/<lab> (and the same folder as <lab>.zip, for Colab),
   <out>/solutions/<lab> and <out>/autograder/<lab>-autograder.zip.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

from kit import ROOT, TO_AUTOGRADER, TO_STUDENTS, grading_requirements
from kit.colab import patch_cells
from kit.grade import grade
from kit.labs import LABS, Lab, get
from kit.notebook import execute


def stage(lab: Lab, dest: Path, with_references: bool = True) -> Path:
    """Copy everything the master notebook needs into ``dest``; return the staged master's path."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(lab.notebook, dest)
    for folder in (TO_STUDENTS, TO_AUTOGRADER):
        for f in [*folder.glob("*.py"), *folder.glob("judge_*.pt")]:
            shutil.copy(f, dest)
    for f in lab.folder.glob("grading_*.py"):
        shutil.copy(f, dest)
    if with_references and lab.reference.exists():
        for f in lab.reference.iterdir():
            shutil.copy(f, dest)
    return dest / lab.notebook.name


def make_reference(lab: Lab, force: bool) -> None:
    """Run the lab's make_reference.py (the autograder-only reference files it writes), if it has one."""
    script = lab.folder / "make_reference.py"
    if script.exists():
        subprocess.run([sys.executable, str(script), *(["--force"] if force else [])], check=True, cwd=ROOT)


def retrain(lab: Lab, workdir: Path, everything: bool = True) -> None:
    """Execute the master notebook and keep the checkpoints it trains as references.

    With ``everything`` no reference is staged, so every training cell trains; otherwise the existing
    references are staged and only the missing ones train (training cells skip existing checkpoints).
    """
    master = stage(lab, workdir / "retrain", with_references=not everything)
    before = {p.name for p in master.parent.iterdir()}
    start = time.time()
    print(f"[{lab.name}] training the reference checkpoints (executing the master notebook) ...", flush=True)
    execute(master)
    new = [p for p in master.parent.glob("*.pt") if p.name not in before]
    lab.reference.mkdir(parents=True, exist_ok=True)
    for p in new:
        shutil.copy(p, lab.reference)
    print(f"[{lab.name}] trained {[p.name for p in new]} in {time.time() - start:.0f} s", flush=True)


def assign(master: Path, out: Path) -> None:
    cmd = [sys.executable, "-m", "otter", "assign", "--no-run-tests", str(master), str(out)]
    subprocess.run(cmd, check=True, cwd=master.parent, stdout=subprocess.DEVNULL)


def stable_ids(path: Path) -> None:
    """Number the cells' ids (otter assign draws them at random), so that a rebuild diffs only real changes."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"
    nbformat.write(nb, path)


# The grading guard's limits (assignment/common/autograder/gradeguard.py): seconds per student cell, seconds for the cells
# that run the tests, and memory the kernel may allocate beyond what it holds after importing torch.  A
# solution grades in 20-30 s and under 700 MB on one core, so these are far from what honest work needs.
GUARD_LIMITS = {"cell_timeout": 180, "checks_timeout": 480, "memory_mb": 1024}


def rewrite_zip(ag_zip: Path, dest: Path, edit_config=None, add: dict | None = None,
                move: dict | None = None, replace: dict | None = None) -> Path:
    """Copy an autograder zip to ``dest`` (which may be the same path), with ``edit_config(config)`` applied to
    its otter_config.json, the files ``add`` ({name in the zip: path}) added, the members ``move`` ({old name:
    new name}) renamed and the members ``replace`` ({name: path}) given that file's content."""
    with zipfile.ZipFile(ag_zip) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename in (move or {}):
                info = zipfile.ZipInfo(move[info.filename], info.date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
            if info.filename == "otter_config.json" and edit_config is not None:
                config = json.loads(data)
                edit_config(config)
                data = json.dumps(config, indent=1).encode()
            if info.filename in (replace or {}):
                data = Path(replace[info.filename]).read_bytes()
            z.writestr(info, data)
        for name, path in (add or {}).items():
            z.write(path, name)
    return dest


def judged_assets(lab: str) -> list[str]:
    """The autograder files the lab's verdict plugin reads and then deletes (its grading module's JUDGED draws' assets),
    sorted."""
    specs = getattr(get(lab).grading, "JUDGED", {})
    return sorted({a for spec in specs.values() for a in spec.draw.assets})


# The zip's entry point: Gradescope's run_autograder calls it with no argument (the folder is /autograder); python -m
# kit.grade calls the same file with the autograder-shaped folder it made.
RUN_OTTER = '''"""Runs the autograder: Gradescope's run_autograder calls this file (the folder is /autograder);
python -m kit.grade calls it with the autograder-shaped folder it made: python run_otter.py FOLDER."""
import sys

from otter.run.run_autograder import main as run_autograder

if __name__ == "__main__":
    run_autograder(sys.argv[1] if len(sys.argv) > 1 else "/autograder")
'''
# Appended to otter's setup.sh (run once as root when Gradescope builds the image): the unprivileged user the kernel
# runs as (sandbox.py), and the folders above the conda environment made passable (not readable) for it.
SETUP_SANDBOX = '''
# course kit: the grading kernel runs as this unprivileged user (sandbox.py)
id -u kit-student >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin --user-group kit-student
chmod o+x /root
'''


def add_guard(lab: str, ag_zip: Path, student_notebook: Path, leaderboard: bool = False, **limits) -> None:
    """Make the zip grade in the box: gradeguard.py (the sandboxed kernel, the guard) and verdicts.py (every test run
    outside the kernel) switched on in otter_config.json, with sandbox.py, the entry point RUN_OTTER and the user
    set-up SETUP_SANDBOX; every autograder-only file (the grading modules, the hidden judges, the copy banks, the
    realism statistics, reference files) at the zip's root, out of files/, which otter copies beside the submission
    (verdicts.py deletes the judges and banks from the disk once it has loaded them)."""
    import gradeguard  # assignment/common/autograder is on sys.path (kit/__init__.py)

    assets = judged_assets(lab)
    plugins = [gradeguard.config_for(lab, student_notebook, **{**GUARD_LIMITS, **limits}),
               {"verdicts.Verdicts": {"lab": lab, "assets": assets, "leaderboard": leaderboard}}]
    add = {name: TO_AUTOGRADER / name for name in ("gradeguard.py", "sandbox.py", "verdicts.py")}
    with zipfile.ZipFile(ag_zip) as z:
        names = set(z.namelist())
        setup = z.read("setup.sh").decode()
    hidden = set(get(lab).config.get("autograder_files", [])) | set(assets)
    move = {f"files/{name}": name for name in hidden if f"files/{name}" in names}
    add.update({name: TO_AUTOGRADER / name for name in assets if f"files/{name}" not in names and name not in names})

    def switch_on(config):
        config["plugins"] = plugins
        config["show_hidden"] = True  # students see every question's result once grades are published
        config.pop("assignment_name", None)  # the guard checks it and still writes results.json

    with zipfile.ZipFile(ag_zip) as z:
        environment = pinned_environment(z.read("environment.yml").decode())
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "run_otter.py").write_text(RUN_OTTER)
        (Path(tmp) / "setup.sh").write_text(setup.rstrip("\n") + "\n" + SETUP_SANDBOX)
        (Path(tmp) / "environment.yml").write_text(environment)
        replace = {name: Path(tmp) / name for name in ("run_otter.py", "setup.sh", "environment.yml")}
        rewrite_zip(ag_zip, ag_zip, switch_on, add, move, replace)


def pinned_environment(text: str) -> str:
    """otter's environment.yml with its pip list replaced by the kit's grading requirements (kit.GRADING_REQUIREMENTS:
    exact versions, the same the tests grade with)."""
    import yaml

    env = yaml.safe_load(text)
    deps = env["dependencies"]
    pip = next(d for d in deps if isinstance(d, dict) and "pip" in d)
    pip["pip"] = grading_requirements()
    return yaml.safe_dump(env, sort_keys=False)


def require_full_marks(lab: str, result: dict) -> None:
    """Stop the build (SystemExit, listing the failing tests) unless ``result`` has every point it could have."""
    if result.get("possible", 0) > 0 and result["score"] >= result["possible"]:
        return
    for t in result.get("tests", []):
        if t.get("score", 0) < t.get("max_score", 0):
            print(f"  {t['name']}: {t.get('score')}/{t['max_score']}\n    {t.get('output', '').strip()[:500]}")
    raise SystemExit(f"[{lab}] the solution scores {result.get('score')}/{result.get('possible')}, not full marks"
                     + (f" ({result['error']})" if result.get("error") else ""))


def submission_zip(notebook: Path, files: list[Path], dest: Path) -> Path:
    """A submission as a student's export makes it: the notebook and its checkpoints in one zip."""
    with zipfile.ZipFile(dest, "w") as z:
        z.write(notebook, notebook.name)
        for f in files:
            z.write(f, f.name)
    return dest


def student_zip(folder: Path, dest: Path) -> Path:
    """``folder`` (a lab's student release) as one zip, with fixed dates so that a rebuild gives the same bytes:
    what a student downloads, and what the first cell unpacks on Colab."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f.relative_to(folder).as_posix(), (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, f.read_bytes())
    return dest


def label_written_questions(master: Path, notebook: Path) -> None:
    """Start each written (manual) question of an assigned notebook with its name and points from the master's
    question config: otter keeps only a ``<!-- BEGIN QUESTION -->`` marker, in the same order."""
    import yaml

    configs = [yaml.safe_load(c.source.split("\n", 1)[1]) for c in nbformat.read(master, as_version=4).cells
               if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")]
    written = [q for q in configs if q.get("manual")]
    nb = nbformat.read(notebook, as_version=4)
    marker = "<!-- BEGIN QUESTION -->"
    found = sum(c.source.count(marker) for c in nb.cells if c.cell_type == "markdown")
    assert found == len(written), f"{notebook.name}: {found} written-question markers, {len(written)} in the master"
    queue = iter(written)

    def label(match):
        q = next(queue)
        points = q.get("points", 0)
        return (f"{marker}\n\n*Written question `{q['name']}`: {points:g} point{'s' if points != 1 else ''}, graded "
                "by hand from your answer in this notebook.*\n\n")
    for cell in nb.cells:
        if cell.cell_type == "markdown" and marker in cell.source:
            cell.source = re.sub(re.escape(marker) + r"\s*", label, cell.source)
    nbformat.write(nb, notebook)


def build_lab(name: str, out: Path, work: Path, do_retrain: bool, do_execute: bool,
              results_dir: Path | None = None, leaderboard: bool = False, lab_zip_url: str = "") -> dict:
    lab = get(name)
    config = lab.config
    make_reference(lab, force=do_retrain)
    if do_retrain or not all((lab.reference / f).exists() for f in lab.student_files):
        retrain(lab, work, everything=do_retrain)
    master = stage(lab, work / "stage")
    assign(master, work / "dist")
    ag_dir, student_dir = work / "dist" / "autograder", work / "dist" / "student"
    ag_zip = next(ag_dir.glob(f"{name}-autograder_*.zip"))
    solution = ag_dir / lab.notebook.name
    for nb in (solution, student_dir / lab.notebook.name):
        patch_cells(nb, name, list(lab.student_files), lab_zip_url.format(lab=name))
        label_written_questions(master, nb)
        stable_ids(nb)
    add_guard(name, ag_zip, student_dir / lab.notebook.name, leaderboard=leaderboard)
    if lab.reference.exists():
        for f in lab.reference.iterdir():
            shutil.copy(f, ag_dir)

    start = time.time()
    if do_execute:
        execute(solution)
    executed_s = time.time() - start

    # Grade the solution through the real autograder: it must get full marks. Executed, the solution's export
    # cell wrote the hand-in as a student's does (otter's export); that zip is what is graded.
    exported = sorted(ag_dir.glob(f"{lab.notebook.stem}_*.zip"))
    if do_execute and not exported:
        raise SystemExit(f"[{name}] the solution's export cell wrote no submission zip")
    sub = exported[-1] if exported else submission_zip(
        solution, [ag_dir / Path(f).name for f in lab.student_files], work / f"{name}-solution.zip")
    result = grade(sub, ag_zip, work / "solution-results")
    if results_dir:
        results_dir.mkdir(parents=True, exist_ok=True)
        (results_dir / f"{name}.json").write_text(json.dumps(result))
    require_full_marks(name, result)

    # Place the outputs.
    dest_student, dest_solution = out / "student_release" / name, out / "solutions" / name
    for d in (dest_student, dest_solution):
        shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(student_dir, dest_student)
    student_zip(dest_student, out / "student_release" / f"{name}.zip")
    dest_solution.mkdir(parents=True)
    shutil.copy(solution, dest_solution)
    if lab.reference.exists():
        for f in lab.reference.iterdir():
            shutil.copy(f, dest_solution)
    for f in config.get("files", []):
        shutil.copy(ag_dir / f, dest_solution)
    (out / "autograder").mkdir(parents=True, exist_ok=True)
    shutil.copy(ag_zip, out / "autograder" / f"{name}-autograder.zip")
    print(f"[{name}] built: solution {result['score']}/{result['possible']} points "
          f"(executed in {executed_s:.0f} s, graded in {result['seconds']:.0f} s)", flush=True)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT, help="where student_release/, solutions/, autograder/ go")
    ap.add_argument("--labs", nargs="*", default=list(LABS))
    ap.add_argument("--retrain", action="store_true", help="train the reference checkpoints again")
    ap.add_argument("--no-execute", action="store_true", help="do not execute the solution notebooks")
    ap.add_argument("--results", type=Path, help="keep each solution's grading results here as <lab>.json")
    ap.add_argument("--lab-zip-url", default="",
                    help="where the course serves each student_release/<lab>.zip, e.g. https://example.edu/labs/{lab}.zip: "
                         "the notebooks' first cell fetches it on Colab (default: the student uploads it)")
    ap.add_argument("--leaderboard", action="store_true",
                    help="fill Gradescope's leaderboard with each submission's quality figures (off by default)")
    args = ap.parse_args(argv)
    summary = {}
    with tempfile.TemporaryDirectory(prefix="kit-build-") as tmp:
        for lab in args.labs:
            res = build_lab(lab, args.out.resolve(), Path(tmp) / lab, args.retrain, not args.no_execute,
                            args.results.resolve() if args.results else None, args.leaderboard, args.lab_zip_url)
            summary[lab] = {"score": res["score"], "possible": res["possible"], "grading_s": round(res["seconds"], 1)}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
