from otter.test_files import test_case

OK_FORMAT = False

name = "q5_unet"
points = 3

@test_case(points=None, hidden=False)
def test_unet_shapes(UNet, timestep_embedding):
    import genkit

    def run(UNet, timestep_embedding):
        import torch
        emb = timestep_embedding(torch.tensor([0, 5, 999]), 64)
        net = UNet()
        with torch.no_grad():
            return (emb, net(torch.randn(3, 1, 28, 28), torch.tensor([0, 500, 999]), torch.tensor([1, 7, 10])))
    emb, out = genkit.in_kernel(run, UNet, timestep_embedding)
    assert tuple(emb.shape) == (3, 64), f'timestep_embedding(t, 64) should have shape (3, 64), got {tuple(emb.shape)}'
    assert tuple(out.shape) == (3, 1, 28, 28), f"UNet should return the noise's shape (3, 1, 28, 28), got {tuple(out.shape)}"

