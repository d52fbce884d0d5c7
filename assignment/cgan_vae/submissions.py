"""The submissions tests/test_labs.py grades for the cgan_vae lab through its real autograder: PLANTED bugs
and checkpoint VARIANTS with the questions each must lose, HONEST variants that keep full marks, the
FEEDBACK their failing tests must give, MIN_POINTS (the format: docs/adding-a-lab.md)."""

import torch

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


def unconditional_checkpoint(solution_dir, dest):
    """The Part 3 GAN (one class) in the shape of a 10-class generator: every label gets the same embedding."""
    blob = torch.load(solution_dir / "gan_generator.pt", weights_only=True)
    emb = blob["state_dict"]["label_emb.weight"]
    assert emb.shape[0] == 1, "gan_generator.pt should be the one-class generator of Part 3"
    blob["state_dict"]["label_emb.weight"] = emb.repeat(10, 1)
    torch.save(blob, dest)
    return dest



# Honest solutions written another correct way: name -> replacements; each keeps full marks.
HONEST = {
    "torch_distributions": [
        (KL, "kl = torch.distributions.kl_divergence(torch.distributions.Normal(mu, torch.exp(0.5 * logvar)), "
             "torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum() / m"),
        ("    std = torch.exp(0.5 * logvar)\n    eps = torch.randn_like(std)\n    return mu + std * eps",
         "    return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()")],
    "per_image_bce_averaged": [
        ('recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / m',
         'recon = F.binary_cross_entropy(x_hat.reshape(m, -1), x.reshape(m, -1), reduction="none").sum(1).mean()')],
}

VARIANTS = {
    "untrained_cgan": ({"cgan_generator.pt": 0.02}, {"q4_label_accuracy"}),
    "unconditional_generator": ({"cgan_generator.pt": unconditional_checkpoint}, {"q4_label_accuracy"}),
    "untrained_vae": ({"vae.pt": 0.02}, {"q9_vae_quality"}),
}

FEEDBACK = {
    "unconditional_generator": ["far from real images"],
    "generator_ignores_labels": ["ignores its label"],
    "discriminator_ignores_labels": ["ignores its label"],
    "generate_accepts_any_class": ["ValueError"],
    "generate_returns_torch_tensor": ["numpy"],
    "logvar_used_as_std": ["exp(0.5 * logvar)"],
    "kl_sign_flipped": ["KL"],
    "kl_missing": ["plus the KL term"],
}

MIN_POINTS = 20
