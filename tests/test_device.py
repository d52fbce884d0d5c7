"""The graded code on a GPU, tested on a machine without one (tests/fakecuda.py plays the GPU on the CPU).

Students run the labs on Colab GPUs; the kit's CI has none, so a ``.numpy()`` on a tensor still on the GPU, or noise
made on the CPU and fed to a model on the GPU, passes every other test and breaks on Colab.  Here each lab's master
notebook is loaded as the other tools load it (kit.notebook.load_code: its definition cells, with the solutions; not
the data loading, training or plotting cells tagged otter_ignore) with ``genkit.get_device()`` answering CUDA, so the
notebook's ``device`` is the GPU, and its graded functions run under ``fake_cuda()`` on tiny synthetic data: the
models on the device, the losses, two steps of each training loop (batches drawn on the CPU, moved by the loop as in
the notebook), the sampling functions and generate (its model moved to the GPU), the attacks.

``test_a_planted_device_bug_fails`` shows the check can fail: one solution line per lab changed into a device bug,
and the same check must stop with CUDA's own error, raised in the changed function.
"""
from __future__ import annotations

import copy
import re
import sys

import numpy as np
import pytest
import torch

from conftest import TESTED_NAMES, mutate
from fakecuda import CUDA, GENERATOR_ERROR, MIXED_ERROR, NUMPY_ERROR, fake_cuda, is_marked
from kit import labs
from kit.notebook import load_code

# Real data is not needed: 32 random "images" in [0, 1] and their labels, on the CPU as the notebooks keep them.
_g = torch.Generator().manual_seed(0)
IMAGES = torch.rand(32, 1, 28, 28, generator=_g)
LABELS = torch.randint(0, 10, (32,), generator=_g)


def load_on_gpu(notebook) -> dict:
    """The namespace of ``notebook``'s code (kit.notebook.load_code), run with genkit.get_device() giving CUDA, under
    fake_cuda(): what the notebook's cells put on ``device`` at load time (a schedule, say) is on the fake GPU."""
    import genkit

    with pytest.MonkeyPatch.context() as mp, fake_cuda():
        mp.setattr(genkit, "get_device", lambda verbose=True: torch.device("cuda"))
        ns = load_code(notebook)
    if "matplotlib.pyplot" in sys.modules:  # the cells that are not tagged otter_ignore may draw a figure
        sys.modules["matplotlib.pyplot"].close("all")
    assert ns["device"].type == "cuda", "the notebook did not take its device from genkit.get_device()"
    return ns


def on_gpu(*tensors) -> None:
    for t in tensors:
        assert isinstance(t, torch.Tensor) and t.device == CUDA, f"expected a tensor on the GPU, got {t!r:.80}"


def params_on_gpu(*modules) -> None:
    for m in modules:
        on_gpu(*m.parameters())


def samples(x, n: int) -> None:
    """What every generate returns: a CPU numpy array (n, 28, 28) of float32."""
    assert isinstance(x, np.ndarray) and x.shape == (n, 28, 28) and x.dtype == np.float32, (type(x), x.shape)


# One check per lab: its graded functions, run on the (fake) GPU.  Each takes the notebook's namespace.

def check_gan(ns):
    logits = torch.randn(6, device=CUDA)
    on_gpu(ns["discriminator_loss"](logits, logits[:4]), ns["generator_loss_minimax"](logits),
           ns["generator_loss_nonsaturating"](logits))
    for G, D in [(ns["MLPGenerator"](), ns["MLPDiscriminator"]()),
                 (ns["DCGANGenerator"](), ns["DCGANDiscriminator"]())]:
        G, D = G.to(ns["device"]), D.to(ns["device"])
        opt_G, opt_D = ns["make_optimizers"](G, D)
        real, z = torch.rand(8, 1, 28, 28, device=CUDA) * 2 - 1, torch.randn(8, ns["Z_DIM"], device=CUDA)
        assert isinstance(ns["discriminator_step"](G, D, opt_D, real, z), float)
        assert isinstance(ns["generator_step"](G, D, opt_G, z, ns["generator_loss_nonsaturating"]), float)
        history = ns["train_gan"](G, D, opt_G, opt_D, IMAGES, 2, ns["generator_loss_minimax"], batch_size=8,
                                  snapshots_at={2})
        assert len(history["G"]) == 2 and not is_marked(history["snapshots"][2])  # snapshots are kept on the CPU
        params_on_gpu(G, D)
    ns["generator"].to(CUDA)
    samples(ns["generate"](5), 5)


