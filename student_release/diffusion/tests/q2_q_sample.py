from otter.test_files import test_case

OK_FORMAT = False

name = "q2_q_sample"
points = 2

@test_case(points=None, hidden=False)
def test_q_sample_shape_and_ends(q_sample, ALPHA_BARS):
    import genkit

    def run(q_sample, ALPHA_BARS):
        import torch
        torch.manual_seed(0)
        x0, noise = (torch.rand(4, 1, 28, 28) * 2 - 1, torch.randn(4, 1, 28, 28))
        return (x0, noise, q_sample(x0, torch.tensor([0, 10, 500, 999]), noise, ALPHA_BARS))
    x0, noise, xt = genkit.in_kernel(run, q_sample, ALPHA_BARS)
    assert tuple(xt.shape) == (4, 1, 28, 28), f'q_sample should keep the shape (4, 1, 28, 28), got {tuple(xt.shape)}'
    assert (xt[0] - x0[0]).abs().max() < 0.05, 'at t = 0 (one step of noise) x_t should be almost x0'
    assert (xt[3] - noise[3]).abs().max() < 0.05, 'at t = T - 1 x_t should be almost pure noise'

