"""The submissions tests/test_labs.py grades for the gan lab through its real autograder: PLANTED bugs
and checkpoint VARIANTS with the questions each must lose, HONEST variants that keep full marks, the
FEEDBACK their failing tests must give, MIN_POINTS (the format: docs/adding-a-lab.md)."""

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


# Honest solutions written another correct way: name -> replacements; each keeps full marks.
HONEST = {
    "bce_with_logits_and_softplus": [
        (D_LOSS, "return F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) "
                 "+ F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))"),
        (G_MINIMAX, "return -F.softplus(fake_logits).mean()"),
        (G_NONSAT, "return F.softplus(-fake_logits).mean()")],
    "explicit_log_of_sigmoid": [
        (D_LOSS, "return -torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()"),
        (G_MINIMAX, "return torch.log(1 - torch.sigmoid(fake_logits)).mean()"),
        (G_NONSAT, "return -torch.log(torch.sigmoid(fake_logits)).mean()")],
}

VARIANTS = {
    "untrained": ({"dcgan_generator.pt": 0.02}, {"q7_quality"}),
}

FEEDBACK = {
    "generate_returns_torch_tensor": ["numpy"],
    "fake_images_not_detached": ["detach"],
    "generate_wrong_shape": ["reshape"],
}

MIN_POINTS = 12