def check_cgan_vae(ns):
    G, D, G_avg, opt_G, opt_D = ns["new_gan"]()
    params_on_gpu(G, D, G_avg)
    history = ns["train_cgan"](G, D, G_avg, opt_G, opt_D, IMAGES, LABELS, 2, batch_size=8)
    assert len(history["D"]) == 2
    ns["cgan"].to(CUDA)
    samples(ns["generate"](4, 3), 4)

    vae = ns["VAE"]().to(ns["device"])
    history = ns["train_vae"](vae, torch.optim.Adam(vae.parameters(), lr=1e-3), IMAGES, 2, batch_size=8)
    assert len(history["loss"]) == 2
    x = IMAGES[:4].to(CUDA)
    x_hat, mu, logvar = vae(x)
    on_gpu(x_hat, *ns["vae_loss"](x_hat, x, mu, logvar), ns["reparameterize"](mu, logvar))
    ns["vae"].to(CUDA)
    samples(ns["vae_generate"](4), 4)


def check_wgan(ns):
    G, D, G_avg, opt_G, opt_D = ns["new_wgan"]()
    params_on_gpu(G, D, G_avg)
    history = ns["train_wgan"](G, D, G_avg, opt_G, opt_D, IMAGES, LABELS, 2, batch_size=8)
    assert len(history["penalty"]) == 2
    real, y = IMAGES[:4].to(CUDA) * 2 - 1, LABELS[:4].to(CUDA)
    fake = G(torch.randn(4, G.z_dim, device=CUDA), y)
    on_gpu(ns["label_planes"](y), ns["get_WLoss_generator"](D(fake, y)),
           ns["get_WLoss_discriminator"](D(real, y), D(fake, y)),
           ns["get_gradient_regularisation"](D, real, fake.detach(), y))
    ns["wgan"].to(CUDA)
    samples(ns["generate"](4, 3), 4)


def check_adversarial(ns):
    model = ns["MNISTClassifier"]().to(ns["device"])
    history = ns["train_classifier"](model, IMAGES, LABELS, 1, batch_size=8)
    assert len(history["loss"]) == 4
    assert 0 <= ns["accuracy"](model, IMAGES, LABELS, batch_size=16) <= 1
    x = IMAGES[:4].to(CUDA)
    adv = ns["targeted_attack"](model, x, 9, 0.2, 0.025, 3)
    on_gpu(adv)
    assert float((adv - x).abs().max()) <= 0.2 + 1e-6
    on_gpu(ns["fool"](model, x, 9, max_steps=3), ns["input_gradient"](model, x[:1], 9),
           *(a for _, a in ns["layer_activations"](model, x[:1])))


def check_diffusion(ns):
    unet = ns["UNet"]().to(ns["device"])
    opt = torch.optim.Adam(unet.parameters(), lr=ns["DIFF_LR"])
    history = ns["train_diffusion"](unet, copy.deepcopy(unet), opt, IMAGES, LABELS, 2, batch_size=4)
    assert len(history["loss"]) == 2
    x0, y = IMAGES[:4].to(CUDA) * 2 - 1, LABELS[:4].to(CUDA)
    t, ab = torch.randint(0, ns["T"], (4,), device=CUDA), ns["ALPHA_BARS_DEV"]
    on_gpu(ns["q_sample"](x0, t, torch.randn_like(x0), ab),
           ns["diffusion_loss"](unet, x0, t, torch.randn_like(x0), y, ab, snr_gamma=5.0),
           ns["guided_eps"](unet, x0, t, y, 1.5))
    ns["unet"].to(CUDA)
    samples(ns["generate"](2, 3), 2)  # DDIM: ddim_step, guided_eps
    T = ns["T"]
    ns["T"] = 20  # the ancestral sampler (ddpm_step) walks all T steps; 20 of them show its device handling
    try:
        images, path = ns["sample_ddpm"](unet, torch.tensor([1, 7]), keep_every=10)
    finally:
        ns["T"] = T
    on_gpu(images)
    assert len(path) == 2 and not any(map(is_marked, (x for _, x in path)))


