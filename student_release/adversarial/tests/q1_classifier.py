from otter.test_files import test_case

OK_FORMAT = False

name = "q1_classifier"
points = 1

@test_case(points=None, hidden=False)
def test_classifier_shapes_and_layers(MNISTClassifier):
    import torch
    from torch import nn
    model = MNISTClassifier()
    assert isinstance(getattr(model, 'features', None), nn.Sequential), 'self.features must be an nn.Sequential'
    assert isinstance(getattr(model, 'classifier', None), nn.Sequential), 'self.classifier must be an nn.Sequential'
    model.eval()
    with torch.no_grad():
        out = model(torch.rand(5, 1, 28, 28))
    assert tuple(out.shape) == (5, 10), f'the model must return 10 logits per image, shape (5, 10); got {tuple(out.shape)}'
    convs = sum((isinstance(m, nn.Conv2d) for m in model.modules()))
    assert 2 <= convs <= 3, f'the classifier should have 2-3 convolution layers, it has {convs}'
    assert any((isinstance(m, nn.BatchNorm2d) for m in model.modules())), 'use batch normalisation after the convolutions'
    assert any((isinstance(m, nn.Dropout) for m in model.modules())), 'use dropout in the classifier'
    n = sum((p.numel() for p in model.parameters()))
    assert n <= 500000, f'the model has {n:,} parameters; keep it under 500,000 (the one described has about 206,000)'

