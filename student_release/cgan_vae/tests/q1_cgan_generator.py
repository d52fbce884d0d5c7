from otter.test_files import test_case

OK_FORMAT = False

name = "q1_cgan_generator"
points = 2

@test_case(points=None, hidden=False)
def test_generator_shapes(ConditionalGenerator):
    import genkit

    def run(ConditionalGenerator):
        import torch
        G = ConditionalGenerator().eval()
        with torch.no_grad():
            return G(torch.randn(5, G.z_dim), torch.tensor([0, 3, 3, 7, 9]))
    x = genkit.in_kernel(run, ConditionalGenerator)
    assert tuple(x.shape) == (5, 1, 28, 28), f'G(z, labels) should have shape (5, 1, 28, 28), got {tuple(x.shape)}'
    assert x.min() >= -1 and x.max() <= 1, "G's output should lie in [-1, 1] (end with tanh)"

