from otter.test_files import test_case

OK_FORMAT = False

name = "q7_ddpm_step"
points = 2

@test_case(points=None, hidden=False)
def test_ddpm_step_shape(ddpm_step, BETAS, ALPHA_BARS):
    import genkit

    def run(ddpm_step, BETAS, ALPHA_BARS):
        import torch
        x = torch.randn(2, 1, 28, 28, dtype=torch.float64)
        return ddpm_step(x, torch.zeros_like(x), 500, torch.zeros_like(x), BETAS, ALPHA_BARS)
    out = genkit.in_kernel(run, ddpm_step, BETAS, ALPHA_BARS)
    assert tuple(out.shape) == (2, 1, 28, 28), f'ddpm_step should keep the shape, got {tuple(out.shape)}'

