from otter.test_files import test_case

OK_FORMAT = False

name = "q1_discriminator_loss"
points = 2

@test_case(points=None, hidden=False)
def test_discriminator_loss_is_scalar_and_two_log_two_at_zero(discriminator_loss):
    import math, genkit

    def run(discriminator_loss):
        import torch
        return discriminator_loss(torch.zeros(4), torch.zeros(3))
    loss = genkit.in_kernel(run, discriminator_loss)
    assert loss.dim() == 0, f'the loss must be a scalar tensor, got shape {tuple(loss.shape)}'
    assert abs(loss.item() - 2 * math.log(2)) < 1e-05, f'with every logit 0, D = 1/2 everywhere and the loss is 2 log 2 = 1.3863; got {loss.item():.4f}'

