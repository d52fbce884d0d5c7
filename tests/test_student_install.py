"""README's student install line, run as written in a fresh virtual environment, gives a Jupyter front end and a
kernel that runs a notebook importing what the labs import (a few minutes: it installs torch)."""
from __future__ import annotations

import re
import subprocess
import venv

import nbformat

from conftest import ROOT


def student_install_line() -> str:
    """The ``pip install ...`` line of README's "For students" section."""
    section = (ROOT / "README.md").read_text().split("## For students", 1)[1]
    return re.search(r"^pip install .+$", section, re.M).group(0)


def test_readme_student_line_gives_a_working_jupyter(tmp_path):
    line = student_install_line()
    assert "otter-grader" in line and "torch" in line, line
    env_dir = tmp_path / "student-venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    install = subprocess.run([str(bin_dir / "python"), "-m", *line.split()], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]

    front = subprocess.run([str(bin_dir / "jupyter"), "notebook", "--version"], capture_output=True, text=True)
    assert front.returncode == 0, f"README's student line installs no Jupyter front end: {front.stderr[-1500:]}"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import torch, torchvision, matplotlib, tqdm, otter\n"
                                          "print('kernel ok', torch.__version__)")]
    path = tmp_path / "check.ipynb"
    nbformat.write(nb, path)
    run = subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--stdout",
                          str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0 and "kernel ok" in run.stdout, run.stderr[-3000:]

