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

# Variety: the pixel spread of a set of samples (the standard deviation of each pixel across the samples,
# averaged over the pixels).  A generator that returns the same image on every call (perhaps with a little
# noise) has a spread near 0.  Measured: real MNIST test digits 0.074 (digit 1) to 0.173 per class, 0.184
# overall; the solutions' samples 0.057 (CGAN, digit 1) to 0.142 per class, 0.155 (VAE) and 0.18 (DCGAN)
# overall; real Fashion-MNIST 0.121 to 0.268 per class.  The bars sit at a third of the lowest honest figure.
VARIETY_BARS = {"per_class": 0.02, "overall": 0.05}


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
        where = "" if x.device.type == "cpu" else f" on the {x.device.type.upper()} device"
        raise SubmissionError(
            f"{name} returned a torch tensor{where}; return a numpy array: x.detach().cpu().numpy().")
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


def spread(images) -> float:
    """Pixel spread of a set of images (k, 28, 28): per-pixel standard deviation across them, averaged."""
    return float(np.asarray(images, dtype=np.float64).std(axis=0).mean()) if len(images) > 1 else 0.0


def check_variety(images, bar: float, what: str = "your samples") -> None:
    """SubmissionError when ``images`` barely differ from each other (the same image on every call)."""
    value = spread(images)
    if value < bar:
        raise SubmissionError(
            f"{what} barely differ from each other (pixel spread {value:.3f}, below {bar}; honest generators "
            "show 0.05 or more): a generator must draw a new image for each noise vector, not return the same one.")


# Copies of the training set.  The autograder holds no training images: copybank_<dataset>.pt (written by
# `python -m kit.judges`) holds a random projection (784 -> 128, Johnson-Lindenstrauss) of a fixed random 10 %
# of the training images, and the projection matrix.  A sample is a near copy when its projected distance
# to the nearest banked image, as an RMS pixel difference, is below COPY_DISTANCE.  Measured with the banks
# (nearest of 6000 training images, projected): real MNIST test digits 0.042 at the least (1st percentile
# 0.054), real Fashion-MNIST test images 0.038 (0.069); the CGAN's samples 0.045, the VAE's 0.057, the
# DCGAN's 0.124; exact copies 0, copies with noise of std 0.02 added 0.012 to 0.015 (max 0.016).  A generator
# that returns training images hits the bank with ~10 % of its samples; an honest one with none.
COPY_DISTANCE = 0.02
COPY_SHARE_BAR = 0.02
_banks: dict = {}


def copy_bank(dataset: str):
    """(projection (784, k), projected bank (m, k)) for ``dataset``, or None where the autograder has none."""
    if dataset not in _banks:
        path = HERE / f"copybank_{dataset}.pt"
        blob = torch.load(path, weights_only=True) if path.exists() else None
        _banks[dataset] = None if blob is None else (blob["projection"].float(), blob["bank"].float())
    return _banks[dataset]


def near_copy_share(images, dataset: str = "mnist") -> float | None:
    """Share of ``images`` (k, 28, 28) that are near copies of banked training images (None: no bank)."""
    bank = copy_bank(dataset)
    if bank is None or len(images) == 0:
        return None
    projection, banked = bank
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(len(images), -1) @ projection
    nearest = torch.cdist(x, banked).min(dim=1).values / 28.0  # RMS pixel difference
    return float((nearest < COPY_DISTANCE).float().mean())


def check_not_copies(images, dataset: str = "mnist") -> None:
    share = near_copy_share(images, dataset)
    if share is not None and share > COPY_SHARE_BAR:
        raise SubmissionError(
            f"{share:.0%} of your samples are (near) copies of training images (an honest generator draws none); "
            "generate must draw new images from the trained model, not return stored ones.")


def judge_scores(images, judge, dataset: str = "mnist") -> dict:
    """Inception Score, confident share (p >= 0.9) and predicted-class counts of images under ``judge``.

    Raises SubmissionError when the images are (nearly) all the same (``check_variety``) or copies of
    training images (``check_not_copies``).
    """
    check_variety(images, VARIETY_BARS["overall"])
    check_not_copies(images, dataset)
    return genkit.judge_report(images, judge=judge)


# --------------------------------------------------------------------------
# Conditional generators: does the hidden judge read each sample as the class asked for?
# --------------------------------------------------------------------------

_label_cache: dict = {}


def label_accuracy(generate, dataset: str = "mnist", per_class: int = 100, seed: int = 0):
    """Judge ``per_class`` samples of each class c = 0..9 from ``generate(n, c)`` with the hidden judge.

    Returns (overall accuracy, per-class accuracies (10,), confusion counts (10, 10): rows = class asked for,
    columns = class the judge reads).  Every output is checked with ``check_images`` first (a failure raises
    SubmissionError with a plain sentence).  Cached per (generate, dataset, per_class, seed), so that the
    tests of one question judge the samples once.
    """
    key = (id(generate), dataset, per_class, seed)
    if key not in _label_cache:
        judge = hidden_judge(dataset)
        images = [sample(generate, per_class, c, seed=seed + c) for c in range(10)]
        for c, x in enumerate(images):
            check_variety(x, VARIETY_BARS["per_class"],
                          f"the samples of class {genkit.CLASS_NAMES[dataset][c]}")
        check_not_copies(np.concatenate(images), dataset)
        pred = genkit.predict(judge, np.concatenate(images)).argmax(1).numpy().reshape(10, per_class)
        confusion = np.stack([np.bincount(row, minlength=10) for row in pred])
        per = np.diag(confusion) / per_class
        _label_cache[key] = (float(per.mean()), per, confusion)
    return _label_cache[key]


def per_class_table(per_class, dataset: str = "mnist") -> str:
    """Two lines: the classes, and the label accuracy of each."""
    names = [n[:7] for n in genkit.CLASS_NAMES[dataset]]
    width = max(5, max(len(n) for n in names))
    head = "class     " + " ".join(f"{n:>{width}}" for n in names)
    acc = "accuracy  " + " ".join(f"{a:>{width}.0%}" for a in per_class)
    return head + "\n" + acc


def explain_label_accuracy(per_class, confusion, dataset: str = "mnist") -> str:
    """The per-class table, and for the worst class what the judge read instead."""
    names = genkit.CLASS_NAMES[dataset]
    worst = int(np.argmin(per_class))
    row = confusion[worst].copy()
    row[worst] = 0
    other = int(np.argmax(row))
    text = per_class_table(per_class, dataset)
    if row[other]:
        text += (f"\nworst class: {names[worst]} ({per_class[worst]:.0%}); the judge reads {row[other]} of its "
                 f"{confusion[worst].sum()} samples as {names[other]}.")
    return text
