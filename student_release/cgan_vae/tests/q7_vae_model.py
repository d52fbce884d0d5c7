from otter.test_files import test_case

OK_FORMAT = False

name = "q7_vae_model"
points = 1

@test_case(points=None, hidden=False)
def test_vae_shapes(VAE):
    import torch
    from torch import nn
    model = VAE()
    x = torch.rand(5, 1, 28, 28)
    x_hat, mu, logvar = model(x)
    assert tuple(x_hat.shape) == (5, 1, 28, 28), f'x_hat should have shape (5, 1, 28, 28), got {tuple(x_hat.shape)}'
    assert tuple(mu.shape) == tuple(logvar.shape) == (5, model.latent_dim), 'mu and logvar should have shape (5, latent_dim)'
    assert x_hat.min() >= 0 and x_hat.max() <= 1, 'the decoder should end with a sigmoid (pixel probabilities)'
    assert sum((isinstance(m, nn.Conv2d) for m in model.modules())) >= 2, 'the encoder should be convolutional'

