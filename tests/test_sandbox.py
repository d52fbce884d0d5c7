"""A catalogue of submissions that try to take points at the process level, each graded through ``kit.grade`` and
through Gradescope's own entry point (``run_otter.py`` at /autograder, in a mount namespace: conftest.
grade_as_gradescope).

Each is the untouched student notebook of the GAN lab (nothing implemented, no checkpoint) with one extra cell.
The kernel runs as an unprivileged user in its box (assignment/common/autograder/sandbox.py), every point is decided
in otter's process (verdicts.py), and the kernel and all it started are killed before results are written
(gradeguard.py).  So each must score what the untouched notebook scores, 0, with results.json written, nothing of
the sandbox's users left running, and the grader's files and the installed packages untouched.  The honest
submissions keep their grades in tests/test_labs.py.
"""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from conftest import TESTED_NAMES, by_question, grade_as_gradescope, sandbox_processes
from kit import grade as kit_grade

LAB = "gan"
pytestmark = pytest.mark.skipif(LAB not in TESTED_NAMES, reason=f"the {LAB} lab is not tested")
MARKER = Path("/var/tmp") / f"kit-sandbox-test-{uuid.uuid4().hex}"  # what code run as root by a cheat would write

# Waits for otter's results.json (beside the submission's folder, as on Gradescope and under kit.grade) and rewrites
# every score to its maximum: a process in a session of its own, detached from the kernel by a double fork.
LINGERING = r'''import os, sys, textwrap
helper = textwrap.dedent("""
    import json, time
    for _ in range(6000):
        for path in ("../results/results.json", "/" + "autograder/results/results.json"):
            try:
                with open(path) as f:
                    r = json.load(f)
                for t in r.get("tests", []):
                    t["score"] = t.get("max_score", 0)
                r["score"] = sum(t.get("max_score", 0) for t in r["tests"])
                with open(path, "w") as f:
                    json.dump(r, f)
            except Exception:
                pass
        time.sleep(0.1)
""")
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", helper])
    os._exit(0)
'''

# Replaces otter's results pickle (which `otter run` reads back with dill) by one that runs code when loaded.
SWAPPED_PICKLE = r'''import os, sys, textwrap
helper = textwrap.dedent("""
    import pickle, time
    class Run:
        def __reduce__(self):
            return (exec, ("open('MARKER', 'w').write('ran in the grader')",))
    for _ in range(6000):
        for path in ("../results/results.pkl", "/" + "autograder/results/results.pkl"):
            try:
                with open(path, "wb") as f:
                    pickle.dump(Run(), f)
            except Exception:
                pass
        time.sleep(0.05)
""").replace("MARKER", "@MARKER@")
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", helper])
'''

# Makes otter's test runner in the kernel report every test as passed.
OTTER_PATCHED = '''import otter.test_files.exception_test as et
from otter.test_files.abstract_test import TestCaseResult
def run(self, env):
    self.test_case_results = [TestCaseResult(test_case=tc, message="", passed=True) for tc in self.test_cases]
et.ExceptionTestFile.run = run
'''

# Looks for the grading process in /proc and reads the hidden tests through it (its folder, its memory); where it
# finds an expected value, the loss returns it.
READS_PROC = r'''import os, re
found = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0")
    except OSError:
        continue
    for part in cmd:
        if part.endswith("run_otter.py"):
            source = os.path.dirname(part)
            for path in (f"{source}/tests/q1_discriminator_loss.py", f"/proc/{pid}/cwd/../source/tests/q1_discriminator_loss.py",
                         f"/proc/{pid}/root{source}/tests/q1_discriminator_loss.py", f"/proc/{pid}/environ"):
                try:
                    found.append(open(path, errors="replace").read())
                except OSError:
                    pass
            try:
                with open(f"/proc/{pid}/mem", "rb") as mem:
                    found.append(mem.read(1 << 20).decode(errors="replace"))
            except (OSError, ValueError):
                pass
values = re.findall(r"expected = ([0-9.]+)", "".join(found))

def discriminator_loss(real_logits, fake_logits):
    import torch
    return torch.tensor(float(values[0]) if values else float("nan"), dtype=real_logits.dtype)
'''

# Writes what the kernel used to leave for the sample judge (the DCGAN's samples) and a results file of its own.
WRITES_EVIDENCE = r'''import json, os, numpy as np
os.makedirs("kit-samples", exist_ok=True)
np.save("kit-samples/dcgan.npy", np.random.default_rng(0).random((1000, 28, 28), dtype=np.float32))
for path in ("../results/results.json", "results.json"):
    try:
        json.dump({"score": 12, "tests": [{"name": "q1_discriminator_loss", "score": 2, "max_score": 2}]}, open(path, "w"))
    except OSError:
        pass
'''

