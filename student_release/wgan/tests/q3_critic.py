from otter.test_files import test_case

OK_FORMAT = False

name = "q3_critic"
points = 2

@test_case(points=None, hidden=False)
def test_label_planes_and_critic_shapes(label_planes, Critic):
    import genkit

    def run(label_planes, Critic):
        import torch
        planes = label_planes(torch.tensor([2, 0]))
        D = Critic()
        return (planes, D(torch.rand(6, 1, 28, 28) * 2 - 1, torch.tensor([0, 1, 2, 3, 4, 5])))
    planes, scores = genkit.in_kernel(run, label_planes, Critic)
    assert tuple(planes.shape) == (2, 10, 28, 28), f'label_planes of 2 labels should have shape (2, 10, 28, 28), got {tuple(planes.shape)}'
    assert planes[0, 2].min() == 1 and planes[0].sum() == 784 and (planes[1, 0].min() == 1) and (planes[1].sum() == 784), 'plane k should be all ones for label k, the nine others all zeros'
    assert tuple(scores.shape) == (6,), f'the critic should return one score per image, shape (6,), got {tuple(scores.shape)}'

