"""Running a lab notebook outside otter, one way for every tool of the kit.

    from kit.notebook import execute, load_code
    execute(path)            # run it top to bottom in a Jupyter kernel, in its own folder, saving the outputs
    ns = load_code(path)     # execute its definitions in this process and return the namespace

``load_code`` runs the code cells that define the lab (models, losses, train_*, generate, ...) and skips what is
not code of the lab: cells tagged otter_ignore (data loading, training, plots), otter's own cells (``import
otter``, ``grader.check``), and test cells.  It runs in the notebook's folder, so cells that load a checkpoint
find it; a checkpoint that is missing (genkit.CheckpointError) leaves the model untrained and goes on.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat

from kit import labs


def execute(path: Path, timeout: int | None = None) -> None:
    """Run a notebook top to bottom in its own folder and save it with its outputs."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(Path(path).parent)}}).execute()
    nbformat.write(nb, path)


def is_definition(cell) -> bool:
    src = cell.source.lstrip()
    return (cell.cell_type == "code" and "otter_ignore" not in cell.metadata.get("tags", [])
            and not re.search(r"\bgrader\b", src) and "import otter" not in src
            and not src.startswith(('"""', "def test_")))


def load_code(path: Path, namespace: dict | None = None) -> dict:
    """Execute the definition cells of the notebook at ``path`` (see the module docstring); return the namespace."""
    import genkit

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    ns = {} if namespace is None else namespace
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        for cell in filter(is_definition, nb.cells):
            try:
                exec(compile(cell.source, f"<{path.name}>", "exec"), ns)
            except genkit.CheckpointError:
                pass
    finally:
        os.chdir(cwd)
    return ns


def lab_code(name: str, root: Path | None = None) -> dict:
    """The namespace of a lab's solution: the built solution notebook (which has the reference checkpoints beside
    it) where a release is built in ``root`` (default: the repository), else the master notebook."""
    from kit import ROOT

    lab = labs.get(name)
    solution = (root or ROOT) / "solutions" / name / f"{name}.ipynb"
    return load_code(solution if solution.exists() else lab.notebook)
