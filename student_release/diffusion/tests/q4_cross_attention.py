from otter.test_files import test_case

OK_FORMAT = False

name = "q4_cross_attention"
points = 2

@test_case(points=None, hidden=False)
def test_cross_attention_shape(CrossAttention):
    import genkit

    def run(CrossAttention):
        import torch
        return CrossAttention(16, 8)(torch.randn(2, 16, 7, 7), torch.randn(2, 3, 8))
    out = genkit.in_kernel(run, CrossAttention)
    assert tuple(out.shape) == (2, 16, 7, 7), f"the output should have the feature map's shape (2, 16, 7, 7), got {tuple(out.shape)}"

