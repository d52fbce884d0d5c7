from otter.test_files import test_case

OK_FORMAT = False

name = "q1_classifier"
points = 1

@test_case(points=None, hidden=False)
def test_classifier_shapes_and_layers(MNISTClassifier):
    import genkit

    def run(MNISTClassifier):
        import torch
        from torch import nn
        model = MNISTClassifier()
        r = {'features': isinstance(getattr(model, 'features', None), nn.Sequential), 'classifier': isinstance(getattr(model, 'classifier', None), nn.Sequential)}
        model.eval()
        with torch.no_grad():
            r['out'] = model(torch.rand(5, 1, 28, 28))
        r['convs'] = sum((isinstance(m, nn.Conv2d) for m in model.modules()))
        r['batch_norm'] = any((isinstance(m, nn.BatchNorm2d) for m in model.modules()))
        r['dropout'] = any((isinstance(m, nn.Dropout) for m in model.modules()))
        r['parameters'] = sum((p.numel() for p in model.parameters()))
        return r
    r = genkit.in_kernel(run, MNISTClassifier)
    assert r['features'], 'self.features must be an nn.Sequential'
    assert r['classifier'], 'self.classifier must be an nn.Sequential'
    assert tuple(r['out'].shape) == (5, 10), f"the model must return 10 logits per image, shape (5, 10); got {tuple(r['out'].shape)}"
    assert 2 <= r['convs'] <= 3, f"the classifier should have 2-3 convolution layers, it has {r['convs']}"
    assert r['batch_norm'], 'use batch normalisation after the convolutions'
    assert r['dropout'], 'use dropout in the classifier'
    n = r['parameters']
    assert n <= 500000, f'the model has {n:,} parameters; keep it under 500,000 (the one described has about 206,000)'

