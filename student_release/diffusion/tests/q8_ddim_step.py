from otter.test_files import test_case

OK_FORMAT = False

name = "q8_ddim_step"
points = 2

@test_case(points=None, hidden=False)
def test_ddim_step_shape(ddim_step, ALPHA_BARS):
    import genkit

    def run(ddim_step, ALPHA_BARS):
        import torch
        x = torch.randn(2, 1, 28, 28, dtype=torch.float64)
        return ddim_step(x, torch.zeros_like(x), 500, 450, ALPHA_BARS)
    x_s, x0_hat = genkit.in_kernel(run, ddim_step, ALPHA_BARS)
    assert tuple(x_s.shape) == tuple(x0_hat.shape) == (2, 1, 28, 28), 'ddim_step should return (x_s, x0_hat), each (2, 1, 28, 28)'

