"""A catalogue of bad submissions, each graded through the GAN lab's real autograder zip (kit.grade: its own entry
point, as on Gradescope).

For each: results.json is written, the questions that do not depend on the broken part keep their points,
and what was wrong is said in one plain line (in the failing test's output, or in the results' ``output``
field that Gradescope shows above the tests).  The safeguards live in assignment/common/autograder/grading.py
(checks on what ``generate`` returns), genkit.load_checkpoint (missing / wrong checkpoints) and the
autograder's plugin assignment/common/autograder/gradeguard.py (otter_ignore tags from the master, a time limit per
cell, a memory limit, a notebook from another lab, a kernel that dies).  The process-level cheats are in
tests/test_sandbox.py.  Tests marked "guard off" grade the same submission
with the plugin switched off and show what the safeguard prevents.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from conftest import TESTED_NAMES, by_question, lost_questions, make_zip, mutate, unguarded_zip
from kit import grade as kit_grade
from kit.build import rewrite_zip

LAB = "gan"
CKPT = "dcgan_generator.pt"
# the submissions are the gan lab's, and two of them borrow the adversarial lab's notebook and checkpoint
pytestmark = pytest.mark.skipif(not {LAB, "adversarial"} <= set(TESTED_NAMES),
                                reason="needs the gan and adversarial labs in the release (KIT_TEST_LABS)")
GEN_RETURN = "return x.reshape(n, 28, 28).cpu().numpy().astype(np.float32)"
D_LOSS_DEF = "def discriminator_loss(real_logits, fake_logits):"
CELL_TIMEOUT = 15  # a short limit in a copy of the zip, so that the endless loop costs seconds
GUARD_OFF_WAIT = 90  # the unguarded endless loop's time: twice what the guarded one takes to grade (44 s on CI)


def edit_notebook(src: Path, dest: Path, edit) -> Path:
    """Copy a notebook, apply ``edit(nb)`` (insert cells, drop tags, ...), clear outputs."""
    nb = nbformat.read(src, as_version=4)
    edit(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


def insert_after_setup(source: str):
    """An edit that inserts a code cell right after the notebook's set-up cell (the one defining RETRAIN)."""
    def edit(nb):
        at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "RETRAIN =" in c.source)
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(source))
    return edit


def strip_ignore_tags_and_retrain(nb):
    """What a student does who wants the autograder to train: no otter_ignore tags, RETRAIN = True."""
    for c in nb.cells:
        tags = c.metadata.get("tags", [])
        if "otter_ignore" in tags:
            tags.remove("otter_ignore")
        if c.cell_type == "code":
            c.source = c.source.replace("RETRAIN = False", "RETRAIN = True")


def zip_variant(ag_zip: Path, dest: Path, **limits) -> Path:
    """A copy of the autograder zip with the guard's limits changed."""
    return rewrite_zip(ag_zip, dest, lambda config: config["plugins"][0]["gradeguard.GradeGuard"].update(limits))


def training_images(dest: Path, k: int = 3000, train: bool = True, shift: tuple = (0, 0)) -> Path:
    """k random MNIST training (or test) images as uint8, rolled by ``shift`` pixels: what a generator that
    returns stored images would return."""
    import numpy as np
    import torch
    import genkit

    images, _ = genkit.load_tensors("mnist", train=train)
    idx = torch.randperm(len(images), generator=torch.Generator().manual_seed(1))[:k]
    picked = torch.roll(images[idx, 0], shift, dims=(1, 2))
    dest.parent.mkdir(parents=True, exist_ok=True)
    np.save(dest, (picked * 255).round().to(torch.uint8).numpy())
    return dest


def deformed_images(dest: Path, k: int = 3000) -> Path:
    """k random MNIST training images, each bent by a random elastic distortion (torchvision's ElasticTransform,
    alpha 30, sigma 4), as uint8: what a generator that serves stored images past the copy bank would return."""
    import numpy as np
    import torch
    import torchvision.transforms.v2 as T
    import genkit

    images, _ = genkit.load_tensors("mnist", train=True)
    torch.manual_seed(2)
    idx = torch.randperm(len(images))[:k]
    bent = torch.stack([T.ElasticTransform(alpha=30.0, sigma=4.0)(x) for x in images[idx]])[:, 0]
    dest.parent.mkdir(parents=True, exist_ok=True)
    np.save(dest, (bent * 255).round().to(torch.uint8).numpy())
    return dest


