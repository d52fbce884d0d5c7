from otter.test_files import test_case

OK_FORMAT = False

name = "q8_vae_generate"
points = 1

@test_case(points=None, hidden=False)
def test_vae_generate_shape_dtype_range(vae_generate):
    import numpy as np, genkit

    def run(vae_generate):
        return vae_generate(5)
    x = genkit.in_kernel(run, vae_generate)
    assert isinstance(x, np.ndarray), f'vae_generate must return a numpy array, got {type(x).__name__}'
    assert x.shape == (5, 28, 28), f'vae_generate(5) must have shape (5, 28, 28), got {x.shape}'
    assert x.dtype == np.float32, f'vae_generate must return float32, got {x.dtype}'
    assert np.isfinite(x).all() and x.min() >= 0 and (x.max() <= 1), 'values must be finite and in [0, 1]'

