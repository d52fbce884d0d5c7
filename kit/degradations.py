"""Real images changed just enough for a check of samples alone to take them for a generator's: what a student who
stores real images would serve.  numpy only (no grid_sample, no torchvision transform): each maps images (k, 28, 28)
in [0, 1] to images of the same shape.

Used by ``python -m kit.judges --calibrate-echoes`` (the echo check's figures, grading.ECHO_RATIO) and by
tests/test_provenance.py (the catalogue of such submissions).
"""
from __future__ import annotations

import numpy as np


def subpixel(x):
    """Each image blended with its own 1-pixel shift: moved by half a pixel."""
    return 0.5 * x + 0.5 * np.roll(x, 1, axis=2)


def blur(x):
    """A 3 x 3 box blur."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    return sum(padded[:, i:i + 28, j:j + 28] for i in range(3) for j in range(3)) / 9


def down_up(x):
    """Down-sampled to 14 x 14 (2 x 2 means) and back (each pixel repeated)."""
    small = x.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4))
    return small.repeat(2, axis=1).repeat(2, axis=2)


def warp(x, strength=0.7, seed=0):
    """A smooth random displacement field of up to ``strength`` pixels, bilinear interpolation by hand."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(x)
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float64)
    for k, image in enumerate(x):
        a, b = rng.uniform(-1, 1, 4), rng.uniform(0, 2 * np.pi, 4)
        dy = strength * np.sin(xx / 9 + b[0]) * a[0] + strength * np.cos(yy / 11 + b[1]) * a[1]
        dx = strength * np.sin(yy / 9 + b[2]) * a[2] + strength * np.cos(xx / 11 + b[3]) * a[3]
        sy, sx = np.clip(yy + dy, 0, 27), np.clip(xx + dx, 0, 27)
        y0, x0 = np.floor(sy).astype(int), np.floor(sx).astype(int)
        y1, x1 = np.minimum(y0 + 1, 27), np.minimum(x0 + 1, 27)
        fy, fx = sy - y0, sx - x0
        out[k] = ((1 - fy) * (1 - fx) * image[y0, x0] + (1 - fy) * fx * image[y0, x1]
                  + fy * (1 - fx) * image[y1, x0] + fy * fx * image[y1, x1])
    return out


DEGRADATIONS = {"subpixel": subpixel, "blur": blur, "down_up": down_up, "warp": warp}
# stronger versions, for the calibration: where the echo check stops seeing the original
STRONGER = {"warp 1.5 px": lambda x: warp(x, 1.5), "warp 2.5 px": lambda x: warp(x, 2.5),
            "blur, then warp 1.5 px": lambda x: warp(blur(x), 1.5),
            "noise (sigma 0.1)": lambda x: np.clip(x + np.random.default_rng(0).normal(0, 0.1, x.shape), 0, 1)}
