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
import zipfile

import pytest

from conftest import (TESTED_LABS, by_question, grade_as_gradescope, grade_labs, group_of, group_submissions,
                      lost_questions)
from kit.build import require_full_marks

LABS = {lab.name: lab for lab in TESTED_LABS}


def cases(table: str) -> list[tuple[str, str]]:
    """(lab, submission) for every entry of each lab's submissions.<table>."""
    return [(lab.name, name) for lab in TESTED_LABS for name in sorted(getattr(lab.module("submissions"), table))]


@pytest.fixture(scope="session")
def graded(release, tmp_path_factory):
    """graded(lab) -> {submission name: results}; every lab's submissions are graded on first use, in one pool."""
    done: dict[str, dict] = {}

    def get(name: str) -> dict:
        if not done:
            done.update(grade_labs(release, tmp_path_factory.mktemp("submissions"), list(LABS.values())))
        return done[name]
    return get


@pytest.fixture(scope="session")
def through_gradescope(release, tmp_path_factory):
    """{(lab, "solution" or "untouched_student"): results} graded through Gradescope's own entry point (run_otter.py at
    /autograder, conftest.grade_as_gradescope), two at a time."""
    from concurrent.futures import ThreadPoolExecutor

    from kit.build import submission_zip

    work = tmp_path_factory.mktemp("gradescope-entry")
    jobs = []
    for name, lab in LABS.items():
        sol = release / "solutions" / name
        jobs.append((name, "solution", submission_zip(sol / f"{name}.ipynb", [sol / f for f in lab.student_files],
                                                      work / f"{name}-solution.zip")))
        jobs.append((name, "untouched_student", release / "student_release" / name / f"{name}.ipynb"))

    def one(job):
        lab, name, sub = job
        return (lab, name), grade_as_gradescope(sub, release / "autograder" / f"{lab}-autograder.zip",
                                                work / lab / name)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, jobs))


@pytest.mark.parametrize("lab", LABS)
def test_gradescope_entry_point_gives_kit_grade_scores(graded, through_gradescope, lab):
    """The solution and the untouched notebook score the same, question by question, through kit.grade and through
    the entry point Gradescope calls."""
    for name in ("solution", "untouched_student"):
        ours, theirs = graded(lab)[name], through_gradescope[(lab, name)]
        assert not theirs.get("error"), theirs.get("log")
        assert by_question(ours) == by_question(theirs), (name, by_question(ours), by_question(theirs))
    assert through_gradescope[(lab, "solution")]["score"] == through_gradescope[(lab, "solution")]["possible"] > 0


def failing_output(results: dict, questions: set[str] | None = None) -> str:
    """The output of the failing tests (of ``questions`` only, when given)."""
    return " ".join(t.get("output", "") for t in results["tests"] if t.get("score", 0) < t.get("max_score", 0)
                    and (questions is None or t["name"].split(" - ")[0] in questions))


def expected_losses(lab: str, name: str) -> set[str]:
    """What the notebook ``name`` is graded in must lose: the questions of every planted bug of its group."""
    planted = LABS[lab].module("submissions").PLANTED
    return set().union(*(planted[n][1] for n in group_of(LABS[lab], name) if n in planted))


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


def test_grouped_submissions_never_share_a_question_or_a_line():
    planted = {"a": ([("x = 1", "x = 2")], {"q1"}), "b": ([("y = 1", "y = 2")], {"q1"}),
               "c": ([("x = 1\nz", "z")], {"q2"}), "d": ([("w = 1", "w = 2")], {"q3"})}
    honest = {"h": [("x = 2", "x = 3")], "k": [("v = 1", "v = 2")]}
    assert group_submissions(planted, honest) == [["a", "d"], ["b", "c"], ["h", "k"]]
    for lab in LABS.values():
        spec = lab.module("submissions")
        for names in group_submissions(spec.PLANTED, getattr(spec, "HONEST", {})):
            questions = [q for n in names if n in spec.PLANTED for q in spec.PLANTED[n][1]]
            assert len(questions) == len(set(questions)), (lab.name, names)


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
    own = LABS[lab].module("submissions").PLANTED[bug][1]
    expected = expected_losses(lab, bug)  # graded together with bugs of other questions (conftest.group_submissions)
    res = graded(lab)[bug]
    lost = lost_questions(res)
    assert own <= lost and lost == expected, (
        f"{bug} (graded as {'+'.join(group_of(LABS[lab], bug))}): lost {sorted(lost)}, expected {sorted(expected)}; "
        f"{by_question(res)}")


