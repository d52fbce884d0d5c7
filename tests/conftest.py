"""Shared fixtures: one release built into a temporary folder per test session, and grading helpers.

Every grading here goes through the real ``otter run`` with the lab's autograder zip.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit import grade as kit_grade  # noqa: E402
from kit import labs as kit_labs  # noqa: E402

# KIT_TEST_LABS="cgan_vae" builds (and so tests) only the labs named, e.g. while developing one lab.
_ONLY = os.environ.get("KIT_TEST_LABS", "").split()
TESTED_LABS = [kit_labs.get(name) for name in _ONLY] if _ONLY else list(kit_labs.ALL)


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> Path:
    """Build every lab into a fresh folder with the build command instructors use."""
    if not os.environ.get("DATA_DIR") and not (ROOT / "data").exists():
        pytest.fail("set DATA_DIR to an offline copy of MNIST/Fashion-MNIST (CI: ../shared/data)")
    out = tmp_path_factory.mktemp("release")
    labs = [lab.name for lab in TESTED_LABS]
    proc = subprocess.run([sys.executable, "-m", "kit.build", "--out", str(out), "--results", str(out / "build-results"),
                           "--labs", *labs],
                          cwd=ROOT,
                          capture_output=True, text=True)
    print(proc.stdout[-3000:], proc.stderr[-3000:])
    assert proc.returncode == 0, f"the build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    (out / "build-summary.json").write_text(proc.stdout.strip().splitlines()[-1])
    return out


def mutate(notebook: Path, dest: Path, replacements: list[tuple[str, str]]) -> Path:
    """Copy a notebook, replacing source text; each old text must occur (so a stale mutation fails loudly)."""
    nb = nbformat.read(notebook, as_version=4)
    for old, new in replacements:
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert hits, f"planted bug: {old!r} not found in {notebook.name}"
        for c in hits:
            c.source = c.source.replace(old, new)
    for c in nb.cells:  # a student submits a notebook they ran; outputs do not matter to grading
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


def make_zip(dest: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(dest, "w") as z:
        for f in files:
            z.write(f, f.name)
    return dest


def grade_all(submissions: dict[str, Path], autograder: Path, workdir: Path) -> dict[str, dict]:
    """Grade several submissions, two at a time (the machine has 2 cores)."""
    def one(item):
        name, path = item
        return name, kit_grade.grade(path, autograder, workdir / name)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, submissions.items()))


def by_question(results: dict) -> dict[str, tuple[float, float]]:
    return {q: (s, m) for q, (s, m) in kit_grade.per_question(results).items()}


def lost_questions(results: dict) -> set[str]:
    """The questions that did not get full marks."""
    return {q for q, (s, m) in by_question(results).items() if s < m}


def untrained_checkpoint(reference: Path, dest: Path, weight_std: float = 0.02) -> Path:
    """The reference checkpoint with freshly initialised weights: what an untrained model submits."""
    import torch

    blob = torch.load(reference, weights_only=True)
    torch.manual_seed(0)
    for name, t in blob["state_dict"].items():
        if name.endswith("running_var"):
            t.fill_(1.0)
        elif name.endswith("running_mean") or name.endswith("bias"):
            t.zero_()
        elif t.is_floating_point():
            t.copy_(1.0 + 0.02 * torch.randn_like(t) if t.dim() == 1 else weight_std * torch.randn_like(t))
    torch.save(blob, dest)
    return dest


def grade_lab(release: Path, work: Path, lab) -> dict:
    """Grade a lab's standard set of submissions through its autograder zip (lab: a kit.labs.Lab).

    "solution": the solution with its checkpoints, as the build graded it (build-results/<lab>.json);
    "untouched_student": the student notebook as released; one
    per entry of the lab's submissions.VARIANTS (the solution with some checkpoints replaced: untrained, or
    changed by a function), one per planted bug of submissions.PLANTED and one per honest variant of
    submissions.HONEST (the solution with those source replacements and the trained checkpoints).
    """
    spec = lab.module("submissions")
    sol_dir = release / "solutions" / lab.name
    solution = sol_dir / lab.notebook.name
    trained = {name: sol_dir / name for name in lab.student_files}
    subs = {"untouched_student": release / "student_release" / lab.name / lab.notebook.name}
    for name, (replaced, _) in spec.VARIANTS.items():
        folder = work / name
        folder.mkdir(parents=True)
        files = dict(trained)
        for ckpt, how in replaced.items():
            if callable(how):
                how(sol_dir, folder / ckpt)
                files[ckpt] = folder / ckpt
            else:
                files[ckpt] = untrained_checkpoint(trained[ckpt], folder / ckpt, weight_std=how)
        subs[name] = make_zip(work / f"{name}.zip", [solution, *files.values()])
    planted = {**{name: r for name, (r, _) in spec.PLANTED.items()}, **getattr(spec, "HONEST", {})}
    for name, replacements in planted.items():
        nb = mutate(solution, work / name / lab.notebook.name, replacements)
        subs[name] = make_zip(work / f"{name}.zip", [nb, *trained.values()])
    graded = grade_all(subs, release / "autograder" / f"{lab.name}-autograder.zip", work / "results")
    # the solution, zipped with its checkpoints as a student's export does, was graded by the build itself
    graded["solution"] = json.loads((release / "build-results" / f"{lab.name}.json").read_text())
    return graded
