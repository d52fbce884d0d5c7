from otter.test_files import test_case

OK_FORMAT = False

name = "q7_vae_model"
points = 1

@test_case(points=None, hidden=False)
def test_vae_shapes(VAE):
    import genkit

    def run(VAE):
        import torch
        from torch import nn
        model = VAE()
        x_hat, mu, logvar = model(torch.rand(5, 1, 28, 28))
        return {'x_hat': x_hat, 'mu': mu, 'logvar': logvar, 'latent_dim': model.latent_dim, 'convs': sum((isinstance(m, nn.Conv2d) for m in model.modules()))}
    r = genkit.in_kernel(run, VAE)
    x_hat = r['x_hat']
    assert tuple(x_hat.shape) == (5, 1, 28, 28), f'x_hat should have shape (5, 1, 28, 28), got {tuple(x_hat.shape)}'
    assert tuple(r['mu'].shape) == tuple(r['logvar'].shape) == (5, r['latent_dim']), 'mu and logvar should have shape (5, latent_dim)'
    assert x_hat.min() >= 0 and x_hat.max() <= 1, 'the decoder should end with a sigmoid (pixel probabilities)'
    assert r['convs'] >= 2, 'the encoder should be convolutional'