# generate's return line -> (what it returns instead, text the feedback must contain, questions lost).
# A tensor on another device is made with torch's "meta" device: this machine has no GPU, and the check
# treats every non-CPU tensor alike.  float64 images are judged (the quality question keeps its points);
# only the contract question, which asks for float32, loses.
BOTH = {"q6_generate", "q7_quality"}
GENERATE_BAD = {
    "generate_returns_nan": ("return np.full((n, 28, 28), np.nan, dtype=np.float32)", "NaN", BOTH),
    "generate_returns_torch_tensor": ("return x.reshape(n, 28, 28)", "numpy", BOTH),
    "generate_returns_gpu_tensor": ("return torch.zeros(n, 28, 28, device='meta')", ".cpu()", BOTH),
    "generate_returns_list": ("return x.reshape(n, 28, 28).cpu().numpy().tolist()", "list", BOTH),
    "generate_wrong_shape": ("return x.cpu().numpy().astype(np.float32)", "shape", BOTH),
    "generate_wrong_dtype": ("return x.reshape(n, 28, 28).cpu().numpy().astype(np.float64)", "float32",
                             {"q6_generate"}),
    "generate_out_of_range": ("return 255 * x.reshape(n, 28, 28).cpu().numpy().astype(np.float32)", "[0, 1]",
                              BOTH),
}


# In the grading kernel: every test the kernel runs reports a pass, and stored training images are written where the
# kernel used to leave its samples for the sample judge.
PATCH_OTTER = """import os, numpy as np
import otter.test_files.exception_test as et
from otter.test_files.abstract_test import TestCaseResult
def run(self, env):
    self.test_case_results = [TestCaseResult(test_case=tc, message="", passed=True) for tc in self.test_cases]
et.ExceptionTestFile.run = run
os.makedirs("kit-samples", exist_ok=True)
np.save("kit-samples/dcgan.npy", np.load("copies.npy")[:1000].astype(np.float32) / 255)
"""
@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    work = tmp_path_factory.mktemp("bad-submissions")
    sol_dir = release / "solutions" / LAB
    solution, ckpt = sol_dir / f"{LAB}.ipynb", sol_dir / CKPT
    ag_zip = release / "autograder" / f"{LAB}-autograder.zip"
    short = zip_variant(ag_zip, work / "short-timeout.zip", cell_timeout=CELL_TIMEOUT)
    unguarded = unguarded_zip(ag_zip, work / "unguarded.zip")

    def nb(name, edit):
        return edit_notebook(solution, work / name / f"{LAB}.ipynb", edit)

    def sub(name, notebook, *files):
        return make_zip(work / f"{name}.zip", [notebook, *files])

    # a checkpoint from another architecture: the adversarial lab's CNN saved under the DCGAN's name
    wrong_arch = work / "wrong_architecture" / CKPT
    wrong_arch.parent.mkdir()
    wrong_arch.write_bytes((release / "solutions" / "adversarial" / "adversarial_cnn.pt").read_bytes())

    jobs = {
        "solution": (sub("solution", solution, ckpt), ag_zip),
        "solution_again": (sub("solution_again", solution, ckpt), ag_zip),
        "cell_raises": (sub("cell_raises", mutate(solution, work / "cell_raises" / f"{LAB}.ipynb", [
            (D_LOSS_DEF, 'raise RuntimeError("a bug in this cell")\n' + D_LOSS_DEF)]), ckpt), ag_zip),
        "ignore_tags_removed": (sub("ignore_tags_removed", nb("ignore_tags_removed", strip_ignore_tags_and_retrain),
                                    ckpt), ag_zip),
        "endless_loop": (sub("endless_loop", nb("endless_loop", insert_after_setup("while True:\n    pass")), ckpt),
                         short),
        "endless_loop_guard_off": (work / "endless_loop.zip", unguarded),
        "memory_hog": (sub("memory_hog", nb("memory_hog", insert_after_setup(
            "hog = np.ones(2**29)  # 4 GB, five times Gradescope's container")), ckpt), ag_zip),
        "memory_hog_guard_off": (work / "memory_hog.zip", unguarded),
        "missing_checkpoint": (sub("missing_checkpoint", solution), ag_zip),
        "wrong_architecture": (sub("wrong_architecture", solution, wrong_arch), ag_zip),
        "returns_training_images": (sub("returns_training_images", mutate(
            solution, work / "returns_training_images" / f"{LAB}.ipynb",
            [(GEN_RETURN, 'return np.load("copies.npy")[np.random.randint(0, len(np.load("copies.npy")), n)]'
                          '.astype(np.float32) / 255')]), ckpt, training_images(work / "copies.npy")), ag_zip),
        "patches_the_grading_code": (sub("patches_the_grading_code", nb("patches_the_grading_code", insert_after_setup(
            "import grading, sys\n"
            "sys.modules['otter'].__dict__.get('Notebook')\n"
            "grading.judged = lambda *args, **kwargs: None  # the quality tests always pass in the kernel\n"
            "judge = torch.load('judge_mnist_hidden.pt')  # the hidden judge's weights")), ckpt), ag_zip),
        "another_lab": (sub("another_lab", release / "solutions" / "adversarial" / "adversarial.ipynb"), ag_zip),
        # the solution, with a cell that ends its own kernel: the notebook is run again without that cell
        "kernel_killed_by_a_cell": (sub("kernel_killed_by_a_cell", nb("kernel_killed_by_a_cell", insert_after_setup(
            "import os\nos._exit(0)  # the kernel is gone")), ckpt), ag_zip),
        # the untouched student notebook (with a checkpoint), and a cell that makes otter's runner in the kernel
        # report every test as passed and leaves stored training images as the DCGAN's samples
        "patches_otter_in_the_kernel": (sub("patches_otter_in_the_kernel", edit_notebook(
            release / "student_release" / LAB / f"{LAB}.ipynb", work / "patches_otter" / f"{LAB}.ipynb",
            insert_after_setup(PATCH_OTTER)), ckpt, training_images(work / "patches_otter" / "copies.npy")), ag_zip),
        "returns_deformed_training_images": (sub("returns_deformed_training_images", mutate(
            solution, work / "returns_deformed_training_images" / f"{LAB}.ipynb",
            [(GEN_RETURN, 'return np.load("bent.npy")[np.random.randint(0, len(np.load("bent.npy")), n)]'
                          '.astype(np.float32) / 255')]), ckpt, deformed_images(work / "bent.npy")), ag_zip),
    }
    for name, (new_return, _, _) in GENERATE_BAD.items():
        jobs[name] = (sub(name, mutate(solution, work / name / f"{LAB}.ipynb", [(GEN_RETURN, new_return)]), ckpt),
                      ag_zip)

    def one(item):
        name, (path, autograder) = item
        timeout = GUARD_OFF_WAIT if name == "endless_loop_guard_off" else 900
        return name, kit_grade.grade(path, autograder, work / "results" / name, timeout=timeout)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, jobs.items()))


