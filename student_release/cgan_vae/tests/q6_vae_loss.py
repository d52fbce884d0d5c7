from otter.test_files import test_case

OK_FORMAT = False

name = "q6_vae_loss"
points = 3

@test_case(points=None, hidden=False)
def test_vae_loss_simple_cases(vae_loss):
    import math, genkit

    def run(vae_loss):
        import torch
        x = torch.rand(3, 1, 28, 28)
        return vae_loss(torch.full((3, 1, 28, 28), 0.5), x, torch.zeros(3, 4), torch.zeros(3, 4))
    out = genkit.in_kernel(run, vae_loss)
    assert isinstance(out, tuple) and len(out) == 3, 'vae_loss must return a tuple (loss, recon, kl)'
    loss, recon, kl = out
    assert loss.dim() == recon.dim() == kl.dim() == 0, 'loss, recon and kl must be scalar tensors'
    assert abs(recon.item() - 784 * math.log(2)) < 0.01, f'with x_hat = 0.5 every pixel costs log 2, so recon = 784 log 2 = 543.43 per image; got {recon.item():.2f} (sum over pixels, average over images)'
    assert abs(kl.item()) < 1e-06, f'with mu = 0 and logvar = 0 the posterior is the prior and KL = 0; got {kl.item():.4f}'

