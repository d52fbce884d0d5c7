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


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> Path:
    """Build every lab into a fresh folder with the build command instructors use."""
    if not os.environ.get("DATA_DIR") and not (ROOT / "data").exists():
        pytest.fail("set DATA_DIR to an offline copy of MNIST/Fashion-MNIST (CI: ../shared/data)")
    out = tmp_path_factory.mktemp("release")
    proc = subprocess.run([sys.executable, "-m", "kit.build", "--out", str(out)], cwd=ROOT,
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
