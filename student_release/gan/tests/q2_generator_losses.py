from otter.test_files import test_case

OK_FORMAT = False

name = "q2_generator_losses"
points = 2

@test_case(points=None, hidden=False)
def test_generator_losses_at_zero(generator_loss_minimax, generator_loss_nonsaturating):
    import math, genkit

    def run(generator_loss_minimax, generator_loss_nonsaturating):
        import torch
        return (generator_loss_minimax(torch.zeros(3)), generator_loss_nonsaturating(torch.zeros(3)))
    mm, ns = genkit.in_kernel(run, generator_loss_minimax, generator_loss_nonsaturating)
    assert mm.dim() == 0 and ns.dim() == 0, 'both losses must return scalar tensors'
    assert abs(mm.item() + math.log(2)) < 1e-05, f'minimax loss at logit 0 should be log(1/2) = -0.6931, got {mm.item():.4f}'
    assert abs(ns.item() - math.log(2)) < 1e-05, f'non-saturating loss at logit 0 should be -log(1/2) = 0.6931, got {ns.item():.4f}'

