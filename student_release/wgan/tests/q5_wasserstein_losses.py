from otter.test_files import test_case

OK_FORMAT = False

name = "q5_wasserstein_losses"
points = 2

@test_case(points=None, hidden=False)
def test_wasserstein_losses_simple(get_WLoss_generator, get_WLoss_discriminator):
    import genkit

    def run(get_WLoss_generator, get_WLoss_discriminator):
        import torch
        real, fake = (torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.0, 5.0]))
        return (get_WLoss_generator(fake), get_WLoss_discriminator(real, fake))
    lg, ld = genkit.in_kernel(run, get_WLoss_generator, get_WLoss_discriminator)
    assert lg.dim() == 0 and ld.dim() == 0, 'both losses must be scalar tensors (means over the batch)'
    assert abs(lg.item() - -1.0) < 1e-06, f'L_G = -mean(score_fake) = -1.0 here, got {lg.item():.4f}'
    assert abs(ld.item() - (1.0 - 2.0)) < 1e-06, f'L_D = mean(score_fake) - mean(score_real) = -1.0 here, got {ld.item():.4f}'

