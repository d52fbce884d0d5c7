from otter.test_files import test_case

OK_FORMAT = False

name = "q3_generate"
points = 3

@test_case(points=None, hidden=False)
def test_generate_shape_dtype_range(generate):
    import numpy as np, genkit

    def run(generate):
        x = generate(5, 3)
        try:
            generate(2, 10)
            raised = None
        except Exception as error:
            raised = [type(error).__name__, [c.__name__ for c in type(error).__mro__], str(error)]
        return {'x': x, 'raised': raised}
    r = genkit.in_kernel(run, generate)
    x = r['x']
    assert isinstance(x, np.ndarray), f'generate must return a numpy array, got {type(x).__name__}'
    assert x.shape == (5, 28, 28), f'generate(5, 3) must have shape (5, 28, 28), got {x.shape}'
    assert x.dtype == np.float32, f'generate must return float32, got {x.dtype}'
    assert np.isfinite(x).all() and x.min() >= 0 and (x.max() <= 1), 'values must be finite and in [0, 1]'
    assert r['raised'] is not None, 'generate(2, 10) should raise ValueError: 10 is not a digit'
    assert 'ValueError' in r['raised'][1], f"generate(2, 10) raised {r['raised'][0]} ({r['raised'][2]}); it should raise ValueError: 10 is not a digit"

