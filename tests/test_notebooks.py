"""The master notebooks as code: every name their cells read is defined somewhere in them.

A training cell runs only where its checkpoint is missing, so the build (which has the references) never runs it;
a missing import there stops a student who trains with a NameError. kit.notebook.undefined_names reads every
code cell but the tests, on every path.
"""
from __future__ import annotations

import nbformat
import pytest

from kit import labs
from kit.notebook import undefined_names


@pytest.mark.parametrize("lab", [lab.name for lab in labs.ALL])
def test_every_name_a_master_notebook_reads_is_defined(lab):
    missing = undefined_names(labs.get(lab).notebook)
    assert not missing, f"{lab}: the notebook reads {sorted(missing)} but no cell defines or imports them"


def test_the_undefined_name_scan_can_fail(tmp_path):
    """A training cell that uses time without importing it (the cWGAN-GP notebook had one), a function that reads
    a global no cell binds, and a test cell (skipped: its names are fixtures) that reads an unknown name."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os\nimport numpy as np\n%matplotlib inline\nSTEPS = 10"),
        nbformat.v4.new_code_cell("def train(n):\n    return np.zeros(n) * SCALE\n\nclass Net:\n    width = WIDTH\n"),
        nbformat.v4.new_code_cell("if not os.path.exists('x.pt'):\n    start = time.time()\n    train(STEPS)",
                                  metadata={"tags": ["otter_ignore"]}),
        nbformat.v4.new_raw_cell("# BEGIN TESTS"),
        nbformat.v4.new_code_cell("def test_it(train):\n    assert fixture_only(train)"),
        nbformat.v4.new_raw_cell("# END TESTS"),
    ])
    path = tmp_path / "lab.ipynb"
    nbformat.write(nb, path)
    assert undefined_names(path) == {"time", "SCALE", "WIDTH"}
