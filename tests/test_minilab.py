"""A lab is a folder: tests/minilab/tiny holds a whole lab (a master notebook with one coded question and its hidden
test, one judged model, one written question; its grading module; its reference checkpoint) and nothing outside that
folder names it.  Discovery is pointed at it (KIT_EXTRA_LABS), the build command makes its release, and its solution
and its untouched student notebook are graded through the real zip."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, by_question
from kit import grade as kit_grade

FOLDER = ROOT / "tests" / "minilab"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not os.environ.get("DATA_DIR") and not (ROOT / "data").exists():
        pytest.skip("no DATA_DIR")
    out = tmp_path_factory.mktemp("minilab")
    env = dict(os.environ, KIT_EXTRA_LABS=str(FOLDER), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "kit.build", "--labs", "tiny", "--out", str(out), "--results",
                           str(out / "results")], cwd=ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


def test_nothing_outside_the_folder_names_the_lab():
    hits = subprocess.run(["git", "grep", "-l", "-w", "-e", "grading_tiny", "-e", "TinyGenerator", "--", ".",
                           ":!tests/minilab", ":!tests/test_minilab.py"], cwd=ROOT, capture_output=True,
                          text=True).stdout.split()
    assert hits == [], hits


def test_the_build_grades_its_solution_with_every_point(built):
    result = json.loads((built / "results" / "tiny.json").read_text())
    assert result["score"] == result["possible"] == 4, by_question(result)
    figures = result["extra_data"]["samples"]["tiny"]
    # generate is the network here: the same images, a Frechet distance of 0 up to rounding (-1e-5 was seen)
    assert figures["inception_score"] >= 1.5 and abs(figures["match"]) < 1e-3, figures


def test_its_untouched_student_notebook_scores_zero(built, tmp_path):
    res = kit_grade.grade(built / "student_release" / "tiny" / "tiny.ipynb", built / "autograder" / "tiny-autograder.zip",
                          tmp_path, threads=1)
    assert res["possible"] == 4 and res["score"] == 0, by_question(res)


def test_its_written_question_is_labelled_for_hand_grading(built):
    import nbformat

    nb = nbformat.read(built / "student_release" / "tiny" / "tiny.ipynb", as_version=4)
    assert any("Written question `q3_why`: 1 point" in c.source for c in nb.cells if c.cell_type == "markdown")
