"""What Gradescope and Colab get is what the suite tests: the versions the zips install, and Gradescope's entry point.

* The zips' environment.yml installs exactly assignment/common/autograder/requirements.txt (kit.grading_requirements),
  and the suite grades in .gradeenv, built from that list (make gradeenv): the versions must match.
* The notebooks' first cell installs on Colab the otter-grader the zips install.
(Every lab's solution and untouched student notebook grade through Gradescope's entry point with the scores kit.grade
gives them: tests/test_labs.py.)
"""
from __future__ import annotations

import json
import subprocess
import zipfile
import nbformat
import pytest
import yaml

from conftest import GRADE_ENV_PYTHON, TESTED_NAMES
from kit import grading_requirements, pinned


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
