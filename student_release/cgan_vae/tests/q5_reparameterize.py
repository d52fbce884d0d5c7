from otter.test_files import test_case

OK_FORMAT = False

name = "q5_reparameterize"
points = 3

@test_case(points=None, hidden=False)
def test_reparameterize_shape_and_mean(reparameterize):
    import genkit

    def run(reparameterize):
        import torch
        torch.manual_seed(0)
        return reparameterize(torch.full((20000, 2), 3.0), torch.zeros(20000, 2))
    z = genkit.in_kernel(run, reparameterize)
    assert tuple(z.shape) == (20000, 2), f'z should have the shape of mu, (20000, 2), got {tuple(z.shape)}'
    assert abs(z.mean().item() - 3.0) < 0.05, f'with mu = 3 the samples should have mean 3, got {z.mean().item():.3f}'
    assert abs(z.std().item() - 1.0) < 0.05, f'with logvar = 0 the samples should have standard deviation 1, got {z.std().item():.3f}'

