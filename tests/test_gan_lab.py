"""The GAN lab graded end to end through its real autograder zip.

The solution gets full marks; the untouched student notebook gets zero autograded points; each planted
bug loses the questions it should and keeps every other one.
"""
from __future__ import annotations

import json

import pytest

from conftest import by_question, grade_lab, lost_questions

LAB = "gan"

# The solution lines the planted bugs replace (each must occur in the solution notebook).
D_LOSS = "return -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()"
G_MINIMAX = "return F.logsigmoid(-fake_logits).mean()"
G_NONSAT = "return -F.logsigmoid(fake_logits).mean()"
GEN_RETURN = "return x.reshape(n, 28, 28).cpu().numpy().astype(np.float32)"

# name -> (replacements, questions that must lose points); every other question keeps full marks.
PLANTED = {
    "minimax_and_nonsaturating_swapped": (
        [(G_MINIMAX, "__MM__"), (G_NONSAT, G_MINIMAX), ("__MM__", G_NONSAT)], {"q2_generator_losses"}),
    "missing_log": (
        [(D_LOSS, "return -torch.sigmoid(real_logits).mean() - torch.sigmoid(-fake_logits).mean()")],
        {"q1_discriminator_loss"}),
    "sign_flip_in_minimax": (
        [(G_MINIMAX, "return -F.logsigmoid(-fake_logits).mean()")], {"q2_generator_losses"}),
    "real_and_fake_labels_swapped": (
        [(D_LOSS, "return -F.logsigmoid(fake_logits).mean() - F.logsigmoid(-real_logits).mean()")],
        {"q1_discriminator_loss"}),
    "generate_returns_torch_tensor": (
        [(GEN_RETURN, "return x.reshape(n, 28, 28)")], {"q6_generate", "q7_quality"}),
    "generate_wrong_shape": (
        [(GEN_RETURN, "return x.cpu().numpy().astype(np.float32)")], {"q6_generate", "q7_quality"}),
    "fake_images_not_detached": (
        [("fake = G(z).detach()", "fake = G(z)")], {"q3_training_steps"}),
    "no_zero_grad_in_discriminator_step": (
        [("    opt_D.zero_grad()\n", "")], {"q3_training_steps"}),
}


@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    return grade_lab(release, tmp_path_factory.mktemp(f"{LAB}-submissions"), LAB, "dcgan_generator.pt", PLANTED, weight_std=0.02)


def test_build_grades_the_solution_with_full_marks(release):
    summary = json.loads((release / "build-summary.json").read_text())[LAB]
    assert summary["possible"] > 0 and summary["score"] == summary["possible"]


def test_solution_submission_gets_full_marks(graded):
    res = graded["solution"]
    assert res["possible"] >= 12 and res["score"] == res["possible"], by_question(res)


def test_untouched_student_notebook_gets_zero(graded):
    res = graded["untouched_student"]
    assert res["possible"] == graded["solution"]["possible"], "the student notebook should be graded on every test"
    assert res["score"] == 0, by_question(res)


def test_untrained_generator_fails_only_quality(graded):
    q = by_question(graded["untrained"])
    lost = lost_questions(graded["untrained"])
    assert lost == {"q7_quality"}, q


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_loses_its_points_and_keeps_the_rest(graded, bug):
    expected_lost = PLANTED[bug][1]
    q = by_question(graded[bug])
    lost = lost_questions(graded[bug])
    assert lost == expected_lost, f"{bug}: lost {sorted(lost)}, expected {sorted(expected_lost)}; {q}"


def test_failures_explain_themselves(graded):
    """A student reads one plain line on what was wrong."""
    outputs = " ".join(t.get("output", "") for t in graded["generate_returns_torch_tensor"]["tests"])
    assert "numpy" in outputs
    outputs = " ".join(t.get("output", "") for t in graded["fake_images_not_detached"]["tests"])
    assert "detach" in outputs
