"""The diffusion lab graded end to end through its real autograder zip.

The solution gets full marks; the untouched student notebook gets zero autograded points; an untrained
U-Net fails only the label-accuracy question; each planted bug (noise and signal coefficients swapped,
guidance sign flipped, the time step not passed to the network, the label ignored, ...) loses the questions
it should and keeps every other one.
"""
from __future__ import annotations

import json

import pytest

from conftest import by_question, grade_lab, lost_questions

LAB = "diffusion"
CHECKPOINT = "diffusion_unet.pt"

# The solution lines the planted bugs replace (each must occur in the solution notebook).
Q_SAMPLE = "return ab.sqrt() * x0 + (1 - ab).sqrt() * noise"
GUIDANCE = "return (1 + w) * eps_cond - w * eps_uncond"
TEMB = "temb = self.time_mlp(timestep_embedding(t))"
CONTEXT = "context = self.label_emb(labels).reshape(-1, CTX_TOKENS, CTX_DIM)"
CHECK_C = "if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < N_CLASSES:"
GEN_RETURN = "return x.reshape(n, 28, 28).cpu().numpy().astype(np.float32)"
DDIM_X0 = "x0_hat = (x_t - (1 - ab_t).sqrt() * eps) / ab_t.sqrt()"
MIN_SNR = "return (snr.clamp(max=snr_gamma) / snr * per_image).mean()"

# name -> (replacements, questions that must lose points); every other question keeps full marks.
PLANTED = {
    "q_sample_coefficients_swapped": (
        [(Q_SAMPLE, "return (1 - ab).sqrt() * x0 + ab.sqrt() * noise")], {"q2_q_sample", "q3_loss"}),
    # the Min-SNR weights upside down (SNR / min(SNR, gamma) >= 1): only the loss question notices
    "min_snr_weights_inverted": (
        [(MIN_SNR, "return (snr / snr.clamp(max=snr_gamma) * per_image).mean()")], {"q3_loss"}),
    "guidance_sign_flipped": (
        [(GUIDANCE, "return (1 - w) * eps_cond + w * eps_uncond")], {"q6_guidance", "q10_label_accuracy"}),
    "timestep_not_passed": (
        [(TEMB, "temb = self.time_mlp(timestep_embedding(torch.zeros_like(t)))")], {"q5_unet", "q10_label_accuracy"}),
    "label_ignored": (
        [(CONTEXT, "context = self.label_emb(torch.full_like(labels, NULL_CLASS)).reshape(-1, CTX_TOKENS, CTX_DIM)")],
        {"q5_unet", "q10_label_accuracy"}),
    # x0_hat without the square roots blows up at large t: generate returns NaN, so its contract fails too
    "ddim_x0_without_sqrt": (
        [(DDIM_X0, "x0_hat = (x_t - (1 - ab_t) * eps) / ab_t")], {"q8_ddim_step", "q9_generate", "q10_label_accuracy"}),
    "generate_accepts_any_class": (
        [(CHECK_C, "if False:")], {"q9_generate"}),
    "generate_returns_torch_tensor": (
        [(GEN_RETURN, "return x.reshape(n, 28, 28)")], {"q9_generate", "q10_label_accuracy"}),
}


@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    return grade_lab(release, tmp_path_factory.mktemp(f"{LAB}-submissions"), LAB, CHECKPOINT, PLANTED)


def test_build_grades_the_solution_with_full_marks(release):
    summary = json.loads((release / "build-summary.json").read_text())[LAB]
    assert summary["possible"] > 0 and summary["score"] == summary["possible"]


def test_solution_submission_gets_full_marks(graded):
    res = graded["solution"]
    assert res["possible"] >= 20 and res["score"] == res["possible"], by_question(res)


def test_untouched_student_notebook_gets_zero(graded):
    res = graded["untouched_student"]
    assert res["possible"] == graded["solution"]["possible"], "the student notebook should be graded on every test"
    assert res["score"] == 0, by_question(res)


def test_untrained_model_fails_only_quality(graded):
    assert lost_questions(graded["untrained"]) == {"q10_label_accuracy"}, by_question(graded["untrained"])


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_loses_its_points_and_keeps_the_rest(graded, bug):
    expected_lost = PLANTED[bug][1]
    lost = lost_questions(graded[bug])
    assert lost == expected_lost, f"{bug}: lost {sorted(lost)}, expected {sorted(expected_lost)}; {by_question(graded[bug])}"


def test_failures_explain_themselves(graded):
    """A student reads what was wrong: the per-digit table for label accuracy, a plain sentence otherwise."""
    def outputs(name):
        return " ".join(t.get("output", "") for t in graded[name]["tests"] if t.get("score", 0) < t.get("max_score", 0))
    text = outputs("label_ignored")
    assert "class " in text and "accuracy " in text and "worst class" in text, text[:1000]
    assert "ignores its label" in text
    assert "ignores the time step" in outputs("timestep_not_passed")
    assert "sign of the guidance" in outputs("guidance_sign_flipped")
    assert "signal coefficient multiplies x0" in outputs("q_sample_coefficients_swapped")
    assert "ValueError" in outputs("generate_accepts_any_class")
    assert "numpy" in outputs("generate_returns_torch_tensor")