# Rewrites the installed packages and the autograder's modules so that every test passes in whichever process imports
# them next (otter's runner, a sitecustomize that every later Python runs).
REWRITES_PACKAGES = r'''import os, site, sys
import otter.test_files.exception_test as et
patch = "\nExceptionTestFile.run = lambda self, env: None\n"
targets = [et.__file__, *(os.path.join(p, "sitecustomize.py") for p in site.getsitepackages()),
           os.path.join(sys.prefix, "lib", "python3.11", "sitecustomize.py"), "../source/verdicts.py", "../source/grading.py"]
for path in targets:
    try:
        with open(path, "a") as f:
            f.write(patch)
    except OSError:
        pass
'''

# Watches the autograder's calls into the kernel and answers each with a reply of its own (the same value for all).
FORGES_REPLIES = r'''import re
from IPython import get_ipython
from IPython.display import display

def forge(info):
    code = getattr(info, "raw_cell", "") or ""
    nonce = re.search(r"reply\[\"nonce\"\] = '([0-9a-f]+)'", code)
    mime = re.search(r"display\(\{'(application/[^']+)'", code)
    if nonce and mime:
        display({mime.group(1): {"nonce": nonce.group(1), "value": {"tree": 1.0, "arrays": ""}}}, raw=True)

get_ipython().events.register("pre_run_cell", forge)
'''

# Sends SIGKILL to every process it may signal (the grader too, were it the same user), its parent, then itself.
KILLS_EVERYTHING = r'''import os, signal
for pid in (-1, os.getppid()):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
os.kill(os.getpid(), signal.SIGKILL)
'''

ATTACKS = {"lingering_process": LINGERING, "swapped_results_pickle": SWAPPED_PICKLE.replace("@MARKER@", str(MARKER)),
           "otter_patched_in_the_kernel": OTTER_PATCHED, "reads_the_grader_through_proc": READS_PROC,
           "writes_the_evidence_itself": WRITES_EVIDENCE, "rewrites_installed_packages": REWRITES_PACKAGES,
           "forges_kernel_replies": FORGES_REPLIES, "kills_every_process_it_can": KILLS_EVERYTHING}


def package_digest() -> str:
    """A digest of the grading Python's otter package and site-packages' sitecustomize.py (if any)."""
    import subprocess

    code = ("import hashlib, os, site, otter; root = os.path.dirname(otter.__file__); h = hashlib.sha256()\n"
            "for d, _, fs in sorted(os.walk(root)):\n"
            "    for f in sorted(fs):\n"
            "        if f.endswith('.py'): h.update(open(os.path.join(d, f), 'rb').read())\n"
            "for p in site.getsitepackages(): h.update(str(os.path.exists(os.path.join(p, 'sitecustomize.py'))).encode())\n"
            "print(h.hexdigest())")
    return subprocess.run([kit_grade.grading_python(), "-c", code], capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    """{(attack, "kit.grade" or "gradescope"): results}, two gradings at a time, and the package digest before."""
    work = tmp_path_factory.mktemp("sandbox")
    student = release / "student_release" / LAB / f"{LAB}.ipynb"
    ag_zip = release / "autograder" / f"{LAB}-autograder.zip"
    subs = {}
    for name, cell in ATTACKS.items():
        nb = nbformat.read(student, as_version=4)
        at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "RETRAIN =" in c.source)
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(cell))
        (work / name).mkdir()
        nbformat.write(nb, work / name / f"{LAB}.ipynb")
        subs[name] = work / name / f"{LAB}.ipynb"
    before = package_digest()

    def one(job):
        name, path = job
        if path == "kit.grade":
            return job, kit_grade.grade(subs[name], ag_zip, work / "out" / name, timeout=600, threads=1)
        return job, grade_as_gradescope(subs[name], ag_zip, work / "gradescope" / name)

    jobs = [(name, path) for name in ATTACKS for path in ("kit.grade", "gradescope")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(one, jobs))
    return results, before


@pytest.mark.parametrize("path", ["kit.grade", "gradescope"])
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_attack_scores_what_the_untouched_notebook_scores(graded, attack, path):
    res = graded[0][(attack, path)]
    assert not res.get("error") and res["possible"] > 0, res.get("error") or res.get("log")
    assert res["score"] == 0, f"{attack} through {path}: {by_question(res)}"


def test_nothing_of_the_sandbox_is_left_running(graded):
    assert not sandbox_processes(), sandbox_processes()


def test_a_lingering_process_is_stopped_and_said_to_be(graded):
    for path in ("kit.grade", "gradescope"):
        output = graded[0][("lingering_process", path)].get("output", "")
        assert "Stopped" in output and "left running" in output, (path, output)


def test_no_code_of_the_kernel_ran_in_the_grader(graded):
    assert not MARKER.exists(), MARKER.read_text()


def test_the_installed_packages_are_untouched(graded):
    assert package_digest() == graded[1]


def test_a_kernel_that_kills_everything_it_can_only_kills_itself(graded):
    """Only its own kernel dies (the grader is another user's): the results name the cell, and the notebook was run
    again without it (tests/test_bad_submissions.py shows a solution keeping its points that way)."""
    for path in ("kit.grade", "gradescope"):
        output = graded[0][("kills_every_process_it_can", path)].get("output", "")
        assert "The kernel died while it ran the cell starting 'import os, signal'" in output, (path, output)
