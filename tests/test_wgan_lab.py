"""The conditional WGAN-GP lab graded end to end through its real autograder zip.

The solution gets full marks; the untouched student notebook gets zero autograded points; an untrained or
unconditional generator fails only the label-accuracy question; each planted bug loses the questions it should
and keeps every other one.
"""
from __future__ import annotations

import json

import pytest
import torch

from conftest import by_question, grade_lab, lost_questions

LAB = "wgan"
CHECKPOINT = "wgan_generator.pt"

# The solution lines the planted bugs replace (each must occur in the solution notebook).
GP_RETURN = "return lam * ((grad_norm - 1) ** 2).mean()"
ALPHA = "alpha = torch.rand(m, 1, 1, 1, dtype=real.dtype, device=real.device)"
CREATE_GRAPH = "create_graph=True)"
LOSS_G = "return -score_fake.mean()"
CRITIC_CAT = "x = torch.cat([images, label_planes(labels, self.n_classes).to(images.dtype)], dim=1)"
G_CAT = "h = torch.cat([z, F.one_hot(labels, self.n_classes).to(z.dtype)], dim=1)"
CHECK_C = "if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < N_CLASSES:"
LABELS_C = "labels = torch.full((n,), int(c), dtype=torch.long, device=dev)"

# name -> (replacements, questions that must lose points); every other question keeps full marks.
PLANTED = {
    # the five planted bugs
    "penalty_on_squared_norm": ([(GP_RETURN, "return lam * (grad_norm ** 2).mean()")], {"q6_gradient_penalty"}),
    "one_alpha_for_the_batch": (
        [(ALPHA, "alpha = torch.rand(1, 1, 1, 1, dtype=real.dtype, device=real.device)")], {"q6_gradient_penalty"}),
    "penalty_without_create_graph": ([(CREATE_GRAPH, "create_graph=False)")], {"q6_gradient_penalty"}),
    "generator_loss_wrong_sign": ([(LOSS_G, "return score_fake.mean()")], {"q5_wasserstein_losses"}),
    "critic_without_label_planes": (
        [(CRITIC_CAT, "x = torch.cat([images, 0 * label_planes(labels, self.n_classes).to(images.dtype)], dim=1)")],
        {"q3_critic"}),
    # and the contract of the generator and of generate
    "generator_ignores_labels": (
        [(G_CAT, "h = torch.cat([z, F.one_hot(0 * labels, self.n_classes).to(z.dtype)], dim=1)")],
        {"q2_generator", "q8_label_accuracy"}),
    "generate_ignores_c": (
        [(LABELS_C, "labels = torch.randint(0, N_CLASSES, (n,), device=dev)")], {"q8_label_accuracy"}),
    "generate_accepts_any_class": ([(CHECK_C, "if False:")], {"q7_generate"}),
}


def unconditional_checkpoint(reference, dest):
    """The trained generator made blind to its label: the first layer's ten one-hot weight columns are
    replaced by their mean, so every class gets the same input (an unconditional generator of that size)."""
    blob = torch.load(reference, weights_only=True)
    w = blob["state_dict"]["net.0.weight"]
    assert w.shape[1] == 110, "the generator's first layer should read 100 + 10 inputs"
    w[:, 100:] = w[:, 100:].mean(dim=1, keepdim=True)
    torch.save(blob, dest)
    return dest


@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    return grade_lab(release, tmp_path_factory.mktemp(f"{LAB}-submissions"), LAB, CHECKPOINT, PLANTED,
                     checkpoint_variants={"unconditional": unconditional_checkpoint})


def test_build_grades_the_solution_with_full_marks(release):
    summary = json.loads((release / "build-summary.json").read_text())[LAB]
    assert summary["possible"] > 0 and summary["score"] == summary["possible"]


def test_solution_submission_gets_full_marks(graded):
    res = graded["solution"]
    assert res["possible"] >= 15 and res["score"] == res["possible"], by_question(res)


def test_untouched_student_notebook_gets_zero(graded):
    res = graded["untouched_student"]
    assert res["possible"] == graded["solution"]["possible"], "the student notebook should be graded on every test"
    assert res["score"] == 0, by_question(res)


@pytest.mark.parametrize("submission", ["untrained", "unconditional"])
def test_untrained_or_unconditional_generator_fails_only_quality(graded, submission):
    assert lost_questions(graded[submission]) == {"q8_label_accuracy"}, by_question(graded[submission])


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_loses_its_points_and_keeps_the_rest(graded, bug):
    expected_lost = PLANTED[bug][1]
    lost = lost_questions(graded[bug])
    assert lost == expected_lost, f"{bug}: lost {sorted(lost)}, expected {sorted(expected_lost)}; {by_question(graded[bug])}"


def test_failures_explain_themselves(graded):
    """A student reads what was wrong: the per-class table for label accuracy, a plain sentence otherwise."""
    def outputs(name):
        return " ".join(t.get("output", "") for t in graded[name]["tests"] if t.get("score", 0) < t.get("max_score", 0))
    text = outputs("unconditional")
    assert "class " in text and "accuracy " in text and "worst class" in text and "real test images" in text, text[:1000]
    assert "(||grad|| - 1) ** 2" in outputs("penalty_on_squared_norm")
    assert "one alpha per image" in outputs("one_alpha_for_the_batch")
    assert "create_graph=True" in outputs("penalty_without_create_graph")
    assert "minus the mean score of the fakes" in outputs("generator_loss_wrong_sign")
    assert "ignores its label" in outputs("critic_without_label_planes")
    assert "ignores its label" in outputs("generator_ignores_labels")
    assert "ValueError" in outputs("generate_accepts_any_class")
