"""grading: helpers that only the autograder has (never shipped to students).

* the hidden judges: classifiers of another architecture and seed than the
  public judge, so that a generator tuned against the public judge gains nothing;
* checks on what a student's ``generate`` returns, each failing with one plain
  sentence that says what was wrong and what to do.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

import genkit

HERE = Path(__file__).resolve().parent

# Bars on sample quality, each set from measurement (see the lab's tests and `make bench`):
# the solution clears it with margin, an untrained generator does not.
QUALITY_BARS = {
    # Inception Score of 1000 DCGAN samples computed with the hidden MNIST judge (1 = one digit only, 10 = ideal)
    "gan_inception_score": 3.0,
}


class HiddenJudgeNet(nn.Module):
    """The hidden judge: three conv blocks with batch norm and global average pooling.

    Input (N, 1, 28, 28) in [0, 1]; output logits (N, 10).
    """

    def __init__(self, width: int = 32):
        super().__init__()

        def block(c_in, c_out):
            return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                                 nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())

        self.features = nn.Sequential(block(1, width), nn.MaxPool2d(2),             # 14x14
                                      block(width, 2 * width), nn.MaxPool2d(2),     # 7x7
                                      block(2 * width, 4 * width), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * width, 10))

    def forward(self, x):
        return self.head(self.features((x.reshape(-1, 1, 28, 28) - 0.5) / 0.5))


def hidden_judge(dataset: str = "mnist") -> nn.Module:
    """The hidden judge for ``dataset``, loaded from judge_<dataset>_hidden.pt."""
    judge = HiddenJudgeNet()
    genkit.load_checkpoint(HERE / f"judge_{dataset}_hidden.pt", judge)
    return judge


# --------------------------------------------------------------------------
# What generate() returns
# --------------------------------------------------------------------------


class SubmissionError(AssertionError):
    """A check on a submission failed; the message is what the student reads."""


def check_images(x, n: int, name: str = "generate") -> np.ndarray:
    """Check that ``x`` is an (n, 28, 28) float numpy array of finite values in [0, 1]; return it.

    Each failure raises SubmissionError with one sentence a student can act on.
    """
    if isinstance(x, torch.Tensor):
        where = "a CUDA" if x.is_cuda else "a torch"
        raise SubmissionError(
            f"{name} returned {where} tensor; return a numpy array: x.detach().cpu().numpy().")
    if not isinstance(x, np.ndarray):
        raise SubmissionError(f"{name} returned a {type(x).__name__}; return a numpy array of shape ({n}, 28, 28).")
    if x.shape != (n, 28, 28):
        raise SubmissionError(f"{name}({n}) returned shape {x.shape}; expected ({n}, 28, 28) "
                              "(squeeze the channel dimension).")
    if x.dtype not in (np.float32, np.float64):
        raise SubmissionError(f"{name} returned dtype {x.dtype}; return float32 values in [0, 1].")
    if not np.isfinite(x).all():
        raise SubmissionError(f"{name} returned NaN or infinite values: check the checkpoint and the final activation.")
    if x.size and (x.min() < -1e-6 or x.max() > 1 + 1e-6):
        raise SubmissionError(f"{name} returned values in [{x.min():.3f}, {x.max():.3f}]; expected [0, 1] "
                              "(map tanh outputs with (x + 1) / 2).")
    return x


def sample(generate, n: int, *args, seed: int = 0) -> np.ndarray:
    """Call ``generate(n, *args)`` with torch and numpy seeded, and check what it returns."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    with torch.no_grad():
        x = generate(n, *args)
    return check_images(x, n)


def confident_share(images, judge, confidence: float = 0.9) -> tuple[float, np.ndarray]:
    """Share of images that ``judge`` classifies with probability >= confidence, and the predicted classes."""
    probs = genkit.predict(judge, images)
    conf, pred = probs.max(1)
    return float((conf >= confidence).float().mean()), pred.numpy()


def judge_scores(images, judge) -> dict:
    """Inception Score, confident share (p >= 0.9) and predicted-class counts of images under ``judge``."""
    return genkit.judge_report(images, judge=judge)
