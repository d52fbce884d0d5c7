"""The conditional GAN / VAE lab graded end to end through its real autograder zip.

The solution gets full marks; the untouched student notebook gets zero autograded points; an untrained or
unconditional generator fails only the label-accuracy question, an untrained VAE only the VAE-quality
question; each planted bug loses the questions it should and keeps every other one.
"""
from __future__ import annotations

import json

import pytest
import torch

from conftest import by_question, grade_all, lost_questions, make_zip, mutate, untrained_checkpoint

LAB = "cgan_vae"
CHECKPOINTS = ("cgan_generator.pt", "vae.pt")

# The solution lines the planted bugs replace (each must occur in the solution notebook).
G_CONCAT = "h = torch.cat([z, self.label_emb(labels)], dim=1)"
D_RETURN = "return self.psi(h).reshape(-1) + (self.embed(labels) * h).sum(dim=1)"
KL = "kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / m"
TOTAL = "    loss = recon + kl\n    return loss, recon, kl"
STD = "std = torch.exp(0.5 * logvar)"
CHECK_C = "if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < N_CLASSES:"
LABELS_C = "labels = torch.full((n,), int(c), dtype=torch.long, device=dev)"
GEN_RETURN = "x = (cgan(z, labels) + 1) / 2\n    return x.reshape(n, 28, 28).cpu().numpy().astype(np.float32)"

# name -> (replacements, questions that must lose points); every other question keeps full marks.
PLANTED = {
    "generator_ignores_labels": (
        [(G_CONCAT, "h = torch.cat([z, self.label_emb(torch.zeros_like(labels))], dim=1)")],
        {"q1_cgan_generator", "q4_label_accuracy"}),
    "discriminator_ignores_labels": (
        [(D_RETURN, "return self.psi(h).reshape(-1)")], {"q2_cgan_discriminator"}),
    "kl_sign_flipped": (
        [(KL, KL.replace("kl = -0.5", "kl = 0.5"))], {"q6_vae_loss"}),
    "kl_missing": (
        [(TOTAL, "    loss = recon\n    return loss, recon, kl")], {"q6_vae_loss"}),
    "logvar_used_as_std": (
        [(STD, "std = logvar")], {"q5_reparameterize"}),
    "generate_ignores_c": (
        [(LABELS_C, "labels = torch.randint(0, N_CLASSES, (n,), device=dev)")], {"q4_label_accuracy"}),
    "generate_accepts_any_class": (
        [(CHECK_C, "if False:")], {"q3_generate"}),
    "generate_returns_torch_tensor": (
        [(GEN_RETURN, "x = (cgan(z, labels) + 1) / 2\n    return x.reshape(n, 28, 28)")],
        {"q3_generate", "q4_label_accuracy"}),
}


def unconditional_checkpoint(gan_ckpt, dest):
    """The Part 3 GAN (one class) in the shape of a 10-class generator: every label gets the same embedding."""
    blob = torch.load(gan_ckpt, weights_only=True)
    emb = blob["state_dict"]["label_emb.weight"]
    assert emb.shape[0] == 1, "gan_generator.pt should be the one-class generator of Part 3"
    blob["state_dict"]["label_emb.weight"] = emb.repeat(10, 1)
    torch.save(blob, dest)
    return dest


@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"{LAB}-submissions")
    sol_dir = release / "solutions" / LAB
    solution = sol_dir / f"{LAB}.ipynb"
    cgan, vae = (sol_dir / c for c in CHECKPOINTS)
    (work / "untrained_cgan").mkdir()
    (work / "untrained_vae").mkdir()
    (work / "unconditional").mkdir()
    subs = {
        "solution": make_zip(work / "solution.zip", [solution, cgan, vae]),
        "untouched_student": release / "student_release" / LAB / f"{LAB}.ipynb",
        "untrained_cgan": make_zip(work / "untrained_cgan.zip", [
            solution, untrained_checkpoint(cgan, work / "untrained_cgan" / "cgan_generator.pt"), vae]),
        "untrained_vae": make_zip(work / "untrained_vae.zip", [
            solution, cgan, untrained_checkpoint(vae, work / "untrained_vae" / "vae.pt")]),
        "unconditional_generator": make_zip(work / "unconditional.zip", [
            solution, unconditional_checkpoint(sol_dir / "gan_generator.pt",
                                               work / "unconditional" / "cgan_generator.pt"), vae]),
    }
    for name, (replacements, _) in PLANTED.items():
        nb = mutate(solution, work / name / f"{LAB}.ipynb", replacements)
        subs[name] = make_zip(work / f"{name}.zip", [nb, cgan, vae])
    return grade_all(subs, release / "autograder" / f"{LAB}-autograder.zip", work / "results")


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


@pytest.mark.parametrize("submission, expected", [
    ("untrained_cgan", {"q4_label_accuracy"}),
    ("unconditional_generator", {"q4_label_accuracy"}),
    ("untrained_vae", {"q9_vae_quality"}),
])
def test_untrained_or_unconditional_models_fail_only_quality(graded, submission, expected):
    assert lost_questions(graded[submission]) == expected, by_question(graded[submission])


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_planted_bug_loses_its_points_and_keeps_the_rest(graded, bug):
    expected_lost = PLANTED[bug][1]
    lost = lost_questions(graded[bug])
    assert lost == expected_lost, f"{bug}: lost {sorted(lost)}, expected {sorted(expected_lost)}; {by_question(graded[bug])}"


def test_failures_explain_themselves(graded):
    """A student reads what was wrong: the per-digit table for label accuracy, a plain sentence otherwise."""
    def outputs(name):
        return " ".join(t.get("output", "") for t in graded[name]["tests"] if t.get("score", 0) < t.get("max_score", 0))
    text = outputs("unconditional_generator")
    assert "class " in text and "accuracy " in text and "worst class" in text, text[:1000]
    assert "ignores its label" in outputs("generator_ignores_labels")
    assert "ignores its label" in outputs("discriminator_ignores_labels")
    assert "ValueError" in outputs("generate_accepts_any_class")
    assert "numpy" in outputs("generate_returns_torch_tensor")
    assert "exp(0.5 * logvar)" in outputs("logvar_used_as_std")
    assert "KL" in outputs("kl_sign_flipped") and "plus the KL term" in outputs("kl_missing")
