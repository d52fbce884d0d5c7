from otter.test_files import test_case

OK_FORMAT = False

name = "q3_attack"
points = 6

@test_case(points=None, hidden=False)
def test_attack_contract(targeted_attack):
    import genkit, torch

    def run(targeted_attack):
        import torch
        from torch import nn
        torch.manual_seed(0)
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 28 * 28, 10))
        model.train()
        images = torch.rand(6, 1, 28, 28)
        original = images.clone()
        x = targeted_attack(model, images, 9, 0.1, 0.04, 5)
        r = {'x': x, 'images': images, 'original': original, 'training': model.training}
        if isinstance(x, torch.Tensor) and tuple(x.shape) == (6, 1, 28, 28):
            with torch.no_grad():
                r['before'], r['after'] = (model(original).softmax(1)[:, 9], model(x).softmax(1)[:, 9])
        return r
    r = genkit.in_kernel(run, targeted_attack)
    x, images = (r['x'], r['images'])
    assert isinstance(x, torch.Tensor) and tuple(x.shape) == (6, 1, 28, 28), 'return a tensor shaped like `images`'
    assert torch.equal(images, r['original']), 'targeted_attack changed `images` in place: work on a copy'
    assert not x.requires_grad, 'return a detached tensor (x.detach())'
    assert not r['training'], 'put the model in eval mode (model.eval()) before taking gradients'
    assert (x - images).abs().max() <= 0.1 + 1e-06, 'a pixel moved by more than eps: project onto the eps-ball after each step'
    assert x.min() >= 0 and x.max() <= 1, 'pixel values left [0, 1]: clip after each step'
    assert (r['after'] > r['before']).all(), 'the attack should raise the probability of the target class: check the sign of the step'

