"""grading: helpers that only the autograder has (never shipped to students).

* the hidden judges: classifiers of another architecture and seed than the
  public judge, so that a generator tuned against the public judge gains nothing;
* checks on what a student's ``generate`` returns, each failing with one plain
  sentence that says what was wrong and what to do.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

import genkit

HERE = Path(__file__).resolve().parent
# Where data_file looks: beside this module (the autograder zip puts every file there); the kit's tools add the
# repository's folders (kit/labs.py adds each lab's reference/ folder).
DATA_DIRS: list[Path] = [HERE]


def data_file(name: str) -> Path:
    """The path of a data file the autograder ships (a judge, a copy bank, a lab's reference files)."""
    for folder in DATA_DIRS:
        if (Path(folder) / name).exists():
            return Path(folder) / name
    return HERE / name  # missing: the caller's error names the file where the autograder expects it

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


_judges: dict = {}


def _load_judge(dataset: str):
    if dataset not in _judges:
        judge = HiddenJudgeNet()
        extra = genkit.load_checkpoint(data_file(f"judge_{dataset}_hidden.pt"), judge)
        _judges[dataset] = (judge, extra)
    return _judges[dataset]


def hidden_judge(dataset: str = "mnist") -> nn.Module:
    """The hidden judge for ``dataset``, loaded (once) from judge_<dataset>_hidden.pt."""
    return _load_judge(dataset)[0]


def judge_real_accuracy(dataset: str = "mnist") -> float:
    """The hidden judge's accuracy on the real test set, as stored in its checkpoint by ``python -m kit.judges``."""
    return float(_load_judge(dataset)[1]["test_accuracy"])


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
        if x.shape[:1] == (n,) and x.size == n * 784:
            fix = "reshape it, e.g. x.reshape(n, 28, 28) (no channel dimension)"
        elif x.shape[1:] in ((28, 28), (1, 28, 28)):
            fix = f"return exactly n = {n} images, one per noise vector"
        else:
            fix = "return n images of 28 x 28 pixels"
        raise SubmissionError(f"{name} asked for {n} images returned shape {x.shape}; expected ({n}, 28, 28): "
                              f"{fix}.")
    if x.dtype not in (np.float32, np.float64):
        raise SubmissionError(f"{name} returned dtype {x.dtype}; return float32 values in [0, 1].")
    if not np.isfinite(x).all():
        raise SubmissionError(f"{name} returned NaN or infinite values: check the checkpoint and the final activation.")
    if x.size and (x.min() < -1e-6 or x.max() > 1 + 1e-6):
        raise SubmissionError(f"{name} returned values in [{x.min():.3f}, {x.max():.3f}]; expected [0, 1] "
                              "(map tanh outputs with (x + 1) / 2).")
    return x


def sample(generate, n: int, *args, seed: int = 0, name: str = "generate") -> np.ndarray:
    """Call ``generate(n, *args)`` with torch and numpy seeded, and check what it returns (``name`` is the
    student's function, as the messages call it)."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    with torch.no_grad():
        x = generate(n, *args)
    return check_images(x, n, name)


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


# Copies of real images.  The autograder holds no dataset: copybank_<dataset>.pt (written by `python -m kit.judges`)
# holds a random projection (784 -> 128, Johnson-Lindenstrauss) of a fixed random 10 % of the training images and
# of the test images, and the projection matrix.  A sample is a near copy when, shifted by up to COPY_SHIFT pixels
# in each direction (which undoes a student's torch.roll or a small crop), its projected distance to the nearest
# banked image, as an RMS pixel difference, is below COPY_DISTANCE.  Measured with the banks (shifts included):
# real images in neither bank, MNIST 0.042 at the least (1st percentile 0.050 on test, 0.055 on training images),
# Fashion-MNIST 0.045 (0.064); honest generators stay far above too (the CGAN's samples 0.045 unshifted, the
# VAE's 0.057, the DCGAN's 0.124); banked images rolled by 1-2 pixels 0, with noise of std 0.02 added at most
# 0.017 (MNIST) / 0.022 (Fashion).  A generator that returns stored training or test images, shifted or not, hits
# the banks with ~10 % of its samples; an honest one with none.  Zoomed crops (resized) are not caught here.
COPY_DISTANCE = 0.02
COPY_SHARE_BAR = 0.02
COPY_SHIFT = 2
COPY_CHECKED = 400  # samples checked per call (evenly spaced), with (2 * COPY_SHIFT + 1) ** 2 shifts each
_banks: dict = {}


def copy_bank(dataset: str):
    """(projection (784, k), projected bank (m, k)) for ``dataset``, or None where the autograder has none."""
    if dataset not in _banks:
        path = data_file(f"copybank_{dataset}.pt")
        blob = torch.load(path, weights_only=True) if path.exists() else None
        _banks[dataset] = None if blob is None else (blob["projection"].float(), blob["bank"].float())
    return _banks[dataset]


def nearest_banked(images, dataset: str = "mnist") -> torch.Tensor | None:
    """For each image (k, 28, 28), the RMS pixel distance to the nearest banked real image over all shifts by up to
    COPY_SHIFT pixels (projected); None where the autograder has no bank."""
    bank = copy_bank(dataset)
    if bank is None:
        return None
    projection, banked = bank
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 28, 28)
    r = range(-COPY_SHIFT, COPY_SHIFT + 1)
    shifted = torch.stack([torch.roll(x, (dy, dx), dims=(1, 2)) for dy in r for dx in r])  # (S, k, 28, 28)
    s, k = shifted.shape[:2]
    flat = shifted.reshape(s * k, 784) @ projection
    # in chunks of 512 rows: the whole (s * k, bank) distance matrix would take ~280 MB, a third of the box
    nearest = torch.cat([torch.cdist(flat[i:i + 512], banked).min(dim=1).values for i in range(0, len(flat), 512)])
    return nearest.reshape(s, k).min(dim=0).values / 28.0


def near_copy_share(images, dataset: str = "mnist") -> float | None:
    """Share of ``images`` (k, 28, 28) that are near copies of banked real images, shifts included (None: no bank).
    At most COPY_CHECKED evenly spaced images are checked."""
    if len(images) == 0:
        return None
    step = max(1, len(images) // COPY_CHECKED)
    nearest = nearest_banked(np.asarray(images)[::step][:COPY_CHECKED], dataset)
    return None if nearest is None else float((nearest < COPY_DISTANCE).float().mean())


def check_not_copies(images, dataset: str = "mnist") -> None:
    share = near_copy_share(images, dataset)
    if share is not None and share > COPY_SHARE_BAR:
        raise SubmissionError(
            f"{share:.0%} of your samples are (near) copies of real training or test images, perhaps shifted by a "
            "pixel or two (an honest generator draws none): generate must draw new images from the trained model, "
            "not return stored ones.")


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


# --------------------------------------------------------------------------
# The hidden tests every generative lab shares: each notebook calls them in one line.
# --------------------------------------------------------------------------


def clear_caches() -> None:
    """Forget judged samples (the benchmark judges the same generate function after each round of training)."""
    _label_cache.clear()
    _score_cache.clear()


def check_submitted(checkpoint: str) -> None:
    """SubmissionError when the checkpoint the quality questions need is not beside the notebook."""
    if not os.path.exists(checkpoint):
        raise SubmissionError(f"{checkpoint} is not in your submission: export with the notebook's last cell, "
                              "which zips it with the notebook.")


def check_generate_contract(generate, conditional: bool = False, sizes=(1, 64), fresh: int = 16,
                            name: str = "generate") -> None:
    """``generate(n)`` / ``generate(n, c)`` for several n (c also as a numpy integer): checked outputs
    (check_images), fresh noise on every call and, for a conditional generator, an empty array for n = 0."""
    if conditional:
        calls = [(n, (c,)) for n, c in zip(sizes, (0, 9))] + [(7, (np.int64(4),))]
    else:
        calls = [(n, ()) for n in sizes]
    for n, args in calls:
        sample(generate, n, *args, seed=n, name=name)
    args = (5,) if conditional else ()
    a = sample(generate, fresh, *args, seed=1, name=name)
    with torch.no_grad():
        b = generate(fresh, *args)
    if np.allclose(a, np.asarray(b, dtype=np.float64)):
        raise SubmissionError(f"two calls of {name} returned the same images: draw fresh noise on every call.")
    if conditional:
        x = generate(0, 3)
        if not (isinstance(x, np.ndarray) and x.shape == (0, 28, 28) and x.dtype == np.float32):
            got = (f"a {x.dtype} array of shape {x.shape}" if isinstance(x, np.ndarray)
                   else f"a {type(x).__name__}")
            raise SubmissionError(f"{name}(0, 3) returned {got}; it should return an empty float32 numpy array "
                                  "of shape (0, 28, 28).")


def check_rejects_non_classes(generate, n: int = 4, name: str = "generate") -> None:
    """``generate(n, c)`` must raise ValueError for every c that is not an integer class 0..9."""
    for bad in (10, -1, 2.5, "3", None):
        try:
            generate(n, bad)
        except ValueError:
            continue
        except Exception as exc:
            raise SubmissionError(f"{name}({n}, {bad!r}) raised {type(exc).__name__}; raise a ValueError that says "
                                  "c must be an integer from 0 to 9.") from None
        raise SubmissionError(f"{name}({n}, {bad!r}) returned images; it should raise a ValueError "
                              "(c must be an integer from 0 to 9).")


_score_cache: dict = {}


def sample_scores(generate, n: int, dataset: str = "mnist", seed: int = 0, name: str = "generate") -> dict:
    """judge_scores of ``generate(n)`` under the hidden judge, computed once per generator (the tests of one
    question share it)."""
    key = (id(generate), n, dataset, seed)
    if key not in _score_cache:
        images = sample(generate, n, seed=seed, name=name)
        _score_cache[key] = (judge_scores(images, hidden_judge(dataset), dataset), generate)  # keeps the id alive
    return _score_cache[key][0]


def check_judge_score(generate, n: int, bar: float, hint: str, dataset: str = "mnist",
                      name: str = "generate") -> None:
    """The Inception Score of ``n`` samples under the hidden judge must reach ``bar``."""
    scores = sample_scores(generate, n, dataset, name=name)
    if scores["inception_score"] < bar:
        raise SubmissionError(
            f"judge score (Inception Score with the hidden judge) of {n} samples from {name}: "
            f"{scores['inception_score']:.2f}, below the bar {bar}; {scores['confident_share']:.0%} are clear "
            f"images, samples per class: {scores['class_counts']}. {hint}")


def check_every_class_drawn(generate, n: int, dataset: str = "mnist", name: str = "generate") -> None:
    """Among ``n`` samples the hidden judge must find every class (no collapse onto some classes)."""
    counts = sample_scores(generate, n, dataset, name=name)["class_counts"]
    missing = [genkit.CLASS_NAMES[dataset][d] for d in range(10) if counts[d] == 0]
    if missing:
        raise SubmissionError(f"among {n} samples from {name} the hidden judge finds no {', '.join(missing)} "
                              f"(samples per class: {counts}): the generator has collapsed onto some classes.")


def check_label_accuracy(generate, dataset: str, per_class: int, bar: float, hint: str,
                         of_real: bool = False) -> None:
    """The hidden judge must read a share >= ``bar`` of ``per_class`` samples of each class as the class asked for
    (with ``of_real``: that share divided by the judge's accuracy on real test images)."""
    overall, per, confusion = label_accuracy(generate, dataset, per_class)
    table = f"Per class ({per_class} samples each):\n{explain_label_accuracy(per, confusion, dataset)}"
    if of_real:
        real = judge_real_accuracy(dataset)
        if overall / real < bar:
            raise SubmissionError(
                f"the hidden judge reads {overall:.1%} of your samples as the class you asked for, "
                f"{overall / real:.0%} of its accuracy on real test images ({real:.1%}); the bar is {bar:.0%}. "
                f"{table}\n{hint}")
    elif overall < bar:
        raise SubmissionError(f"the hidden judge reads {overall:.1%} of your samples as the class you asked for; "
                              f"the bar is {bar:.0%}. {table}\n{hint}")


def check_every_class_accuracy(generate, dataset: str, per_class: int, bar: float) -> None:
    """Every class's label accuracy under the hidden judge must reach ``bar``."""
    overall, per, confusion = label_accuracy(generate, dataset, per_class)
    weak = [genkit.CLASS_NAMES[dataset][d] for d in range(10) if per[d] < bar]
    if weak:
        raise SubmissionError(
            f"the hidden judge reads fewer than {bar:.0%} of the samples of {', '.join(weak)} as the class asked "
            f"for. Per class ({per_class} samples each):\n{explain_label_accuracy(per, confusion, dataset)}")
