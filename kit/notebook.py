"""Running a lab notebook outside otter, one way for every tool of the kit.

    from kit.notebook import execute, load_code
    execute(path)            # run it top to bottom in a Jupyter kernel, in its own folder, saving the outputs
    ns = load_code(path)     # execute its definitions in this process and return the namespace
    undefined_names(path)    # names its code reads that no cell defines (a missing import, a typo)

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


def code_outside_tests(path: Path) -> str:
    """Every code cell of an otter-assign master that is not one of its tests (between ``# BEGIN TESTS`` and
    ``# END TESTS``), the otter_ignore ones included, as one source; lines of IPython magic or shell are dropped."""
    nb = nbformat.read(path, as_version=4)
    parts, in_tests = [], False
    for cell in nb.cells:
        text = cell.source.strip()
        if cell.cell_type == "raw" and text.upper().startswith("# BEGIN TESTS"):
            in_tests = True
        elif cell.cell_type == "raw" and text.upper().startswith("# END TESTS"):
            in_tests = False
        elif cell.cell_type == "code" and not in_tests:
            lines = cell.source.splitlines()
            parts.append("\n".join(line for line in lines if not line.lstrip().startswith(("%", "!"))))
    return "\n\n".join(parts)


def undefined_names(path: Path) -> set[str]:
    """Names that the master notebook's code (tests aside) reads but that no cell binds and Python does not
    provide: what ``NameError`` would stop a student with, on any path through the notebook (a training cell
    that runs only when its checkpoint is missing, say).  Order is ignored; names bound in any cell count."""
    import builtins
    import symtable

    top = symtable.symtable(code_outside_tests(Path(path)), str(path), "exec")
    known = set(dir(builtins)) | {"get_ipython", "display", "__file__"}
    known |= {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    missing, tables = set(), [top]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for s in table.get_symbols():
            if not s.is_referenced() or s.get_name() in known:
                continue
            if table is top or s.is_global():
                missing.add(s.get_name())
    return missing
