"""kit: the instructor's tooling of the course kit (build the release, train judges, grade, benchmark).

The lab support modules live in assignment/common and are imported from there.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignment"
COMMON = ASSIGNMENT / "common"
JUDGES = ASSIGNMENT / "judges"
LABS = ("gan", "adversarial", "cgan_vae", "wgan", "diffusion")  # every lab: assignment/<lab>/<lab>.ipynb is its master notebook

if str(COMMON) not in sys.path:
    sys.path.insert(0, str(COMMON))
