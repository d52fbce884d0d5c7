from otter.test_files import test_case

OK_FORMAT = False

name = "q1_schedule"
points = 2

@test_case(points=None, hidden=False)
def test_schedule_shapes(linear_schedule):
    import genkit, torch

    def run(linear_schedule):
        return linear_schedule()
    betas, alphas, alpha_bars = genkit.in_kernel(run, linear_schedule)
    for name, v in (('betas', betas), ('alphas', alphas), ('alpha_bars', alpha_bars)):
        assert tuple(v.shape) == (1000,), f'{name} should have shape (1000,), got {tuple(v.shape)}'
        assert v.dtype == torch.float64, f'{name} should be float64 (dtype=torch.float64 in linspace), got {v.dtype}'
    assert abs(betas[0].item() - 0.0001) < 1e-12 and abs(betas[-1].item() - 0.02) < 1e-12, 'betas should run from 1e-4 to 0.02'
    assert (alpha_bars[1:] < alpha_bars[:-1]).all(), 'alpha_bars should decrease: each step adds noise'

