"""Shared fixtures: one release built into a temporary folder per test session, and grading helpers.

Every grading here goes through the lab's real autograder zip and its own entry point (kit.grade), in .gradeenv's Python.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kit import grade as kit_grade  # noqa: E402
from kit import labs as kit_labs  # noqa: E402

# Every grading here runs otter in the CPU-only grading environment (`make gradeenv`, as the zips build on
# Gradescope) where there is one: its torch imports in a third of the CUDA build's time.
GRADE_ENV_PYTHON = ROOT / ".gradeenv" / "bin" / "python"
if GRADE_ENV_PYTHON.exists():
    os.environ.setdefault("KIT_GRADING_PYTHON", str(GRADE_ENV_PYTHON))

# KIT_TEST_LABS="cgan_vae" builds (and so tests) only the labs named, e.g. while developing one lab.
_ONLY = os.environ.get("KIT_TEST_LABS", "").split()
TESTED_LABS = [kit_labs.get(name) for name in _ONLY] if _ONLY else list(kit_labs.ALL)
TESTED_NAMES = [lab.name for lab in TESTED_LABS]


@pytest.fixture(scope="session")
def release(tmp_path_factory) -> Path:
    """Build every lab into a fresh folder with the build command instructors use (KIT_TEST_RELEASE: a release built
    earlier into that folder with --results FOLDER/build-results, to run some tests again while developing)."""
    if os.environ.get("KIT_TEST_RELEASE"):
        return Path(os.environ["KIT_TEST_RELEASE"])
    if not os.environ.get("DATA_DIR") and not (ROOT / "data").exists():
        pytest.fail("set DATA_DIR to an offline copy of MNIST/Fashion-MNIST (CI: ../shared/data)")
    out = tmp_path_factory.mktemp("release")
    proc = subprocess.run([sys.executable, "-m", "kit.build", "--out", str(out), "--results", str(out / "build-results"),
                           "--labs", *TESTED_NAMES],
                          cwd=ROOT,
                          capture_output=True, text=True)
    print(proc.stdout[-3000:], proc.stderr[-3000:])
    assert proc.returncode == 0, f"the build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    (out / "build-summary.json").write_text(proc.stdout.strip().splitlines()[-1])
    return out


def mutate(notebook: Path, dest: Path, replacements: list[tuple[str, str]]) -> Path:
    """Copy a notebook, replacing source text; each old text must occur (so a stale mutation fails loudly)."""
    nb = nbformat.read(notebook, as_version=4)
    for old, new in replacements:
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert hits, f"planted bug: {old!r} not found in {notebook.name}"
        for c in hits:
            c.source = c.source.replace(old, new)
    for c in nb.cells:  # a student submits a notebook they ran; outputs do not matter to grading
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


def make_zip(dest: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(dest, "w") as z:
        for f in files:
            z.write(f, f.name)
    return dest


def by_question(results: dict) -> dict[str, tuple[float, float]]:
    return {q: (s, m) for q, (s, m) in kit_grade.per_question(results).items()}


def lost_questions(results: dict) -> set[str]:
    """The questions that did not get full marks."""
    return {q for q, (s, m) in by_question(results).items() if s < m}


def untrained_checkpoint(reference: Path, dest: Path, weight_std: float = 0.02) -> Path:
    """The reference checkpoint with freshly initialised weights: what an untrained model submits."""
    import torch

    blob = torch.load(reference, weights_only=True)
    torch.manual_seed(0)
    for name, t in blob["state_dict"].items():
        if name.endswith("running_var"):
            t.fill_(1.0)
        elif name.endswith("running_mean") or name.endswith("bias"):
            t.zero_()
        elif t.is_floating_point():
            t.copy_(1.0 + 0.02 * torch.randn_like(t) if t.dim() == 1 else weight_std * torch.randn_like(t))
    torch.save(blob, dest)
    return dest


def group_submissions(planted: dict[str, tuple[list, set]], honest: dict[str, list]) -> list[list[str]]:
    """Group source-replacement submissions that can share one notebook, to grade fewer notebooks.

    Planted bugs go together only when the questions they must lose are disjoint and none of their
    replacements touches text another one reads or writes. Honest variants go together on the same text
    condition, never with a planted bug (whose lost question could hide theirs). Each group is graded once: a
    group of bugs must lose exactly the union of its bugs' questions, so each bug still loses its own questions
    and every other question keeps its points; a group of honest variants keeps full marks.
    """

    def texts(replacements):
        return [t for pair in replacements for t in pair]

    def collide(a, b):
        return any(x in y or y in x for x in texts(a) for y in texts(b))

    return (_groups([(n, r, q) for n, (r, q) in planted.items()], collide)
            + _groups([(n, r, set()) for n, r in honest.items()], collide))


def _groups(items, collide) -> list[list[str]]:
    groups: list[dict] = []
    for name, repl, questions in items:
        for g in groups:
            if not (g["questions"] & questions) and not any(collide(repl, r) for r in g["replacements"]):
                g["names"].append(name)
                g["replacements"].append(repl)
                g["questions"] |= questions
                break
        else:
            groups.append({"names": [name], "replacements": [repl], "questions": set(questions)})
    return [g["names"] for g in groups]


def group_of(lab, name: str) -> list[str]:
    """The planted bugs and honest variants graded in one notebook with ``name`` (``name`` included)."""
    spec = lab.module("submissions")
    return next(g for g in group_submissions(spec.PLANTED, getattr(spec, "HONEST", {})) if name in g)


def lab_submissions(release: Path, work: Path, lab) -> dict[str, Path]:
    """The lab's standard set of submission zips, {graded name: zip} (lab: a kit.labs.Lab).

    "untouched_student": the student notebook as released; one per entry of the lab's submissions.VARIANTS
    (the solution with some checkpoints replaced: untrained, or changed by a function); the planted bugs of
    submissions.PLANTED and the honest variants of submissions.HONEST (the solution with those source
    replacements and the trained checkpoints), grouped by ``group_submissions`` and named "a+b+c".
    """
    spec = lab.module("submissions")
    sol_dir = release / "solutions" / lab.name
    solution = sol_dir / lab.notebook.name
    trained = {name: sol_dir / name for name in lab.student_files}
    subs = {"untouched_student": release / "student_release" / lab.name / lab.notebook.name}
    for name, (replaced, _) in spec.VARIANTS.items():
        folder = work / name
        folder.mkdir(parents=True)
        files = dict(trained)
        for ckpt, how in replaced.items():
            if callable(how):
                how(sol_dir, folder / ckpt)
                files[ckpt] = folder / ckpt
            else:
                files[ckpt] = untrained_checkpoint(trained[ckpt], folder / ckpt, weight_std=how)
        subs[name] = make_zip(work / f"{name}.zip", [solution, *files.values()])
    honest = getattr(spec, "HONEST", {})
    replacements = {**{name: r for name, (r, _) in spec.PLANTED.items()}, **honest}
    for names in group_submissions(spec.PLANTED, honest):
        graded = "+".join(names)
        nb = mutate(solution, work / graded / lab.notebook.name, [r for n in names for r in replacements[n]])
        subs[graded] = make_zip(work / f"{graded}.zip", [nb, *trained.values()])
    return subs


def grade_labs(release: Path, work: Path, labs: list) -> dict[str, dict[str, dict]]:
    """Grade the standard submissions of every lab in one pool of two: {lab: {submission: results}}.

    Each planted bug and honest variant is found under its own name (its group's results: see
    ``group_of``). "solution" is the
    solution, zipped with its checkpoints as a student's export does, as the build graded it
    (build-results/<lab>.json).
    """
    jobs = {}
    for lab in labs:
        for name, path in lab_submissions(release, work / lab.name, lab).items():
            jobs[(lab.name, name)] = (path, release / "autograder" / f"{lab.name}-autograder.zip")

    def one(item):
        (lab_name, name), (path, autograder) = item
        return (lab_name, name), kit_grade.grade(path, autograder, work / "results" / lab_name / name)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(pool.map(one, jobs.items()))
    out: dict[str, dict[str, dict]] = {}
    for (lab_name, name), res in results.items():
        for part in name.split("+"):
            out.setdefault(lab_name, {})[part] = res
    for lab in labs:
        out[lab.name]["solution"] = json.loads((release / "build-results" / f"{lab.name}.json").read_text())
    return out


def grade_as_gradescope(submission: Path, autograder_zip: Path, work: Path, timeout: int = 900) -> dict:
    """Grade the way Gradescope does, at /autograder itself: in a mount namespace of its own (``unshare -m``, so the
    machine's /autograder is untouched) a fresh folder is bound there, laid out from the zip and the hand-in
    (kit.grade.autograder_folder), setup.sh's user set-up is run (the lines the build appends to otter's setup.sh:
    not the conda install, which needs the internet), then run_autograder's Python step (``python
    /autograder/source/run_otter.py``, with the grading Python).  Returns results.json as kit.grade reads it (score,
    possible), with "error" where none was written, and "log" (the entry point's output)."""
    from kit.build import SETUP_SANDBOX

    folder = kit_grade.autograder_folder(submission, autograder_zip, work)
    if not Path("/autograder").exists():
        Path("/autograder").mkdir()  # an empty mount point; nothing is ever written to the machine's own
    script = (f"set -e\nmount --make-rprivate /\nmount --bind {folder} /autograder\n{SETUP_SANDBOX}\n"
              f"cd /autograder && exec {kit_grade.grading_python()} /autograder/source/run_otter.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIT_SANDBOX")}
    proc = subprocess.run(["unshare", "--mount", "bash", "-c", script], capture_output=True, text=True,
                          timeout=timeout, env=dict(env, OMP_NUM_THREADS="1"))
    results_path = folder / "results" / "results.json"
    if not results_path.exists():
        return {"tests": [], "score": 0.0, "possible": 0.0, "error": "no results.json",
                "log": (proc.stdout + proc.stderr)[-3000:]}
    results = kit_grade.read_results(results_path)
    results["log"] = (proc.stdout + proc.stderr)[-3000:]
    return results


def sandbox_processes() -> list[str]:
    """The processes of the sandbox's users (kit-student, kit-student2, ...) still running: 'user pid command'."""
    import pwd

    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid = os.stat(f"/proc/{pid}").st_uid
            name = pwd.getpwuid(uid).pw_name
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, KeyError):
            continue
        if name.startswith("kit-student"):
            left.append(f"{name} {pid} {command[:80]}")
    return left


def unguarded_zip(ag_zip: Path, dest: Path) -> Path:
    """A copy of an autograder zip as plain otter would grade with it: no plugins (no box, no guard: the tests run in
    the kernel), and the autograder-only files back in files/, where the kernel finds them.  What the guard prevents
    is shown with it."""
    from kit.build import rewrite_zip

    with zipfile.ZipFile(ag_zip) as z:
        config = json.loads(z.read("otter_config.json"))
        root = [n for n in z.namelist() if "/" not in n and (n.startswith("grading") or n.endswith(".pt"))]
    plugins = {next(iter(p)) for p in config.get("plugins", [])}
    assert plugins == {"gradeguard.GradeGuard", "verdicts.Verdicts"}, plugins
    return rewrite_zip(ag_zip, dest, lambda c: c.update(plugins=[]), move={n: f"files/{n}" for n in root})
