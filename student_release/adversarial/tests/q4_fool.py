from otter.test_files import test_case

OK_FORMAT = False

name = "q4_fool"
points = 2

@test_case(points=None, hidden=False)
def test_fool_contract(fool):
    import genkit, torch

    def run(fool):
        import torch
        from torch import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
        start = torch.rand(4, 1, 28, 28)
        original = start.clone()
        x = fool(model, start, 9, confidence=0.9, step_size=0.01, max_steps=200)
        r = {'x': x, 'start': start, 'original': original}
        if isinstance(x, torch.Tensor) and tuple(x.shape) == (4, 1, 28, 28):
            with torch.no_grad():
                r['p'] = model(x).softmax(1)[:, 9]
        return r
    r = genkit.in_kernel(run, fool)
    x = r['x']
    assert isinstance(x, torch.Tensor) and tuple(x.shape) == (4, 1, 28, 28), 'return a tensor shaped like `start`'
    assert torch.equal(r['start'], r['original']), 'fool changed `start` in place: work on a copy'
    assert x.min() >= 0 and x.max() <= 1, 'pixel values left [0, 1]: clip after each step'
    p = r['p']
    assert (p >= 0.9 - 0.0001).all(), f'the model should give class 9 a probability >= 0.9 on every image; got {p.min():.3f}'

