from otter.test_files import test_case

OK_FORMAT = False

name = "q5_dcgan"
points = 1

@test_case(points=None, hidden=False)
def test_dcgan_shapes_and_layers(DCGANGenerator, DCGANDiscriminator):
    import genkit

    def run(DCGANGenerator, DCGANDiscriminator):
        import torch
        from torch import nn
        G, D = (DCGANGenerator().eval(), DCGANDiscriminator().eval())
        with torch.no_grad():
            x = G(torch.randn(5, 100))
            logits = D(torch.rand(5, 1, 28, 28) * 2 - 1)
        return {'x': x, 'logits': logits, 'g_convs': sum((isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in G.modules())), 'd_convs': sum((isinstance(m, nn.Conv2d) for m in D.modules())), 'd_linears': sum((isinstance(m, nn.Linear) for m in D.modules()))}
    r = genkit.in_kernel(run, DCGANGenerator, DCGANDiscriminator)
    x = r['x']
    assert tuple(x.shape) == (5, 1, 28, 28), f'G(z) should have shape (5, 1, 28, 28), got {tuple(x.shape)}'
    assert x.min() >= -1 and x.max() <= 1, "G's output should lie in [-1, 1] (end with tanh)"
    assert tuple(r['logits'].shape) == (5,), f"D(x) should return one logit per image, shape (5,), got {tuple(r['logits'].shape)}"
    assert 2 <= r['g_convs'] <= 3, f"the generator should have 2-3 (transposed) convolution layers, it has {r['g_convs']}"
    assert 3 <= r['d_convs'] <= 4, f"the discriminator should have 3-4 convolution layers, it has {r['d_convs']}"
    assert r['d_linears'] == 1, f"the discriminator should have a single linear layer (its output layer, or before its convolutions), it has {r['d_linears']}"

