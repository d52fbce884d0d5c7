from otter.test_files import test_case

OK_FORMAT = False

name = "q4_fool"
points = 2

@test_case(points=None, hidden=False)
def test_fool_contract(fool):
    import torch
    from torch import nn
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    start = torch.rand(4, 1, 28, 28)
    original = start.clone()
    x = fool(model, start, 9, confidence=0.9, step_size=0.01, max_steps=200)
    assert isinstance(x, torch.Tensor) and tuple(x.shape) == (4, 1, 28, 28), 'return a tensor shaped like `start`'
    assert torch.equal(start, original), 'fool changed `start` in place: work on a copy'
    assert x.min() >= 0 and x.max() <= 1, 'pixel values left [0, 1]: clip after each step'
    with torch.no_grad():
        p = model(x).softmax(1)[:, 9]
    assert (p >= 0.9 - 0.0001).all(), f'the model should give class 9 a probability >= 0.9 on every image; got {p.min():.3f}'

