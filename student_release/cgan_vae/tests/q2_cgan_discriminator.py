from otter.test_files import test_case

OK_FORMAT = False

name = "q2_cgan_discriminator"
points = 2

@test_case(points=None, hidden=False)
def test_discriminator_shapes(ProjectionDiscriminator):
    import genkit

    def run(ProjectionDiscriminator):
        import torch
        D = ProjectionDiscriminator().eval()
        with torch.no_grad():
            return D(torch.rand(6, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 3, 4, 5]))
    logits = genkit.in_kernel(run, ProjectionDiscriminator)
    assert tuple(logits.shape) == (6,), f'D(x, labels) should return one logit per image, shape (6,), got {tuple(logits.shape)}'

