from otter.test_files import test_case

OK_FORMAT = False

name = "q9_generate"
points = 3

@test_case(points=None, hidden=False)
def test_generate_shape_dtype_range(generate):
    import numpy as np, genkit

    def run(generate):
        return generate(3, 3)
    x = genkit.in_kernel(run, generate)
    assert isinstance(x, np.ndarray), f'generate must return a numpy array, got {type(x).__name__}'
    assert x.shape == (3, 28, 28), f'generate(3, 3) must have shape (3, 28, 28), got {x.shape}'
    assert x.dtype == np.float32, f'generate must return float32, got {x.dtype}'
    assert np.isfinite(x).all() and x.min() >= 0 and (x.max() <= 1), 'values must be finite and in [0, 1]'

