"""The labs of the kit, discovered from their folders: ``assignment/<lab>/<lab>.ipynb`` makes a lab.

    from kit.labs import LABS, get
    lab = get("wgan")
    lab.notebook, lab.reference, lab.config["student_files"], lab.number
    lab.module("grading_wgan"), lab.module("bench"), lab.module("submissions")   # None where absent

A lab's folder holds (only the master notebook is required):

* ``<lab>.ipynb``        the master notebook (otter assign format; its title says "Lab N", which orders the labs);
* ``grading_<lab>.py``   its autograder-only grading module, with the lab's ``BARS``;
* ``reference/``         its trained checkpoints (what the master notebook's training cells write);
* ``make_reference.py``  code that makes autograder-only reference files, run by the build before the
                         master when present (``--force`` with ``kit.build --retrain``);
* ``bench.py``           its training benchmark (``kit.bench``);
* ``submissions.py``     the planted bugs and submission variants the kit's tests grade, with the questions
                         each must lose;
* ``checks.py``          pytest checks of the lab's own autograder pieces (tests/test_lab_checks.py collects them).
"""
from __future__ import annotations

import functools
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from kit import ASSIGNMENT

TITLE = re.compile(r"^#\s*Lab\s+(\d+)\s*[—-]+\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Lab:
    name: str
    folder: Path

    @property
    def notebook(self) -> Path:
        return self.folder / f"{self.name}.ipynb"

    @property
    def reference(self) -> Path:
        return self.folder / "reference"

    @functools.cached_property
    def _cells(self) -> list:
        import nbformat

        return nbformat.read(self.notebook, as_version=4).cells

    @functools.cached_property
    def config(self) -> dict:
        """The master notebook's ASSIGNMENT CONFIG, parsed."""
        import yaml

        for cell in self._cells:
            if cell.cell_type == "raw" and cell.source.lstrip().startswith("# ASSIGNMENT CONFIG"):
                return yaml.safe_load(cell.source)
        raise SystemExit(f"{self.notebook}: the master notebook has no ASSIGNMENT CONFIG cell")

    @functools.cached_property
    def _title(self) -> tuple[int, str]:
        for cell in self._cells:
            if cell.cell_type == "markdown" and (m := TITLE.search(cell.source)):
                return int(m.group(1)), m.group(2).strip()
        raise SystemExit(f"{self.notebook}: no '# Lab N — title' heading")

    @property
    def number(self) -> int:
        return self._title[0]

    @property
    def title(self) -> str:
        return self._title[1]

    @functools.cached_property
    def questions(self) -> list[dict]:
        """The master's questions: their BEGIN QUESTION configs (name, points, manual), in order."""
        import yaml

        return [yaml.safe_load(c.source.split("\n", 1)[1]) for c in self._cells
                if c.cell_type == "raw" and c.source.lstrip().startswith("# BEGIN QUESTION")]

    @property
    def autograded_points(self) -> float:
        """The points the autograder can give: those of every question that is not graded by hand."""
        return float(sum(q.get("points", 0) for q in self.questions if not q.get("manual")))

    @property
    def student_files(self) -> list[str]:
        """The checkpoints a student submits with the notebook."""
        return list(self.config.get("student_files", []))

    def module(self, stem: str) -> ModuleType | None:
        """The lab's ``<stem>.py`` imported (once), or None.  grading_<lab> is registered under its own name,
        as the hidden tests import it; the others as ``lab_<lab>_<stem>``."""
        path = self.folder / f"{stem}.py"
        if not path.exists():
            return None
        name = stem if stem.startswith("grading_") else f"lab_{self.name}_{stem}"
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, path)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
        return sys.modules[name]

    @property
    def grading(self) -> ModuleType | None:
        return self.module(f"grading_{self.name}")


def discover(root: Path = ASSIGNMENT) -> list[Lab]:
    """Every lab under ``root``, in the order of their numbers."""
    labs = [Lab(p.name, p) for p in sorted(root.iterdir()) if (p / f"{p.name}.ipynb").is_file()]
    numbers = [lab.number for lab in labs]
    if len(set(numbers)) != len(numbers):
        raise SystemExit(f"two labs share a number: {sorted(zip(numbers, (lab.name for lab in labs)))}")
    return sorted(labs, key=lambda lab: lab.number)


# KIT_EXTRA_LABS: more folders of labs (os.pathsep between them), discovered beside assignment/'s (the kit's tests
# point it at tests/minilab, a lab that lives in its folder alone).
ALL = sorted([*discover(), *(lab for root in os.environ.get("KIT_EXTRA_LABS", "").split(os.pathsep) if root
                             for lab in discover(Path(root)))], key=lambda lab: lab.number)
LABS = tuple(lab.name for lab in ALL)
_BY_NAME = {lab.name: lab for lab in ALL}


def get(name: str) -> Lab:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise SystemExit(f"no lab named {name!r}; the labs are {', '.join(LABS)}") from None


def _register_reference_folders() -> None:
    """The grading modules find their data files with grading.data_file: in the autograder beside them, in the
    repository in the shared autograder folder and in each lab's reference/ folder."""
    import grading

    for lab in ALL:
        if lab.reference.is_dir() and lab.reference not in grading.DATA_DIRS:
            grading.DATA_DIRS.append(lab.reference)


_register_reference_folders()
