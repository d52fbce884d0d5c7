"""The submissions tests/test_labs.py grades for the diffusion lab through its real autograder: PLANTED bugs
and checkpoint VARIANTS with the questions each must lose, HONEST variants that keep full marks, the
FEEDBACK their failing tests must give, MIN_POINTS (the format: docs/adding-a-lab.md)."""

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
    # x0_hat without the square roots: the samples saturate (at w = 1.5: 53 % label accuracy, FD/floor 141, half as
    # bright as real digits; at w = 2 every pixel saturated alike, and generate's contract failed too)
    "ddim_x0_without_sqrt": (
        [(DDIM_X0, "x0_hat = (x_t - (1 - ab_t) * eps) / ab_t")], {"q8_ddim_step", "q10_label_accuracy"}),
    "generate_accepts_any_class": (
        [(CHECK_C, "if False:")], {"q9_generate"}),
    "generate_returns_torch_tensor": (
        [(GEN_RETURN, "return x.reshape(n, 28, 28)")], {"q9_generate", "q10_label_accuracy"}),
}


# Honest solutions written another correct way: name -> replacements; each keeps full marks.
SOFTMAX = ("weights = torch.exp(scores - scores.amax(-1, keepdim=True))\n"
           "        weights = weights / weights.sum(-1, keepdim=True)")
HONEST = {
    "softmax_call": [(SOFTMAX, "weights = scores.softmax(dim=-1)")],
    "scaled_dot_product_attention": [
        ("scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])", "weights = None"),
        (SOFTMAX, "out = F.scaled_dot_product_attention(q, k, v)"),
        ("out = (weights @ v).transpose(1, 2)", "out = out.transpose(1, 2)")],
}

VARIANTS = {
    "untrained": ({"diffusion_unet.pt": 0.02}, {"q10_label_accuracy"}),
}

FEEDBACK = {
    "ddim_x0_without_sqrt": ["ddim_step is off", "the notebook's sampler (check each of its steps)"],
    "label_ignored": ["ignores its label", "far from real images"],
    "timestep_not_passed": ["ignores the time step"],
    "guidance_sign_flipped": ["sign of the guidance"],
    "q_sample_coefficients_swapped": ["signal coefficient multiplies x0"],
    "generate_accepts_any_class": ["ValueError"],
    "generate_returns_torch_tensor": ["numpy"],
}

MIN_POINTS = 20