@pytest.mark.parametrize("lab, variant", cases("HONEST"))
def test_honest_variant_gets_full_marks(graded, lab, variant):
    """The solution written another correct way (another loss formula, a library call, an epsilon in a norm)."""
    res = graded(lab)[variant]
    lost = lost_questions(res)  # only the questions of planted bugs graded in the same notebook, if any
    assert res["possible"] > 0 and lost == expected_losses(lab, variant), (
        f"{variant} (graded as {'+'.join(group_of(LABS[lab], variant))}): {by_question(res)}")


@pytest.mark.parametrize("lab, name", cases("FEEDBACK"))
def test_failures_explain_themselves(graded, lab, name):
    """A student reads what was wrong: a plain sentence, or the per-class table for label accuracy."""
    spec = LABS[lab].module("submissions")
    own = spec.PLANTED[name][1] if name in spec.PLANTED else spec.VARIANTS[name][1] if name in spec.VARIANTS else None
    text = failing_output(graded(lab)[name], own)
    for expected in spec.FEEDBACK[name]:
        assert expected in text, f"{name}: {expected!r} not in the feedback:\n{text[:1500]}"
    for wrong in getattr(spec, "WRONG_FIX", {}).get(name, []):
        assert wrong not in text, f"{name}: the feedback points to a fix that does not match ({wrong!r}):\n{text[:1500]}"


def judged_questions(autograder_zip) -> set[str]:
    """The questions of an autograder zip with a test of judged samples (grading.judged)."""
    import verdicts

    with zipfile.ZipFile(autograder_zip) as z:
        tests = {n: z.read(n).decode() for n in z.namelist() if n.startswith("tests/") and n.endswith(".py")}
    return {n[len("tests/"):-3] for n, source in tests.items() if verdicts.JUDGED_CALL.search(source)}


def hidden_test_lines(autograder_zip) -> set[str]:
    """The source lines (longer than 25 characters) of the hidden test cases of an autograder zip."""
    import ast

    lines = set()
    with zipfile.ZipFile(autograder_zip) as z:
        for n in z.namelist():
            if not (n.startswith("tests/") and n.endswith(".py")):
                continue
            source = z.read(n).decode()
            for node in ast.parse(source).body:
                if isinstance(node, ast.FunctionDef) and "hidden=True" in (ast.get_source_segment(
                        source, node.decorator_list[0]) if node.decorator_list else ""):
                    body = ast.get_source_segment(source, node).splitlines()[1:]
                    lines |= {line.strip() for line in body if len(line.strip()) > 25}
    return lines


@pytest.mark.parametrize("lab", [lab for lab in LABS if hasattr(LABS[lab].grading, "JUDGED")])
def test_judged_results_read_as_html_with_figures_and_a_grid(release, graded, lab):
    """What a student reads on Gradescope for each judged question: HTML (read here with an HTML parser) with the
    measured figures in a table and a PNG grid of the graded samples; for a broken submission, its message as well
    (never a hidden test's source)."""
    import base64

    from test_verdicts import Page

    broken = next(iter(sorted(LABS[lab].module("submissions").FEEDBACK)))
    judged = judged_questions(release / "autograder" / f"{lab}-autograder.zip")
    hidden = hidden_test_lines(release / "autograder" / f"{lab}-autograder.zip")
    assert judged and hidden
    for name in ("solution", broken):
        res = graded(lab)[name]
        for t in res["tests"]:
            if t["name"] not in judged:
                continue
            assert t.get("output_format") == "html", (name, t["name"])
            page = Page(t["output"])
            assert "<pre>" in t["output"] and page.text.strip(), t["output"][:500]
            if name == "solution":
                assert page.tables and page.tables[0][0] == ["figure", "value"], t["output"][:500]
                png = page.images[0].split("base64,", 1)[1]
                assert base64.b64decode(png).startswith(b"\x89PNG")
            quoted = [line for line in hidden if line in page.text]
            assert not quoted, f"{name}, {t['name']}: the output quotes hidden tests: {quoted[:2]}"
        for png in (res.get("extra_data") or {}).get("sample_grids", {}).values():
            assert base64.b64decode(png).startswith(b"\x89PNG")
