from otter.test_files import test_case

OK_FORMAT = False

name = "q3_loss"
points = 2

@test_case(points=None, hidden=False)
def test_loss_of_a_zero_model(diffusion_loss, ALPHA_BARS):
    import genkit

    def run(diffusion_loss, ALPHA_BARS):
        import torch
        torch.manual_seed(0)
        noise = torch.randn(8, 1, 28, 28)
        zero = lambda x, t, labels: torch.zeros_like(x)
        loss = diffusion_loss(zero, torch.rand(8, 1, 28, 28) * 2 - 1, torch.randint(0, 1000, (8,)), noise, torch.arange(8), ALPHA_BARS)
        t = torch.tensor([0, 100, 500, 999] * 2)
        plain = diffusion_loss(zero, torch.zeros(8, 1, 28, 28), t, noise, torch.arange(8), ALPHA_BARS)
        huge = diffusion_loss(zero, torch.zeros(8, 1, 28, 28), t, noise, torch.arange(8), ALPHA_BARS, snr_gamma=1000000000000.0)
        weighted = diffusion_loss(zero, torch.zeros(8, 1, 28, 28), t, noise, torch.arange(8), ALPHA_BARS, snr_gamma=5.0)
        return {'noise': noise, 'loss': loss, 'plain': plain, 'huge': huge, 'weighted': weighted}
    r = genkit.in_kernel(run, diffusion_loss, ALPHA_BARS)
    loss = r['loss']
    assert loss.dim() == 0, 'diffusion_loss should return a scalar (the mean over pixels and images)'
    assert abs(loss.item() - r['noise'].pow(2).mean().item()) < 1e-05, 'a model that predicts 0 should have loss mean(noise^2): the loss compares the prediction with the noise'
    assert abs(r['huge'].item() - r['plain'].item()) < 1e-05, 'with a huge snr_gamma every weight min(SNR, gamma) / SNR is 1: the loss should equal the unweighted one'
    assert r['weighted'].item() < r['plain'].item() - 0.001, 'with snr_gamma = 5 the nearly clean steps (SNR > 5) should weigh less than 1, so the loss should drop'

