"""The submissions tests/test_labs.py grades for the wgan lab through its real autograder: PLANTED bugs
and checkpoint VARIANTS with the questions each must lose, HONEST variants that keep full marks, the
FEEDBACK their failing tests must give, MIN_POINTS (the format: docs/adding-a-lab.md)."""

import torch

# The solution lines the planted bugs replace (each must occur in the solution notebook).
GP_RETURN = "return lam * ((grad_norm - 1) ** 2).mean()"
ALPHA = "alpha = torch.rand(m, 1, 1, 1, dtype=real.dtype, device=real.device)"
CREATE_GRAPH = "create_graph=True)"
LOSS_G = "return -score_fake.mean()"
CRITIC_CAT = "x = torch.cat([images, label_planes(labels, self.n_classes).to(images.dtype)], dim=1)"
G_CAT = "h = torch.cat([z, F.one_hot(labels, self.n_classes).to(z.dtype)], dim=1)"
CHECK_C = "if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < N_CLASSES:"
LABELS_C = "labels = torch.full((n,), int(c), dtype=torch.long, device=dev)"
GEN_MAP = "x = (wgan(z, labels) + 1) / 2"

# name -> (replacements, questions that must lose points); every other question keeps full marks.
PLANTED = {
    # the five planted bugs
    "penalty_on_squared_norm": ([(GP_RETURN, "return lam * (grad_norm ** 2).mean()")], {"q6_gradient_penalty"}),
    "one_alpha_for_the_batch": (
        [(ALPHA, "alpha = torch.rand(1, 1, 1, 1, dtype=real.dtype, device=real.device)")], {"q6_gradient_penalty"}),
    "penalty_without_create_graph": ([(CREATE_GRAPH, "create_graph=False)")], {"q6_gradient_penalty"}),
    "penalty_with_abs": ([(GP_RETURN, "return lam * (grad_norm - 1).abs().mean()")], {"q6_gradient_penalty"}),
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
    # tanh outputs cut to [0, 1] instead of mapped: in range, 83 % of the real-data label accuracy, but too dark
    "generate_clamps_instead_of_rescaling": ([(GEN_MAP, "x = wgan(z, labels).clamp(0, 1)")], {"q8_label_accuracy"}),
}


def unconditional_checkpoint(solution_dir, dest):
    """The trained generator made blind to its label: the first layer's ten one-hot weight columns are
    replaced by their mean, so every class gets the same input (an unconditional generator of that size)."""
    blob = torch.load(solution_dir / "wgan_generator.pt", weights_only=True)
    w = blob["state_dict"]["net.0.weight"]
    assert w.shape[1] == 110, "the generator's first layer should read 100 + 10 inputs"
    w[:, 100:] = w[:, 100:].mean(dim=1, keepdim=True)
    torch.save(blob, dest)
    return dest



# Honest solutions written another correct way: name -> replacements; each keeps full marks.
GRAD_NORM = "grad_norm = grad.reshape(m, -1).norm(2, dim=1)"
X_HAT = "x_hat = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)"
HONEST = {
    "stabilised_norm_and_lerp": [
        (GRAD_NORM, "grad_norm = torch.sqrt((grad.reshape(m, -1) ** 2).sum(1) + 1e-12)"),
        (X_HAT, "x_hat = torch.lerp(fake, real, alpha).detach().requires_grad_(True)")],
    "linalg_vector_norm": [
        (GRAD_NORM, "grad_norm = torch.linalg.vector_norm(grad.flatten(1), dim=1)")],
}

VARIANTS = {
    "untrained": ({"wgan_generator.pt": 0.02}, {"q8_label_accuracy"}),
    "unconditional": ({"wgan_generator.pt": unconditional_checkpoint}, {"q8_label_accuracy"}),
}

FEEDBACK = {
    "penalty_with_abs": ["square"],
    "unconditional": ["far from real images"],
    "penalty_on_squared_norm": ["(||grad|| - 1) ** 2"],
    "one_alpha_for_the_batch": ["one alpha per image"],
    "penalty_without_create_graph": ["create_graph=True"],
    "generator_loss_wrong_sign": ["minus the mean score of the fakes"],
    "critic_without_label_planes": ["ignores its label"],
    "generator_ignores_labels": ["ignores its label"],
    "generate_accepts_any_class": ["ValueError"],
    "generate_clamps_instead_of_rescaling": ["darker than your network's images", "(x + 1) / 2"],
}

# submission name -> texts its failing tests' output must NOT contain (a fix that does not match the failure).
WRONG_FIX = {
    "penalty_with_abs": ["one alpha", "create_graph"],
}

MIN_POINTS = 15