CHECKS = {"gan": check_gan, "cgan_vae": check_cgan_vae, "wgan": check_wgan, "adversarial": check_adversarial,
          "diffusion": check_diffusion}


@pytest.mark.parametrize("lab", TESTED_NAMES)
def test_graded_code_runs_on_a_gpu(lab):
    assert lab in CHECKS, f"{lab} has no device check: add check_{lab} to tests/test_device.py"
    ns = load_on_gpu(labs.get(lab).notebook)
    with fake_cuda():
        CHECKS[lab](ns)


# Per lab, one solution line turned into a device bug: (old text, new text, the function it is in, the error).
PLANTED = {
    "gan": (".reshape(n, 28, 28).cpu().numpy()", ".reshape(n, 28, 28).numpy()", "generate", TypeError, NUMPY_ERROR),
    "cgan_vae": ("z = TEMPERATURE * torch.randn(n, Z_DIM, device=dev)", "z = TEMPERATURE * torch.randn(n, Z_DIM)",
                 "generate", RuntimeError, MIXED_ERROR),
    "wgan": ("alpha = torch.rand(m, 1, 1, 1, dtype=real.dtype, device=real.device)",
             "alpha = torch.rand(m, 1, 1, 1, dtype=real.dtype)", "get_gradient_regularisation", RuntimeError,
             MIXED_ERROR),
    "adversarial": ("labels = torch.full((len(x0),), target, dtype=torch.long, device=x0.device)",
                    "labels = torch.full((len(x0),), target, dtype=torch.long)", "targeted_attack", RuntimeError,
                    MIXED_ERROR),
    "diffusion": ("t = torch.randint(0, T, (len(y),), device=device)", "t = torch.randint(0, T, (len(y),))",
                  "train_diffusion", RuntimeError, MIXED_ERROR),
}


@pytest.mark.parametrize("lab", [name for name in TESTED_NAMES if name in PLANTED])
def test_a_planted_device_bug_fails(lab, tmp_path):
    old, new, function, error, message = PLANTED[lab]
    notebook = mutate(labs.get(lab).notebook, tmp_path / f"{lab}.ipynb", [(old, new)])
    ns = load_on_gpu(notebook)
    with fake_cuda(), pytest.raises(error, match=re.escape(message)) as caught:
        CHECKS[lab](ns)
    assert function in {entry.name for entry in caught.traceback}, f"the error was not raised in {function}"


def test_fake_cuda_itself():
    """The fake GPU's own contract, in a few lines (see tests/fakecuda.py)."""
    net = torch.nn.Linear(4, 2)
    with fake_cuda() as device:
        net.to(device)
        weight = net.weight
        assert isinstance(weight, torch.nn.Parameter) and weight.device == CUDA
        net.to(device)
        assert net.weight is weight, "a module moved to the device it is on keeps its parameters"
        out = net(torch.randn(3, 4, device=device))
        assert out.detach().cpu().numpy().shape == (3, 2)
        with pytest.raises(TypeError, match=re.escape(NUMPY_ERROR)):
            out.detach().numpy()
        with pytest.raises(RuntimeError, match=re.escape(MIXED_ERROR)):
            net(torch.randn(3, 4))
        with pytest.raises(RuntimeError, match=re.escape(GENERATOR_ERROR)):
            torch.randn(3, generator=torch.Generator().manual_seed(0), device=device)
        out.sum().backward()
        on_gpu(net.weight.grad)
