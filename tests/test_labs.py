"""Every lab graded end to end through its real autograder zip, with the submissions of its own
assignment/<lab>/submissions.py.

For each discovered lab: the build grades the solution with every point the master declares; the solution
submission gets full marks; the untouched student notebook gets zero autograded points; each variant
(untrained or changed checkpoints) and each planted bug loses exactly the questions it names and keeps every
other one; each honest variant (the solution written another correct way) keeps full marks; the failing tests'
outputs say what was wrong.
"""
from __future__ import annotations

import json

import pytest

from conftest import TESTED_LABS, by_question, grade_lab, lost_questions
from kit.build import require_full_marks

LABS = {lab.name: lab for lab in TESTED_LABS}


def cases(table: str) -> list[tuple[str, str]]:
    """(lab, submission) for every entry of each lab's submissions.<table>."""
    return [(lab.name, name) for lab in TESTED_LABS for name in sorted(getattr(lab.module("submissions"), table))]


@pytest.fixture(scope="session")
def graded(release, tmp_path_factory):
    """graded(lab) -> {submission name: results}; each lab's submissions are graded once, on first use."""
    done: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in done:
            done[name] = grade_lab(release, tmp_path_factory.mktemp(f"{name}-submissions"), LABS[name])
        return done[name]
    return get


def failing_output(results: dict) -> str:
    return " ".join(t.get("output", "") for t in results["tests"] if t.get("score", 0) < t.get("max_score", 0))


@pytest.mark.parametrize("lab", LABS)
def test_build_grades_the_solution_with_every_declared_point(release, lab):
    """The build's own grading of the solution: every point that the master's questions declare is there."""
    summary = json.loads((release / "build-summary.json").read_text())[lab]
    assert summary["possible"] == LABS[lab].autograded_points, (
        f"the autograder grades {summary['possible']} points, the master's questions declare "
        f"{LABS[lab].autograded_points}")
    assert summary["score"] == summary["possible"]


def test_the_build_stops_below_full_marks():
    full = {"score": 3.0, "possible": 3.0, "tests": []}
    require_full_marks("lab", full)
    for broken in ({"score": 2.0, "possible": 3.0, "tests": [{"name": "q1", "score": 0, "max_score": 1}]},
                   {"score": 0.0, "possible": 0.0, "tests": [], "error": "the autograder wrote no results"}):
        with pytest.raises(SystemExit, match="not full marks"):
            require_full_marks("lab", broken)


@pytest.mark.parametrize("lab", LABS)
def test_solution_submission_gets_full_marks(graded, lab):
    res = graded(lab)["solution"]
    minimum = LABS[lab].module("submissions").MIN_POINTS
    assert res["possible"] >= minimum and res["score"] == res["possible"], by_question(res)


@pytest.mark.parametrize("lab", LABS)
def test_untouched_student_notebook_gets_zero(graded, lab):
    res = graded(lab)["untouched_student"]
    assert res["possible"] == graded(lab)["solution"]["possible"], "the student notebook should be graded on every test"
    assert res["score"] == 0, by_question(res)


@pytest.mark.parametrize("lab, variant", cases("VARIANTS"))
def test_changed_checkpoints_lose_only_their_questions(graded, lab, variant):
    expected = LABS[lab].module("submissions").VARIANTS[variant][1]
    res = graded(lab)[variant]
    assert lost_questions(res) == expected, f"{variant}: lost {sorted(lost_questions(res))}; {by_question(res)}"


@pytest.mark.parametrize("lab, bug", cases("PLANTED"))
def test_planted_bug_loses_its_points_and_keeps_the_rest(graded, lab, bug):
    expected = LABS[lab].module("submissions").PLANTED[bug][1]
    res = graded(lab)[bug]
    lost = lost_questions(res)
    assert lost == expected, f"{bug}: lost {sorted(lost)}, expected {sorted(expected)}; {by_question(res)}"


@pytest.mark.parametrize("lab, variant", cases("HONEST"))
def test_honest_variant_gets_full_marks(graded, lab, variant):
    """The solution written another correct way (another loss formula, a library call, an epsilon in a norm)."""
    res = graded(lab)[variant]
    assert res["possible"] > 0 and res["score"] == res["possible"], f"{variant}: {by_question(res)}"


@pytest.mark.parametrize("lab, name", cases("FEEDBACK"))
def test_failures_explain_themselves(graded, lab, name):
    """A student reads what was wrong: a plain sentence, or the per-class table for label accuracy."""
    text = failing_output(graded(lab)[name])
    for expected in LABS[lab].module("submissions").FEEDBACK[name]:
        assert expected in text, f"{name}: {expected!r} not in the feedback:\n{text[:1500]}"