def feedback(results: dict) -> str:
    """What a student reads: the results' output field and the outputs of the tests that lost points."""
    failing = [t.get("output", "") for t in results.get("tests", []) if t.get("score", 0) < t.get("max_score", 0)]
    return "\n".join([results.get("output", "") or "", *failing])


def test_solution_is_graded_the_same_twice(graded):
    a, b = graded["solution"], graded["solution_again"]
    assert a["score"] == a["possible"] > 0, by_question(a)
    assert [(t["name"], t.get("score"), t.get("output")) for t in a["tests"]] == \
        [(t["name"], t.get("score"), t.get("output")) for t in b["tests"]]


def test_a_cell_that_raises_costs_only_what_it_defines(graded):
    """The cell defining the discriminator's loss raises: its question and the training step that uses it."""
    res = graded["cell_raises"]
    assert lost_questions(res) == {"q1_discriminator_loss", "q3_training_steps"}, by_question(res)
    assert "discriminator_loss" in feedback(res)


def test_training_cells_stay_skipped_when_the_tags_are_removed(graded):
    res = graded["ignore_tags_removed"]
    assert res["score"] == res["possible"] > 0, by_question(res)
    assert "were skipped as the release says" in feedback(res), feedback(res)
    # the guard re-tagged the data-loading and training cells: grading took as long as the solution's
    assert res["seconds"] < graded["solution"]["seconds"] + 60


def test_an_endless_loop_is_stopped_and_grading_goes_on(graded):
    res = graded["endless_loop"]
    assert res["score"] == res["possible"] > 0, by_question(res)
    assert f"limit of {CELL_TIMEOUT} s" in feedback(res) and "while True:" in feedback(res), feedback(res)


def test_guard_off_an_endless_loop_leaves_no_results(graded):
    assert graded["endless_loop"]["seconds"] < GUARD_OFF_WAIT, graded["endless_loop"]["seconds"]
    res = graded["endless_loop_guard_off"]
    assert res["possible"] == 0 and "no results" in res["error"], res.get("error")


def test_a_huge_allocation_is_refused_and_grading_goes_on(graded):
    res = graded["memory_hog"]
    assert res["score"] == res["possible"] > 0, by_question(res)
    assert "more memory than the autograder allows" in feedback(res), feedback(res)


def test_guard_off_a_huge_allocation_goes_through(graded):
    """Without the guard the 4 GB allocation succeeds here (in a 768 MB container the kernel would be killed):
    grading wrote its results, every point is there, and nothing was refused."""
    res = graded["memory_hog_guard_off"]
    assert not res.get("error") and res["possible"] > 0, res.get("error")
    assert res["score"] == res["possible"], by_question(res)
    assert "memory" not in feedback(res), feedback(res)


def test_a_missing_checkpoint_costs_only_the_quality_question(graded):
    res = graded["missing_checkpoint"]
    assert lost_questions(res) == {"q7_quality"}, by_question(res)
    assert f"{CKPT} is not in your submission" in feedback(res), feedback(res)


