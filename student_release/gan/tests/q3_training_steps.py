from otter.test_files import test_case

OK_FORMAT = False

name = "q3_training_steps"
points = 2

@test_case(points=None, hidden=False)
def test_discriminator_step_updates_D(discriminator_step):
    import genkit, torch

    def run(discriminator_step):
        import copy, torch
        from torch import nn
        torch.manual_seed(0)
        G = nn.Sequential(nn.Linear(8, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))
        D = nn.Sequential(nn.Flatten(), nn.Linear(784, 1), nn.Flatten(0))
        D0 = copy.deepcopy(D)
        out = discriminator_step(G, D, torch.optim.SGD(D.parameters(), lr=0.1), torch.rand(8, 1, 28, 28) * 2 - 1, torch.randn(8, 8))
        return {'out': out, 'D': list(D.parameters()), 'D0': list(D0.parameters())}
    r = genkit.in_kernel(run, discriminator_step)
    assert isinstance(r['out'], float), f"discriminator_step must return the loss as a Python float (loss.item()), got {type(r['out']).__name__}"
    assert any((not torch.equal(p, p0) for p, p0 in zip(r['D'], r['D0']))), "D's parameters did not change: call opt_D.step()"

