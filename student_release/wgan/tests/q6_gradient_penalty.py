from otter.test_files import test_case

OK_FORMAT = False

name = "q6_gradient_penalty"
points = 4

@test_case(points=None, hidden=False)
def test_gradient_penalty_linear_critic(get_gradient_regularisation):
    import genkit

    def run(get_gradient_regularisation):
        import torch
        torch.manual_seed(0)
        w = torch.randn(784, dtype=torch.float64)
        w = w / w.norm()

        def critic(x, labels):
            return x.reshape(len(x), -1) @ w + labels.to(x.dtype)
        real, fake = (torch.rand(8, 1, 28, 28, dtype=torch.float64), torch.rand(8, 1, 28, 28, dtype=torch.float64))
        return get_gradient_regularisation(critic, real, fake, torch.arange(8))
    gp = genkit.in_kernel(run, get_gradient_regularisation)
    assert gp.dim() == 0, 'the penalty must be a scalar tensor (a mean over the images)'
    assert abs(gp.item()) < 1e-08, f'a critic whose gradient has norm 1 everywhere should get penalty 0, got {gp.item():.4f}: the penalty is lam * mean((||grad|| - 1) ** 2)'

