"""The student's side, end to end, for every lab: the student notebook with its TODOs filled from the solution and
its checkpoints in place runs top to bottom, once in a plain Jupyter kernel and once in a kernel that reports
itself as Google Colab; the hand-in each run writes grades at full marks through the lab's real autograder zip.

- plain: the notebook sits in a copy of the lab's student release folder; its last cell is otter's export.
- Colab: the notebook and its checkpoints sit alone in an empty folder (a fresh runtime); its first cell must
  unpack ``<lab>.zip`` (uploaded through ``google.colab.files.upload``) and install otter-grader; its last cell
  must hand in through ``genkit.export_submission`` (otter's export refuses to run on Colab). Only what otter and
  the kit read is faked (tests/fake_colab: the shell's class name, ``files.upload`` / ``files.download``,
  ``_message.blocking_request("get_ipynb")``).
"""
from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, TESTED_LABS, by_question
from kit import grade as kit_grade

FAKE_COLAB = Path(__file__).resolve().parent / "fake_colab"
LABS = {lab.name: lab for lab in TESTED_LABS}


def filled(student: Path, solution: Path, dest: Path) -> Path:
    """The student notebook with every code cell replaced by the solution's cell at the same place (the cells are
    aligned by type and first line; the solution has answer-key cells the student notebook lacks)."""
    s, o = nbformat.read(student, as_version=4), nbformat.read(solution, as_version=4)

    def key(c):
        return c.cell_type, (c.source.splitlines() or [""])[0]
    blocks = difflib.SequenceMatcher(a=[key(c) for c in s.cells], b=[key(c) for c in o.cells], autojunk=False)
    filled_cells = 0
    for tag, i1, i2, j1, j2 in blocks.get_opcodes():
        assert tag in ("equal", "insert"), f"{student.name}: cells {i1}-{i2} have no counterpart in the solution"
        for a, b in zip(s.cells[i1:i2], o.cells[j1:j2]) if tag == "equal" else ():
            if a.cell_type == "code" and a.source != b.source:
                a.source = b.source
                filled_cells += 1
            if a.cell_type == "code":
                a.outputs, a.execution_count = [], None
    assert filled_cells > 0, f"{student.name}: nothing to fill"
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(s, dest)
    return dest


def checkpoints(release: Path, lab) -> list[Path]:
    """Every .pt file the solution folder has and the student release lacks: what a student's training wrote."""
    shipped = {p.name for p in (release / "student_release" / lab.name).iterdir()}
    return [p for p in sorted((release / "solutions" / lab.name).glob("*.pt")) if p.name not in shipped]


def run(notebook: Path, colab: bool, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """Execute ``notebook`` top to bottom in its own folder (a Jupyter kernel on one thread), saving its outputs."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", **(extra_env or {})}
    if colab:
        env["PYTHONPATH"] = os.pathsep.join([str(FAKE_COLAB), env.get("PYTHONPATH", "")])
        env["IPYTHONDIR"] = str(FAKE_COLAB / "ipython")
    code = "import sys; from kit.notebook import execute; execute(sys.argv[1], timeout=1200)"
    return subprocess.run([sys.executable, "-c", code, str(notebook)], cwd=ROOT, env=env,
                          capture_output=True, text=True)


def journey(release: Path, work: Path, lab, colab: bool) -> dict:
    """One run: {"proc", "handins" (the zips it wrote), "results" (the grading of the last one, or None)}."""
    name = lab.notebook.name
    runtime = work / "runtime"
    if colab:
        runtime.mkdir(parents=True)  # a fresh Colab runtime: nothing but what the student uploads
    else:
        shutil.copytree(release / "student_release" / lab.name, runtime)
    nb = filled(release / "student_release" / lab.name / name, release / "solutions" / lab.name / name, runtime / name)
    for ckpt in checkpoints(release, lab):
        shutil.copy(ckpt, runtime)
    downloads = work / "downloads"
    downloads.mkdir()
    proc = run(nb, colab, {"FAKE_COLAB_UPLOAD": str(release / "student_release" / f"{lab.name}.zip"),
                           "FAKE_COLAB_NOTEBOOK": str(nb), "FAKE_COLAB_DOWNLOADS": str(downloads)})
    handins = sorted((downloads if colab else runtime).glob(f"{lab.notebook.stem}_*.zip"))
    results = None
    if handins:
        results = kit_grade.grade(handins[-1], release / "autograder" / f"{lab.name}-autograder.zip",
                                  work / "results")
    return {"proc": proc, "handins": handins, "results": results, "runtime": runtime}


@pytest.fixture(scope="session")
def journeys(release, tmp_path_factory):
    """{(lab, "plain" | "colab"): journey}, two runs at a time."""
    work = tmp_path_factory.mktemp("journeys")
    runs = [(lab, kind) for lab in LABS for kind in ("plain", "colab")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = pool.map(lambda r: journey(release, work / f"{r[0]}-{r[1]}", LABS[r[0]], r[1] == "colab"), runs)
        return dict(zip(runs, done))


@pytest.mark.parametrize("kind", ["plain", "colab"])
@pytest.mark.parametrize("lab", LABS)
def test_student_notebook_runs_and_its_handin_gets_full_marks(journeys, lab, kind):
    j = journeys[(lab, kind)]
    assert j["proc"].returncode == 0, f"{lab} ({kind}): the notebook stopped:\n{j['proc'].stderr[-3000:]}"
    assert j["handins"], f"{lab} ({kind}): the export cell wrote no hand-in zip"
    with zipfile.ZipFile(j["handins"][-1]) as z:
        names = set(z.namelist())
    assert {LABS[lab].notebook.name, *LABS[lab].student_files} <= names, names
    res = j["results"]
    assert res["possible"] == LABS[lab].autograded_points and res["score"] == res["possible"], by_question(res)


@pytest.mark.parametrize("lab", LABS)
def test_colab_runtime_got_the_labs_files_from_the_zip(release, journeys, lab):
    runtime = journeys[(lab, "colab")]["runtime"]
    folder = release / "student_release" / lab
    shipped = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    present = {p.relative_to(runtime).as_posix() for p in runtime.rglob("*") if p.is_file()}
    assert shipped <= present, sorted(shipped - present)
    assert any(n.startswith("tests/") for n in shipped), "the student release has no tests/ folder for Colab"


def test_the_fake_colab_kernel_is_colab_to_otter(tmp_path):
    """The Colab-reporting kernel is real enough to fail: otter's own init cell, without a tests/ folder, raises
    there as it does on Colab (and so does its export), and runs in a plain kernel."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('import otter\ngrader = otter.Notebook("x.ipynb")\n'
                                          'grader.export("x.ipynb", pdf=False)')]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    colab = run(path, colab=True)
    assert colab.returncode != 0 and "Tests directory ./tests does not exist" in colab.stderr, colab.stderr[-2000:]
    (tmp_path / "tests").mkdir()
    colab = run(path, colab=True)
    assert colab.returncode != 0 and "not compatible with Google Colab" in colab.stderr, colab.stderr[-2000:]
    plain = run(path, colab=False)
    assert plain.returncode == 0, plain.stderr[-2000:]
