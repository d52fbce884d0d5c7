"""The submissions tests/test_labs.py grades for the adversarial lab through its real autograder: PLANTED bugs
and checkpoint VARIANTS with the questions each must lose, HONEST variants that keep full marks, the
FEEDBACK their failing tests must give, MIN_POINTS (the format: docs/adding-a-lab.md)."""

# The solution lines the planted bugs replace (each must occur in the solution notebook).
ATTACK_LOSS = "loss = F.cross_entropy(model(x), labels)"
ATTACK_STEP = "x = x.detach() - step_size * grad.sign()"
ATTACK_PROJECT = "        x = torch.min(torch.max(x, x0 - eps), x0 + eps)\n"
ATTACK_CLIP = "        x = x.clamp(0, 1)\n"
ATTACK_EVAL = "model.eval()  # differentiate the deployed network"
FOOL_STEP = "x = (x.detach() + step_size * active * grad.sign()).clamp(0.0, 1.0)"
FOOL_LOG_P = "log_p = F.log_softmax(model(x), dim=1)[:, target]"
SETUP = "SOURCE, TARGET = 4, 9                    # turn 4s into 9s"
PATCH_OTTER = """import otter.test_files.exception_test as _et
from otter.test_files.abstract_test import TestCaseResult as _R
def _run(self, env):
    self.test_case_results = [_R(test_case=tc, message="", passed=True) for tc in self.test_cases]
_et.ExceptionTestFile.run = _run"""

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
    "projection_to_an_l2_ball": (
        [(ATTACK_PROJECT, "        d = x - x0\n"
                          "        x = x0 + d * (eps / d.flatten(1).norm(dim=1).clamp_min(1e-12)).clamp(max=1)[:, None, None, None]\n")],
         {"q3_attack"}),
    "gradients_in_training_mode": (
        [(ATTACK_EVAL, "model.train()  # differentiate the deployed network")], {"q3_attack"}),
    "fool_without_clipping": (
        [(FOOL_STEP, "x = x.detach() + step_size * active * grad.sign()")], {"q4_fool"}),
    "fool_always_aims_at_nine": (
        [(FOOL_LOG_P, "log_p = F.log_softmax(model(x), dim=1)[:, 9]")], {"q4_fool"}),
    # a student who does no attack and makes otter's runner in the kernel report every test as passed: every test
    # runs outside the kernel, so the attack's questions are lost and fool (done right) keeps its points
    "no_attack_and_otter_patched": (
        [("x0 = images.detach()", "return images.detach()  # no attack\n    x0 = images.detach()"),
         (SETUP, SETUP + "\n" + PATCH_OTTER)], {"q3_attack"}),
}


# Honest solutions written another correct way: name -> replacements; each keeps full marks.
HONEST = {
    "clamp_to_the_eps_ball": [
        ("x = torch.min(torch.max(x, x0 - eps), x0 + eps)", "x = torch.clamp(x, x0 - eps, x0 + eps)")],
    "nll_of_log_softmax": [
        (ATTACK_LOSS, "loss = F.nll_loss(F.log_softmax(model(x), dim=1), labels)")],
}

VARIANTS = {
    "untrained": ({"adversarial_cnn.pt": 0.05}, {"q2_accuracy"}),
}

FEEDBACK = {
    "no_projection_to_eps_ball": ["project"],
    "no_clipping_to_pixel_range": ["[0, 1]"],
    "gradients_in_training_mode": ["model.eval()"],
    "projection_to_an_l2_ball": ["L-infinity"],
    "untrained": ["held-out test images"],
}

# submission name -> texts its failing tests' output must NOT contain (a fix that does not match the failure).
WRONG_FIX = {
    "projection_to_an_l2_ball": ["model.eval()"],
}

MIN_POINTS = 11
