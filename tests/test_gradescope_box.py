"""Grading in a box shaped like Gradescope's default container (768 MB memory cgroup, 0.5 CPU), with a CPU-only
torch as the autograder zips install it (`make gradeenv`): the solution grades at full marks, and a cell that
holds more memory than the box has costs only itself, where it used to kill the kernel and leave no results.

The box is ../shared/tools/gradescope-box (root and cgroup v1), the grading Python .gradeenv/bin/python, the command
the zip's own entry point (run_otter.py in an autograder-shaped folder, as on Gradescope), with the sandbox on.
"""
from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from conftest import GRADE_ENV_PYTHON as GRADE_PYTHON, ROOT, TESTED_NAMES, make_zip, unguarded_zip
from kit.grade import autograder_folder, grading_env

BOX = ROOT.parent / "shared" / "tools" / "gradescope-box"
LAB = "gan"
HOG = "big = torch.ones(150_000_000)  # 600 MB: a whole dataset loaded as floats, say"

pytestmark = [
    pytest.mark.skipif(not BOX.exists(), reason="no gradescope-box beside the kit (../shared/tools)"),
    pytest.mark.skipif(LAB not in TESTED_NAMES, reason=f"the {LAB} lab is not tested"),
]


def in_box(cmd: list[str], mem_mb: int = 768, **kw) -> tuple[subprocess.CompletedProcess, str]:
    """Run ``cmd`` in the box; return the process and the box's own report line."""
    proc = subprocess.run([str(BOX), "--mem", str(mem_mb), "--", *cmd], capture_output=True, text=True, **kw)
    report = next((line for line in proc.stderr.splitlines() if line.startswith("gradescope-box:")), "")
    return proc, report


def test_the_guard_reads_the_box_memory_limit():
    code = "import gradeguard; limit, used = gradeguard.container_memory(); print(limit // 2**20, used // 2**20)"
    env = {"PYTHONPATH": str(ROOT / "assignment" / "common" / "autograder")}
    proc, report = in_box([str(GRADE_PYTHON), "-c", code], mem_mb=600, env=env)
    assert proc.returncode == 0, proc.stderr
    limit, used = map(int, proc.stdout.split())
    assert limit == 600 and 0 < used < 600, (limit, used, report)


@pytest.fixture(scope="module")
def graded_in_box(release, tmp_path_factory):
    assert GRADE_PYTHON.exists(), "no CPU-only grading environment: run `make gradeenv` (make test does)"
    work = tmp_path_factory.mktemp("box")
    sol = release / "solutions" / LAB
    ag_zip = release / "autograder" / f"{LAB}-autograder.zip"
    nb = nbformat.read(sol / f"{LAB}.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "RETRAIN =" in c.source)
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(HOG))
    (work / "hog").mkdir()
    nbformat.write(nb, work / "hog" / f"{LAB}.ipynb")
    hog = make_zip(work / "hog.zip", [work / "hog" / f"{LAB}.ipynb", sol / "dcgan_generator.pt"])
    unguarded = unguarded_zip(ag_zip, work / "unguarded.zip")
    jobs = {"solution": (make_zip(work / "solution.zip", [sol / f"{LAB}.ipynb", sol / "dcgan_generator.pt"]), ag_zip),
            "memory_hog": (hog, ag_zip),
            "memory_hog_guard_off": (hog, unguarded)}

    def one(item):
        name, (sub, ag_zip) = item
        ag = autograder_folder(sub, ag_zip, work / name)
        proc, report = in_box([str(GRADE_PYTHON), str(ag / "source" / "run_otter.py"), str(ag)],
                              env=grading_env(threads=1), timeout=900)
        out = ag / "results" / "results.json"
        results = json.loads(out.read_text()) if out.exists() else None
        return name, (results, report, proc.stdout[-2000:] + proc.stderr[-2000:])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, jobs.items()))


def score(results: dict) -> tuple[float, float]:
    tests = [t for t in results["tests"] if "max_score" in t]
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


def test_the_solution_grades_at_full_marks_in_the_box(graded_in_box):
    results, report, log = graded_in_box["solution"]
    assert results is not None, f"no results.json: {report}\n{log}"
    got, possible = score(results)
    assert possible > 0 and got == possible, results["tests"]
    assert "oom_kill 0" in report, report


def test_a_cell_holding_more_memory_than_the_box_costs_only_itself(graded_in_box):
    results, report, log = graded_in_box["memory_hog"]
    assert results is not None, f"the kernel died and wrote no results.json: {report}\n{log}"
    got, possible = score(results)
    assert possible > 0 and got == possible, results["tests"]
    assert "more memory than the autograder allows" in results.get("output", ""), results.get("output")
    assert "oom_kill 0" in report, report


def test_guard_off_the_same_cell_kills_the_kernel_in_the_box(graded_in_box):
    """What the guard prevents: without it the kernel is killed and the student gets no results at all."""
    results, report, log = graded_in_box["memory_hog_guard_off"]
    assert results is None or score(results)[0] < score(results)[1], (report, results)
