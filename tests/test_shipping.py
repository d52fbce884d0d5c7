"""What Gradescope and Colab get is what the suite tests: the versions the zips install, and Gradescope's entry point.

* The zips' environment.yml installs exactly assignment/common/autograder/requirements.txt (kit.grading_requirements),
  and the suite grades in .gradeenv, built from that list (make gradeenv): the versions must match.
* The notebooks' first cell installs on Colab the otter-grader the zips install.
* Every lab's solution, and the untouched student notebook, grade through Gradescope's entry point (run_otter.py at
  /autograder, conftest.grade_as_gradescope) with the scores kit.grade gives them.
"""
from __future__ import annotations

import json
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest
import yaml

from conftest import GRADE_ENV_PYTHON, TESTED_NAMES, by_question, grade_as_gradescope
from kit import grade as kit_grade
from kit import grading_requirements, pinned
from kit.build import submission_zip
from kit.labs import get


def zip_pip_list(autograder_zip) -> list[str]:
    with zipfile.ZipFile(autograder_zip) as z:
        env = yaml.safe_load(z.read("environment.yml"))
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


@pytest.mark.parametrize("lab", TESTED_NAMES)
def test_the_zip_installs_the_pinned_grading_requirements(release, lab):
    assert zip_pip_list(release / "autograder" / f"{lab}-autograder.zip") == grading_requirements()


def test_every_grading_requirement_is_pinned_to_one_version():
    for line in grading_requirements():
        assert line.startswith("--extra-index-url") or "==" in line, f"{line!r} is not an exact version"


@pytest.mark.skipif(not GRADE_ENV_PYTHON.exists(), reason="no .gradeenv (make gradeenv)")
def test_the_suite_grades_with_the_pinned_versions():
    packages = ["torch", "numpy", "tqdm", "matplotlib", "otter-grader"]
    code = ("import importlib.metadata as m, json, sys; "
            f"print(json.dumps({{p: m.version(p) for p in {packages!r}}}))")
    installed = json.loads(subprocess.run([str(GRADE_ENV_PYTHON), "-c", code], capture_output=True, text=True,
                                          check=True).stdout)
    assert {p: f"{p}=={v}" for p, v in installed.items()} == {p: pinned(p) for p in packages}


def test_a_version_mismatch_is_caught():
    """The comparison above can fail: a pin read from another list differs."""
    assert pinned("torch") != "torch==2.9.1+cpu" and pinned("otter-grader").startswith("otter-grader==")


@pytest.mark.parametrize("lab", TESTED_NAMES)
def test_colab_installs_the_otter_the_zips_install(release, lab):
    nb = nbformat.read(release / "student_release" / lab / f"{lab}.ipynb", as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    otter = next(line for line in zip_pip_list(release / "autograder" / f"{lab}-autograder.zip")
                 if line.startswith("otter-grader"))
    assert f'"{pinned("otter-grader")}"' in first.source and otter.endswith(pinned("otter-grader").split("==")[1])


@pytest.fixture(scope="module")
def both_paths(release, tmp_path_factory):
    """{(lab, submission, path): results} for each lab's solution and untouched student notebook, through kit.grade
    and Gradescope's entry point, two at a time."""
    work = tmp_path_factory.mktemp("entry")
    jobs = []
    for lab in TESTED_NAMES:
        sol = release / "solutions" / lab
        solution = submission_zip(sol / f"{lab}.ipynb", [sol / name for name in get(lab).student_files],
                                  work / f"{lab}-solution.zip")
        untouched = release / "student_release" / lab / f"{lab}.ipynb"
        for name, sub in (("solution", solution), ("untouched", untouched)):
            jobs += [(lab, name, "kit.grade", sub), (lab, name, "gradescope", sub)]

    def one(job):
        lab, name, path, sub = job
        ag_zip = release / "autograder" / f"{lab}-autograder.zip"
        out = work / lab / name / path
        res = (kit_grade.grade(sub, ag_zip, out, threads=1) if path == "kit.grade"
               else grade_as_gradescope(sub, ag_zip, out))
        return (lab, name, path), res

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, jobs))


@pytest.mark.parametrize("lab", TESTED_NAMES)
def test_gradescope_entry_point_gives_kit_grade_scores(both_paths, lab):
    for name in ("solution", "untouched"):
        a, b = both_paths[(lab, name, "kit.grade")], both_paths[(lab, name, "gradescope")]
        assert not a.get("error") and not b.get("error"), (a.get("error"), b.get("error"), b.get("log"))
        assert by_question(a) == by_question(b), (name, by_question(a), by_question(b))
    assert both_paths[(lab, "solution", "gradescope")]["score"] == both_paths[(lab, "solution", "gradescope")]["possible"] > 0
    assert both_paths[(lab, "untouched", "gradescope")]["score"] == 0
