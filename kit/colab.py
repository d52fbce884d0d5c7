"""The first and the last code cell of every student notebook, written so that one notebook runs locally, in
Jupyter and on Google Colab.

otter assign writes ``grader = otter.Notebook("lab.ipynb")`` first and ``grader.export(...)`` last. On Colab
neither works as is: otter is not installed, the lab's files (genkit.py, the public judge, the test files of
``tests/``) are not beside the notebook, ``otter.Notebook`` raises without a ``./tests`` folder, and
``export`` refuses to run (``incompatible_with(COLAB)``). The build replaces both cells:

- the first cell, on Colab only, unpacks ``<lab>.zip`` (the lab's release folder: the build writes it as
  ``student_release/<lab>.zip``), fetched from ``LAB_ZIP_URL`` when the build was given ``--lab-zip-url``,
  else uploaded by the student, and installs otter-grader (the version the autograder zips install,
  kit.pinned); everywhere it then starts otter's grader;
- the last cell calls ``genkit.export_submission``: otter's export where otter allows it, and on Colab a zip of
  the notebook as Colab holds it now plus the checkpoints, which the browser then downloads.

The grading kernel runs both cells too: the first only starts the grader, the second does nothing (otter's
grading mode).
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from kit import pinned

INIT = '''\
# Run this cell first. It starts otter's grader; on Google Colab it first brings the lab's files
# (genkit.py, the public judge, the tests/ folder) next to this notebook, from {lab}.zip.
import os
LAB_ZIP_URL = "{url}"  # where your course serves {lab}.zip; if empty, Colab asks you to upload it
ON_COLAB = "google.colab" in str(get_ipython())
if ON_COLAB and not os.path.exists("genkit.py"):
    import subprocess, sys, urllib.request, zipfile
    if LAB_ZIP_URL:
        urllib.request.urlretrieve(LAB_ZIP_URL, "{lab}.zip")
        uploaded = "{lab}.zip"
    elif os.path.exists("{lab}.zip"):
        uploaded = "{lab}.zip"
    else:
        from google.colab import files
        print("Upload {lab}.zip, the lab's files as your course hands them out:")
        uploaded = next(iter(files.upload()))
    with zipfile.ZipFile(uploaded) as z:  # everything but the notebook, which is open already
        z.extractall(members=[n for n in z.namelist() if not n.endswith(".ipynb")])
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{otter}"], check=True)
import otter
grader = otter.Notebook("{notebook}" if os.path.exists("{notebook}") else None)'''

EXPORT = '''\
# Save your notebook first (File > Save), then run this cell: it writes the zip to upload to Gradescope,
# with {files}. On Colab it takes the notebook as it is now and downloads the zip.
genkit.export_submission(grader, "{notebook}", files={file_list!r})'''


def is_init(cell) -> bool:
    return cell.cell_type == "code" and "otter.Notebook(" in cell.source


def is_export(cell) -> bool:
    return cell.cell_type == "code" and "grader.export(" in cell.source


def patch_cells(path: Path, lab: str, files: list[str], zip_url: str = "") -> None:
    """Replace otter's init and export cells of the notebook at ``path`` by INIT and EXPORT (each must exist)."""
    nb = nbformat.read(path, as_version=4)
    notebook = Path(path).name
    inits, exports = [c for c in nb.cells if is_init(c)], [c for c in nb.cells if is_export(c)]
    assert len(inits) == 1 and len(exports) == 1, f"{path}: expected one otter init cell and one export cell"
    inits[0].source = INIT.format(lab=lab, url=zip_url, notebook=notebook, otter=pinned("otter-grader"))
    exports[0].source = EXPORT.format(notebook=notebook, file_list=list(files),
                                      files=", ".join(files) if files else "nothing else")
    nbformat.write(nb, path)