def test_a_checkpoint_of_another_architecture_is_named_as_such(graded):
    res = graded["wrong_architecture"]
    assert lost_questions(res) == {"q7_quality"}, by_question(res)
    assert "different architecture" in feedback(res), feedback(res)


NOT_THE_NETWORK = "are not those of your DCGANGenerator"


def test_a_generator_that_returns_training_images_fails_quality(graded):
    """The judged samples come from the submitted network; generate's stored images are not its samples."""
    res = graded["returns_training_images"]
    assert lost_questions(res) == {"q7_quality"}, by_question(res)
    assert NOT_THE_NETWORK in feedback(res), feedback(res)


def test_a_generator_that_returns_deformed_training_images_fails_quality_and_is_flagged(graded):
    """Real images bent by an elastic distortion pass every check of samples alone (tests/test_judges.py), but they are
    not what the submitted network draws: the quality question is lost, and the cell that reads them is flagged in the
    results and the CSV's flags column (gradeguard.DATA_READ). The solution has no flag."""
    from kit.classgrade import row

    res = graded["returns_deformed_training_images"]
    assert lost_questions(res) == {"q7_quality"}, by_question(res)
    text = feedback(res)
    assert NOT_THE_NETWORK in text and "uses np.load" in text, text
    assert "np.load" in row("mallory", LAB, res)["flags"]
    assert "Flagged" not in (graded["solution"].get("output") or "")


def test_a_kernel_that_patches_otter_keeps_no_point(graded):
    """The kernel claims every test passed and leaves stored images as samples: no test's verdict comes from the
    kernel, so the untouched notebook keeps its zero; the cell is flagged."""
    res = graded["patches_otter_in_the_kernel"]
    assert res["possible"] > 0 and res["score"] == 0, by_question(res)
    assert "Flagged for the instructor:" in feedback(res) and "otter.test_files" in feedback(res), feedback(res)


def test_a_kernel_that_patches_grading_changes_nothing(graded):
    """A cell replaces grading.judged in the kernel and loads the hidden judge (which the kernel cannot read): the tests
    run outside the kernel with the autograder's own grading module, so the solution keeps every point as it
    would without the cell, and the cell is flagged (test_code_that_reaches_for_the_autograder_is_flagged)."""
    res = graded["patches_the_grading_code"]
    assert res["score"] == res["possible"] > 0, by_question(res)


def test_a_cell_that_ends_the_kernel_costs_only_itself(graded):
    """os._exit in a cell ends the kernel: the notebook is run again without that cell, the results name it, and
    every point that does not need it is kept (here all of them)."""
    res = graded["kernel_killed_by_a_cell"]
    assert res["score"] == res["possible"] > 0, by_question(res)
    assert "The kernel died while it ran the cell starting 'import os'" in feedback(res), feedback(res)


def test_the_judged_figures_reach_results_json(graded):
    figures = graded["solution"]["extra_data"]["samples"]["dcgan"]
    assert "leaderboard" not in graded["solution"]  # off by default
    assert 0 < graded["solution"]["extra_data"]["grading_seconds"] < graded["solution"]["seconds"]
    assert figures["samples"] == 1000 and figures["inception_score"] >= 3.0 and figures["copies"] == 0, figures
    assert "extra_data" not in graded["missing_checkpoint"] or "error" in \
        graded["missing_checkpoint"]["extra_data"]["samples"]["dcgan"]


def test_a_notebook_from_another_lab_is_named_as_such(graded):
    res = graded["another_lab"]
    assert res["possible"] > 0 and res["score"] == 0, by_question(res)
    assert "from the lab 'adversarial'" in feedback(res), feedback(res)


@pytest.mark.parametrize("name", sorted(GENERATE_BAD))
def test_bad_generate_output_loses_only_generate_questions_and_says_why(graded, name):
    res = graded[name]
    _, expected, lost = GENERATE_BAD[name]
    assert lost_questions(res) == lost, by_question(res)
    assert expected in feedback(res), f"{name}: {expected!r} not in the feedback:\n{feedback(res)}"


def test_code_that_reaches_for_the_autograder_is_flagged(graded):
    """Patching grading, reading the hidden judge, touching sys.modules: each is named in the results and in the CSV's
    flags column (evidence for a person; no point depends on it); the honest solution has no flag."""
    from kit.classgrade import row

    res = graded["patches_the_grading_code"]
    text = feedback(res)
    assert "Flagged for the instructor:" in text, text
    for name in ("grading", "judge_mnist_hidden", "sys.modules"):
        assert name in text, (name, text)
    flags = row("mallory", LAB, res)["flags"]
    assert "grading" in flags and "judge_mnist_hidden" in flags, flags
    assert row("alice", LAB, graded["solution"])["flags"] == ""
