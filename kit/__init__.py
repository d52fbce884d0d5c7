"""kit: the instructor's tooling of the course kit (build the release, train judges, grade, benchmark).

Where things live (see README's layout):

* ``assignment/<lab>/`` holds everything of one lab; labs are discovered from these folders (kit.labs);
* ``assignment/common/student/`` (TO_STUDENTS): what every student release and every autograder gets,
  genkit.py and the public judges;
* ``assignment/common/autograder/`` (TO_AUTOGRADER): what only the autograder zips get, grading.py,
  gradeguard.py, the hidden judges and the copy banks.

Both shared folders are put on sys.path, so ``import genkit`` and ``import grading`` work in the kit's tools.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignment"
COMMON = ASSIGNMENT / "common"
TO_STUDENTS = COMMON / "student"
TO_AUTOGRADER = COMMON / "autograder"
GRADING_REQUIREMENTS = TO_AUTOGRADER / "requirements.txt"  # what the zips install and the tests grade with


def grading_requirements() -> list[str]:
    """The lines of GRADING_REQUIREMENTS (pip's syntax), comments and blank lines left out."""
    lines = (line.split("#", 1)[0].strip() for line in GRADING_REQUIREMENTS.read_text().splitlines())
    return [line for line in lines if line]


def pinned(package: str) -> str:
    """The requirement GRADING_REQUIREMENTS pins ``package`` to, without extras ("otter-grader==7.0.0")."""
    import re

    for line in grading_requirements():
        m = re.fullmatch(rf"{re.escape(package)}(\[[^\]]*\])?==(\S+)", line)
        if m:
            return f"{package}=={m.group(2)}"
    raise KeyError(f"{GRADING_REQUIREMENTS} pins no {package}")

for _folder in (TO_AUTOGRADER, TO_STUDENTS):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
