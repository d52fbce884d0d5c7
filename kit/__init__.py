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

for _folder in (TO_AUTOGRADER, TO_STUDENTS):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
