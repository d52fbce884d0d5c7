"""Shared fixtures: one release built into a temporary folder per test session, and grading helpers.

Every grading here goes through the real ``otter run`` with the lab's autograder zip.
"""
from __future__ import annotations

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


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> Path:
    """Build every lab into a fresh folder with the build command instructors use."""
    if not os.environ.get("DATA_DIR") and not (ROOT / "data").exists():
        pytest.fail("set DATA_DIR to an offline copy of MNIST/Fashion-MNIST (CI: ../shared/data)")
    out = tmp_path_factory.mktemp("release")
    # KIT_TEST_LABS="cgan_vae" builds (and so tests) only the labs named, e.g. while developing one lab.
    labs = os.environ.get("KIT_TEST_LABS", "").split()
    proc = subprocess.run([sys.executable, "-m", "kit.build", "--out", str(out)] + (["--labs", *labs] if labs else []),
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


def grade_lab(release: Path, work: Path, lab: str, checkpoint: str, planted: dict, weight_std: float = 0.02,
              checkpoint_variants: dict | None = None) -> dict:
    """Grade a lab's standard set of submissions through its autograder zip.

    "solution": the solution with its checkpoint; "untouched_student": the student notebook as released;
    "untrained": the solution with an untrained checkpoint; one per planted bug: the solution with the
    bug's source replacements and the trained checkpoint; one per ``checkpoint_variants`` entry
    (name -> function(trained checkpoint, dest) that writes a changed checkpoint, e.g. an unconditional one):
    the solution with that checkpoint.
    """
    solution = release / "solutions" / lab / f"{lab}.ipynb"
    ckpt = release / "solutions" / lab / checkpoint
    subs = {"solution": make_zip(work / "solution.zip", [solution, ckpt]),
            "untouched_student": release / "student_release" / lab / f"{lab}.ipynb",
            "untrained": make_zip(work / "untrained.zip",
                                  [solution, untrained_checkpoint(ckpt, work / checkpoint, weight_std)])}
    for name, (replacements, _) in planted.items():
        nb = mutate(solution, work / name / f"{lab}.ipynb", replacements)
        subs[name] = make_zip(work / f"{name}.zip", [nb, ckpt])
    for name, make in (checkpoint_variants or {}).items():
        (work / name).mkdir()
        subs[name] = make_zip(work / f"{name}.zip", [solution, make(ckpt, work / name / checkpoint)])
    return grade_all(subs, release / "autograder" / f"{lab}-autograder.zip", work / "results")
