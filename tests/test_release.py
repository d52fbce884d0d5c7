"""What a build produces: no leaks into the student release, committed outputs in step with the sources,
and the grading command's CSV."""
from __future__ import annotations

import csv
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest

from conftest import ROOT, TESTED_NAMES, make_zip
from kit import TO_STUDENTS
from kit.labs import get

LABS = TESTED_NAMES

# What may never reach a student: otter's solution and hidden-test markers, grading-only names.
FORBIDDEN_TEXT = re.compile(r"BEGIN SOLUTION|END SOLUTION|# SOLUTION|# HIDDEN|hidden: *true|hidden=True|"
                            r"judge_\w+_hidden|import grading|Answer key")


def allowed_files(lab: str) -> set[str]:
    """A student release holds its notebook, files of assignment/common/student and the public tests of the
    master's questions (tests/<question>.py, which otter's checks read on Colab), nothing else."""
    questions = {c.source.split("name:", 1)[1].split()[0] for c in nbformat.read(get(lab).notebook, as_version=4).cells
                 if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")}
    return ({f"{lab}.ipynb"} | {p.name for p in TO_STUDENTS.iterdir() if p.is_file()}
            | {f"tests/{q}.py" for q in questions})


def solution_lines(lab: str) -> set[str]:
    """Non-trivial lines that occur only inside the master's BEGIN/END SOLUTION comment blocks.

    Lines that also occur outside them (in given code, or in the support modules) are not secrets.
    """
    nb = nbformat.read(get(lab).notebook, as_version=4)
    secret, public, inside = set(), set(), False
    for cell in nb.cells:
        if cell.cell_type == "raw":  # otter's own markers and config
            continue
        for line in cell.source.splitlines():
            if line.strip() == "# BEGIN SOLUTION":
                inside = True
            elif line.strip() == "# END SOLUTION":
                inside = False
            elif len(line.strip()) > 12:
                (secret if inside and cell.cell_type == "code" else public).add(line.strip())
    shipped = [f.read_text() for f in [*(ROOT / "assignment" / "common").rglob("*.py"), *get(lab).folder.glob("grading_*.py")]]
    return {line for line in secret - public if not any(line in text for text in shipped)}


def leaks(text: str, suffix: str, secret: set[str]) -> list[str]:
    """The solution lines that a file (a notebook's cells, or plain text) holds whole."""
    if suffix == ".ipynb":
        text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
    return sorted(secret & {line.strip() for line in text.splitlines()})


def student_folders(release):
    return [release / "student_release", ROOT / "student_release"]


@pytest.mark.parametrize("where", ["fresh build", "committed"])
@pytest.mark.parametrize("lab", LABS)
def test_student_release_holds_no_solution_hidden_test_or_hidden_judge(release, lab, where):
    folder = (release if where == "fresh build" else ROOT) / "student_release" / lab
    assert (folder / f"{lab}.ipynb").exists(), f"{folder} has no student notebook: run `make release`"
    secret = solution_lines(lab)
    assert secret, "the master notebook should have solution blocks"
    for path in folder.rglob("*"):
        if path.is_dir():
            continue
        assert path.relative_to(folder).as_posix() in allowed_files(lab), f"{path} must not be given to students"
        if path.suffix in (".ipynb", ".py", ".txt", ".md", ".otter", ".json"):
            text = path.read_text()
            assert not FORBIDDEN_TEXT.search(text), f"{path} holds {FORBIDDEN_TEXT.search(text).group()!r}"
            leaked = leaks(text, path.suffix, secret)
            assert not leaked, f"{path} holds solution code: {leaked[:3]}"
    with zipfile.ZipFile(folder.parent / f"{lab}.zip") as z:  # the same folder as one file, for Colab
        assert {n: z.read(n) for n in z.namelist()} == {
            p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}, (
            f"student_release/{lab}.zip is not the folder student_release/{lab}: run `make release`")


def test_the_leak_scan_can_fail(release, tmp_path):
    """Planting a solution line in a copy of the student notebook is caught by the same scan; so is a grading
    file beside it."""
    assert "grading.py" not in allowed_files(LABS[0]) and "judge_mnist_hidden.pt" not in allowed_files(LABS[0])
    lab = LABS[0]
    nb = nbformat.read(release / "student_release" / lab / f"{lab}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(sorted(solution_lines(lab))[0]))
    assert not leaks(nbformat.writes(nbformat.read(release / "student_release" / lab / f"{lab}.ipynb", as_version=4)),
                     ".ipynb", solution_lines(lab))
    assert leaks(nbformat.writes(nb), ".ipynb", solution_lines(lab))


def sources(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    return [(c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("lab", LABS)
def test_committed_release_matches_a_fresh_build(release, lab):
    """student_release/, solutions/ and autograder/ are generated: `make release` must have been run."""
    assert sources(ROOT / "student_release" / lab / f"{lab}.ipynb") == \
        sources(release / "student_release" / lab / f"{lab}.ipynb"), "student notebook is stale: run `make release`"
    assert sources(ROOT / "solutions" / lab / f"{lab}.ipynb") == \
        sources(release / "solutions" / lab / f"{lab}.ipynb"), "solution notebook is stale: run `make release`"

    def tests_of(zip_path):
        with zipfile.ZipFile(zip_path) as z:
            return {n: z.read(n) for n in z.namelist() if n.startswith(("tests/", "files/")) and n.endswith(".py")}
    assert tests_of(ROOT / "autograder" / f"{lab}-autograder.zip") == \
        tests_of(release / "autograder" / f"{lab}-autograder.zip"), "autograder zip is stale: run `make release`"


@pytest.mark.skipif("gan" not in LABS, reason="needs the gan lab in the release")
def test_grade_command_writes_a_csv(release, tmp_path):
    lab = "gan"
    folder = tmp_path / "submissions"
    folder.mkdir()
    sol = release / "solutions" / lab
    make_zip(folder / "alice.zip", [sol / f"{lab}.ipynb", sol / "dcgan_generator.pt"])
    nbformat.write(nbformat.v4.new_notebook(), folder / "mystery.ipynb")  # not a notebook of any lab
    out = tmp_path / "grades.csv"
    proc = subprocess.run([sys.executable, "-m", "kit.grade", str(folder), "--csv", str(out),
                           "--autograder", str(release / "autograder" / f"{lab}-autograder.zip")],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in csv.DictReader(out.open())}
    assert float(rows["alice"]["total"]) == float(rows["alice"]["possible"]) > 0
    assert rows["alice"]["lab"] == lab and float(rows["alice"]["q1_discriminator_loss"]) == 2
    assert "pass --lab" in rows["mystery"]["errors"]
    assert "alice.zip" in proc.stdout and "q7_quality" in proc.stdout


def stated(value: float) -> set[str]:
    """The ways a bar may be written in a notebook: 3.0, 250, 95 %."""
    return {f"{value:g}", f"{value:.1f}", f"{100 * value:g} %"}


@pytest.mark.parametrize("lab", [lab for lab in LABS if hasattr(get(lab).grading, "JUDGED")
                                 and hasattr(get(lab).grading, "DATASET")])
def test_every_judged_bar_is_stated_in_the_student_notebook(release, lab):
    """Each bar the sample judge applies (the measure's, and the realism bars of each model) is written in the
    student's notebook, in bold beside its question, so that no student meets a bar only in the feedback."""
    nb = nbformat.read(release / "student_release" / lab / f"{lab}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    bars = {}
    for key, spec in get(lab).grading.JUDGED.items():
        if spec.bar:
            bars[f"{key} bar"] = spec.bar
        bars[f"{spec.draw.name} realism bar"] = spec.draw.fd_bar
        bars[f"{spec.draw.name} agreement bar"] = spec.draw.agreement_bar
    missing = {name: v for name, v in bars.items() if not any(f"**≥ {s}" in text or f"**≤ {s}" in text
                                                              or f"**{s}" in text for s in stated(v))}
    assert not missing, f"{lab}: bars not stated in bold in the student notebook: {missing}"


# Documents a student does not have: the course's lab sheets ("task 2.1"), the kit's README and issues.
ELSEWHERE = re.compile(r"\btasks? \d|\blab sheet|\bREADME\b|\bthe issue\b|\bseed 00\d", re.I)


@pytest.mark.parametrize("lab", LABS)
def test_student_notebook_stands_alone(release, lab):
    nb = nbformat.read(release / "student_release" / lab / f"{lab}.ipynb", as_version=4)
    cited = [(i, m.group(0)) for i, c in enumerate(nb.cells) for m in ELSEWHERE.finditer(c.source)]
    assert not cited, f"{lab}: cells cite documents the student does not have: {cited}"


def test_the_stand_alone_scan_can_fail():
    assert ELSEWHERE.search("as task 2.3 of the lab sheet asks") and ELSEWHERE.search("see the README of your course")


def text_output_bytes(cell) -> int:
    """The text a code cell prints or returns (streams, plain-text results, tracebacks), in bytes."""
    total = 0
    for out in cell.get("outputs", []):
        total += len(str(out.get("text", ""))) + len(str(out.get("data", {}).get("text/plain", "")))
        total += sum(len(line) for line in out.get("traceback", []))
    return total


@pytest.mark.parametrize("lab", LABS)
def test_no_solution_cell_prints_more_than_20_kb(release, lab):
    nb = nbformat.read(release / "solutions" / lab / f"{lab}.ipynb", as_version=4)
    sizes = [(text_output_bytes(c), i) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    assert sizes and max(sizes)[0] <= 20_000, f"cell {max(sizes)[1]} prints {max(sizes)[0]} bytes of text"
    loud = nbformat.v4.new_code_cell("print(history)")
    loud.outputs = [nbformat.v4.new_output("stream", text="x" * 20_001)]
    assert text_output_bytes(loud) > 20_000  # the measure sees a cell that prints a whole history


@pytest.mark.parametrize("lab", LABS)
def test_every_written_question_shows_its_name_and_points(release, lab):
    written = [c.source for c in nbformat.read(get(lab).notebook, as_version=4).cells
               if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION") and "manual: true" in c.source]
    text = "\n".join(c.source for c in nbformat.read(release / "student_release" / lab / f"{lab}.ipynb",
                                                     as_version=4).cells if c.cell_type == "markdown")
    for config in written:
        name = config.split("name:", 1)[1].split()[0]
        assert f"*Written question `{name}`: " in text, f"{lab}: the written question {name} shows no name and points"
