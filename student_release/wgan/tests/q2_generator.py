from otter.test_files import test_case

OK_FORMAT = False

name = "q2_generator"
points = 2

@test_case(points=None, hidden=False)
def test_generator_shapes(Generator):
    import genkit

    def run(Generator):
        import torch
        G = Generator().eval()
        with torch.no_grad():
            return G(torch.randn(5, 100), torch.tensor([0, 3, 3, 7, 9]))
    x = genkit.in_kernel(run, Generator)
    assert tuple(x.shape) == (5, 1, 28, 28), f'G(z, labels) should have shape (5, 1, 28, 28), got {tuple(x.shape)}'
    assert x.min() >= -1 and x.max() <= 1, "G's output should lie in [-1, 1] (end with tanh)"

