"""The adversarial-examples lab graded end to end through its real autograder zip.

The solution gets full marks; the untouched student notebook gets zero autograded points; each planted
bug loses the question it should and keeps every other one; an untrained CNN loses only the accuracy
question; the autograder's own pieces (held-out set, reference CNN, bars) hold what they claim.
"""
from __future__ import annotations

import json

import pytest
import torch

from conftest import ROOT, by_question, grade_lab, lost_questions

LAB = "adversarial"
CKPT = "adversarial_cnn.pt"

# The solution lines the planted bugs replace (each must occur in the solution notebook).
ATTACK_LOSS = "loss = F.cross_entropy(model(x), labels)"
ATTACK_STEP = "x = x.detach() - step_size * grad.sign()"
ATTACK_PROJECT = "        x = torch.min(torch.max(x, x0 - eps), x0 + eps)\n"
ATTACK_CLIP = "        x = x.clamp(0, 1)\n"
ATTACK_EVAL = "model.eval()  # differentiate the deployed network"
FOOL_STEP = "x = (x.detach() + step_size * active * grad.sign()).clamp(0.0, 1.0)"
FOOL_LOG_P = "log_p = F.log_softmax(model(x), dim=1)[:, target]"

# name -> (replacements, questions that must lose points); every other question keeps full marks.
PLANTED = {
    "untargeted_ascent_on_true_class": (
        [(ATTACK_LOSS, "loss = -F.cross_entropy(model(x), model(x0).argmax(1))")], {"q3_attack"}),
    "step_sign_flipped": (
        [(ATTACK_STEP, "x = x.detach() + step_size * grad.sign()")], {"q3_attack"}),
    "no_projection_to_eps_ball": (
        [(ATTACK_PROJECT, "")], {"q3_attack"}),
    "no_clipping_to_pixel_range": (
        [(ATTACK_CLIP, "")], {"q3_attack"}),
    "gradients_in_training_mode": (
        [(ATTACK_EVAL, "model.train()  # differentiate the deployed network")], {"q3_attack"}),
    "fool_without_clipping": (
        [(FOOL_STEP, "x = x.detach() + step_size * active * grad.sign()")], {"q4_fool"}),
    "fool_always_aims_at_nine": (
        [(FOOL_LOG_P, "log_p = F.log_softmax(model(x), dim=1)[:, 9]")], {"q4_fool"}),
}


@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    return grade_lab(release, tmp_path_factory.mktemp(f"{LAB}-submissions"), LAB, CKPT, PLANTED, weight_std=0.05)


def test_build_grades_the_solution_with_full_marks(release):
    summary = json.loads((release / "build-summary.json").read_text())[LAB]
    assert summary["possible"] > 0 and summary["score"] == summary["possible"]


def test_solution_submission_gets_full_marks(graded):
    res = graded["solution"]
    assert res["possible"] >= 11 and res["score"] == res["possible"], by_question(res)


def test_untouched_student_notebook_gets_zero(graded):
    res = graded["untouched_student"]
    assert res["possible"] == graded["solution"]["possible"], "the student notebook should be graded on every test"
    assert res["score"] == 0, by_question(res)


def test_untrained_cnn_fails_only_accuracy(graded):
    q = by_question(graded["untrained"])
    lost = lost_questions(graded["untrained"])
    assert lost == {"q2_accuracy"}, q


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_loses_its_points_and_keeps_the_rest(graded, bug):
    expected_lost = PLANTED[bug][1]
    q = by_question(graded[bug])
    lost = lost_questions(graded[bug])
    assert lost == expected_lost, f"{bug}: lost {sorted(lost)}, expected {sorted(expected_lost)}; {q}"


def test_failures_explain_themselves(graded):
    """A student reads one plain line on what was wrong."""
    def outputs(name):
        return " ".join(t.get("output", "") for t in graded[name]["tests"])
    assert "project" in outputs("no_projection_to_eps_ball")
    assert "[0, 1]" in outputs("no_clipping_to_pixel_range")
    assert "model.eval()" in outputs("gradients_in_training_mode")
    assert "held-out test images" in outputs("untrained")


# --------------------------------------------------------------------------------------------------
# The autograder's own pieces
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ga():
    """grading_adversarial, reading its weights and held-out set from assignment/adversarial/reference."""
    import grading_adversarial
    grading_adversarial.HERE = ROOT / "assignment" / LAB / "reference"
    return grading_adversarial


def test_heldout_set_is_fixed_and_small(ga):
    data = ga.heldout()
    assert data["images"].shape == (1000, 1, 28, 28) and data["labels"].shape == (1000,)
    assert data["fours"].shape == (200, 1, 28, 28)
    assert torch.bincount(data["labels"], minlength=10).min() >= 70, "every digit is in the accuracy subset"
    assert (ga.HERE / ga.HELDOUT).stat().st_size < 1.5e6


def test_reference_cnn_reads_the_fours_and_train_mode_changes_it(ga):
    ref = ga.reference_cnn()
    fours = ga.heldout()["fours"]
    assert (ga.predict(ref, fours).argmax(1) == 4).all(), "the held-out 4s are those the reference CNN gets right"
    assert ga.accuracy(ref) >= 0.98
    ref.train()
    torch.manual_seed(0)
    with torch.no_grad():
        changed = (ref(fours) - ref.eval()(fours)).abs().max()
    assert changed > 0.1, "batch norm and dropout must make training mode differ from eval mode"


def test_solution_rate_and_bar_are_measured(ga):
    """The stored solution rate is what the kit's attack (the solution's algorithm) reaches on the held-out 4s."""
    rep = ga.attack_report(ga.reference_attack, ga.reference_cnn(), ga.heldout()["fours"])
    assert rep["success"] == ga.BARS["attack_solution_rate"]
    assert 0 < ga.attack_bar() < rep["success"]


def test_replacing_a_four_by_a_real_nine_scores_nothing(ga):
    import genkit
    test_images, test_labels = genkit.load_tensors("mnist", train=False)
    nines = test_images[test_labels == 9]

    def swap_for_nines(model, images, target, eps, step_size, steps):
        return nines[:len(images)].clone()

    with pytest.raises(AssertionError, match="more than eps"):
        ga.attack_report(swap_for_nines, ga.reference_cnn(), ga.heldout()["fours"])
    with pytest.raises(AssertionError, match=r"\[0, 1\]"):
        ga.check_adversarial(ga.heldout()["fours"] - 0.1, ga.heldout()["fours"], eps=0.2)
