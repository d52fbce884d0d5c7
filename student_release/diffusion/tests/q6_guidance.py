from otter.test_files import test_case

OK_FORMAT = False

name = "q6_guidance"
points = 2

@test_case(points=None, hidden=False)
def test_guidance_shape(guided_eps):
    import genkit

    def run(guided_eps):
        import torch
        model = lambda x, t, labels: x * (labels.reshape(-1, 1, 1, 1) + 1)
        return guided_eps(model, torch.ones(3, 1, 28, 28), torch.zeros(3, dtype=torch.long), torch.tensor([1, 2, 3]), 1.0)
    out = genkit.in_kernel(run, guided_eps)
    assert tuple(out.shape) == (3, 1, 28, 28), f'guided_eps should return shape (3, 1, 28, 28), got {tuple(out.shape)}'

