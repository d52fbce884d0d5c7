"""grading: helpers that only the autograder has (never shipped to students).

* the hidden judges: classifiers of another architecture and seed than the
  public judge, so that a generator tuned against the public judge gains nothing;
* checks on what a student's ``generate`` returns, each failing with one plain
  sentence that says what was wrong and what to do;
* judged samples (``Draw``, ``Judged``): ``judged`` draws a model's samples through ``genkit.in_kernel`` (in the
  grading kernel, under the autograder's seeds) and judges them where the test runs: at grading that is otter's own
  process (verdicts.py), where no student code runs (``verdict``);
* realism (``realism_figures``): the Frechet distance of the samples in the hidden judge's features to the real
  test set, over the same distance for real training images (the floor), and the agreement of a second judge of
  another kind (nearest neighbours among banked real images) with the label.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
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
        return self.head(self.embed(x))

    def embed(self, x):
        """The features the head reads: (N, 128) for x (N, 1, 28, 28) in [0, 1] (the realism measure uses them)."""
        return self.features((x.reshape(-1, 1, 28, 28) - 0.5) / 0.5).flatten(1)


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
        device = getattr(x, "kit_device", x.device.type)  # where the student's tensor was (genkit.unpack)
        where = "" if device == "cpu" else f" on the {device.upper()} device"
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


def run_calls(func, calls, keep_going):
    """Run in the student's kernel (through genkit.in_kernel): ``func(*args)`` for each ``(seed, args)`` of
    ``calls``, seeding torch and numpy first where ``seed`` is not None, without gradients.  Returns one entry per call
    made: ["value", what it returned] or ["raised", genkit.describe_error of what it raised]; after the first
    exception it stops unless ``keep_going``."""
    import genkit
    import numpy as np
    import torch

    out = []
    for seed, args in calls:
        try:
            if seed is not None:
                torch.manual_seed(seed)
                np.random.seed(seed)
            with torch.no_grad():
                out.append(["value", func(*args)])
        except Exception as error:
            out.append(["raised", genkit.describe_error(error)])
            if not keep_going:
                break
    return out


def call_in_kernel(func, calls, keep_going: bool = False) -> list:
    """``run_calls`` where ``func`` lives (the student's kernel at grading): each call's value, or the exception it
    raised (genkit.rebuild_error: ``except ValueError`` still catches it)."""
    return [genkit.rebuild_error(value) if kind == "raised" else value
            for kind, value in genkit.in_kernel(run_calls, func, [list(c) for c in calls], keep_going)]


def sample_all(generate, calls, name: str = "generate") -> list[np.ndarray]:
    """``generate(*args)`` for each ``(seed, args)`` of ``calls`` (in the student's kernel, seeded, without
    gradients), each output checked with check_images (n = args[0]); an exception generate raised is raised here."""
    checked = []
    for (_, args), out in zip(calls, call_in_kernel(generate, calls)):
        if isinstance(out, Exception):
            raise out
        checked.append(check_images(out, args[0], name))
    return checked


def spread(images) -> float:
    """Pixel spread of a set of images (k, 28, 28): per-pixel standard deviation across them, averaged."""
    return float(np.asarray(images, dtype=np.float64).std(axis=0).mean()) if len(images) > 1 else 0.0


def check_variety(images, bar: float, what: str = "your samples", value: float | None = None) -> None:
    """SubmissionError when ``images`` barely differ from each other (the same image on every call); ``value``: their
    spread, where it is already known."""
    value = spread(images) if value is None else value
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
# the banks with ~10 % of its samples; an honest one with none.  Zoomed crops: the banks also hold the projections of
# the banked images' centred crops of ZOOMS pixels resized to 28 x 28 (``zoom``), matched with shifts of up to
# ZOOM_SHIFT pixels (crops a pixel off centre) on ZOOM_CHECKED of the samples.  Measured: every banked image zoomed
# from a 20-27 pixel crop, centred or shifted by a pixel, is a copy; of 2000 real images in neither bank per set, 0
# are (1 on Fashion-MNIST's training set, its near duplicate); of 1000 samples of each solution, 0 (closest 0.042).
COPY_DISTANCE = 0.02
ZOOMS = tuple(range(20, 28))
ZOOM_SHIFT = 1
ZOOM_CHECKED = 100
COPY_SHARE_BAR = 0.02
COPY_SHIFT = 2
COPY_CHECKED = 400  # samples checked per call (evenly spaced), with (2 * COPY_SHIFT + 1) ** 2 shifts each
_banks: dict = {}
BANK_BLOCK = 8192  # banked rows compared at a time, made float32 from the float16 they are kept in


def copy_bank(dataset: str):
    """(projection (784, k), projected bank (m, k)) for ``dataset``, or None where the autograder has none."""
    if dataset not in _banks:
        path = data_file(f"copybank_{dataset}.pt")
        blob = torch.load(path, weights_only=True) if path.exists() else None
        _banks[dataset] = None if blob is None else (blob["projection"].float(), blob["bank"].float())
        _banks[dataset + "/labels"] = None if blob is None else blob.get("labels")
        # the zoomed crops (56,000 rows) and the coarse images (70,000) stay float16: 14 and 7 MB
        _banks[dataset + "/zoomed"] = None if blob is None or "zoomed" not in blob else blob["zoomed"]
        _banks[dataset + "/coarse"] = None if blob is None or "coarse" not in blob else blob["coarse"]
    return _banks[dataset]


def zoom(images, crop: int) -> torch.Tensor:
    """The centred ``crop`` x ``crop`` pixels of images (k, 28, 28), resized to 28 x 28 (bilinear): a zoomed copy."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)
    m = (28 - crop) // 2
    return torch.nn.functional.interpolate(x[:, :, m:m + crop, m:m + crop], size=28, mode="bilinear",
                                           align_corners=False)[:, 0]


def _nearest(rows: torch.Tensor, banked: torch.Tensor) -> torch.Tensor:
    """The distance of each row to its nearest banked row, a block of the bank (made float32 from the float16 it is
    kept in) and a few rows at a time: a distance matrix of at most 2**22 entries (16 MB) at once; the whole one would
    take hundreds of MB of the container's 768."""
    best = torch.full((len(rows),), float("inf"))
    for j in range(0, len(banked), BANK_BLOCK):
        block = banked[j:j + BANK_BLOCK].float()
        step = max(16, 2 ** 22 // len(block))
        for i in range(0, len(rows), step):
            best[i:i + step] = torch.minimum(best[i:i + step], torch.cdist(rows[i:i + step], block).min(dim=1).values)
    return best


def nearest_banked(images, dataset: str = "mnist", zoomed: bool = True) -> torch.Tensor | None:
    """For each image (k, 28, 28), the RMS pixel distance to the nearest banked real image over all shifts by up to
    COPY_SHIFT pixels, and (``zoomed``) to the nearest banked zoomed crop over shifts by up to ZOOM_SHIFT (projected);
    None where the autograder has no bank."""
    bank = copy_bank(dataset)
    if bank is None:
        return None
    projection, banked = bank
    images = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 28, 28)
    r = range(-COPY_SHIFT, COPY_SHIFT + 1)
    shifts = [(dy, dx) for dy in r for dx in r]
    crops = _banks.get(dataset + "/zoomed") if zoomed else None
    parts = []
    for x in images.split(100):  # a hundred images at a time: their shifted copies take 8 MB
        flat = torch.stack([torch.roll(x, s, dims=(1, 2)) for s in shifts]).reshape(-1, 784) @ projection  # (S*k, d)
        nearest = _nearest(flat, banked).reshape(len(shifts), len(x)).min(dim=0).values
        if crops is not None:
            near = [i for i, (dy, dx) in enumerate(shifts) if abs(dy) <= ZOOM_SHIFT and abs(dx) <= ZOOM_SHIFT]
            rows = flat.reshape(len(shifts), len(x), -1)[near].reshape(-1, flat.shape[1])
            nearest = torch.minimum(nearest, _nearest(rows, crops).reshape(len(near), len(x)).min(dim=0).values)
        parts.append(nearest)
    return (torch.cat(parts) if parts else torch.zeros(0)) / 28.0


def near_copy_share(images, dataset: str = "mnist") -> float | None:
    """Share of ``images`` (k, 28, 28) that are near copies of banked real images (None: no bank): of at most
    COPY_CHECKED evenly spaced images, shifts included, or of ZOOM_CHECKED of them, zoomed crops included,
    whichever is larger."""
    if len(images) == 0:
        return None
    images = np.asarray(images)
    shares = []
    for checked, zoomed in ((COPY_CHECKED, False), (ZOOM_CHECKED, True)):
        nearest = nearest_banked(images[::max(1, len(images) // checked)][:checked], dataset, zoomed=zoomed)
        if nearest is None:
            return None
        shares.append(float((nearest < COPY_DISTANCE).float().mean()))
    return max(shares)


def check_not_copies(images, dataset: str = "mnist", share: float | None = None) -> None:
    """SubmissionError when more than COPY_SHARE_BAR of ``images`` are near copies of banked real images (``share``:
    that share, where it is already known)."""
    share = near_copy_share(images, dataset) if share is None else share
    if share is not None and share > COPY_SHARE_BAR:
        raise SubmissionError(
            f"{share:.0%} of your samples are (near) copies of real training or test images, perhaps shifted by a "
            "pixel or two (an honest generator draws none): generate must draw new images from the trained model, "
            "not return stored ones.")


# Echoes of real images.  Stored real images moved by a fraction of a pixel, blurred, down- and up-sampled or warped
# are new images to the copy bank above, yet each still lies much closer to its original than to any other real image
# once images are seen coarsely (a Gaussian blur of ECHO_SIGMA pixels, then 4 x 4 averages: 49 numbers).  The banks
# hold that coarse form of every training and test image (``coarse``); a sample echoes a real image when its distance
# to the nearest of them is under ECHO_RATIO times its distance to the second nearest.  Measured with
# ``python -m kit.judges --calibrate-echoes --release DIR`` (2,000 real images held out of a bank of the other 68,000;
# 500 banked images changed each way of kit/degradations.py): real images in no bank echo at 0 % (MNIST) and 0.1 %
# (Fashion-MNIST, which holds near-duplicates); the samples the autograder draws from each solution at 0 % (the least
# ratio 0.50); banked images moved by half a pixel at 7 % (MNIST) / 20 % (Fashion), blurred 3 x 3 at 85 / 73 %,
# down-sampled to 14 x 14 and back at 90 %, smoothly warped by up to 0.7 pixels at 19 / 22 %; warped by 1.5 pixels
# 1.0 / 2.6 %, by 2.5 pixels 0.6 / 0.4 % (no longer told apart).  More than ECHO_SHARE_BAR of the samples echoing is
# flagged for the instructor: at 0.1 % per honest sample, 500 samples reach it about once in 70,000 gradings, 1,000
# samples once in 10**8.
ECHO_SIGMA = 2.0
ECHO_RATIO = 0.4
ECHO_SHARE_BAR = 0.01


def coarse(images) -> torch.Tensor:
    """Images (k, 28, 28) seen coarsely, (k, 49): a Gaussian blur (sigma ECHO_SIGMA pixels, zeros beyond the edge),
    then the means of 4 x 4 blocks."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)
    r = int(3 * ECHO_SIGMA + 0.5)
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-t ** 2 / (2 * ECHO_SIGMA ** 2))
    k = k / k.sum()
    x = torch.nn.functional.conv2d(x, k.view(1, 1, 1, -1), padding=(0, r))
    x = torch.nn.functional.conv2d(x, k.view(1, 1, -1, 1), padding=(r, 0))
    return torch.nn.functional.avg_pool2d(x, 4).flatten(1)


def echo_ratios(images, dataset: str = "mnist") -> np.ndarray | None:
    """For each image (k, 28, 28): its coarse distance to the nearest banked real image over that to the second
    nearest (``coarse``, the whole training and test sets); None where the autograder has no coarse bank."""
    copy_bank(dataset)
    banked = _banks.get(dataset + "/coarse")
    if banked is None:
        return None
    rows = coarse(images)
    two = torch.full((len(rows), 2), float("inf"))
    for j in range(0, len(banked), BANK_BLOCK):
        block = banked[j:j + BANK_BLOCK].float()
        step = 2 ** 22 // len(block)
        for i in range(0, len(rows), step):
            near = torch.cdist(rows[i:i + step], block).topk(min(2, len(block)), largest=False).values
            two[i:i + step] = torch.cat([two[i:i + step], near], dim=1).topk(2, largest=False).values
    return (two[:, 0] / two[:, 1].clamp_min(1e-12)).numpy()


def echo_share(images, dataset: str = "mnist") -> float | None:
    """Share of ``images`` that echo one real image (echo_ratios under ECHO_RATIO); None: no coarse bank."""
    ratios = echo_ratios(images, dataset)
    return None if ratios is None or len(ratios) == 0 else float((ratios < ECHO_RATIO).mean())


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


def check_submitted(checkpoint: str) -> None:
    """SubmissionError when the checkpoint the quality questions need is not beside the notebook."""
    if not os.path.exists(checkpoint):
        raise SubmissionError(f"{checkpoint} is not in your submission: export with the notebook's last cell, "
                              "which zips it with the notebook.")


def check_generate_contract(generate, conditional: bool = False, sizes=(1, 64), fresh: int = 16,
                            name: str = "generate") -> None:
    """``generate(n)`` / ``generate(n, c)`` for several n (c also as a numpy integer): checked outputs
    (check_images), fresh noise on every call and, for a conditional generator, an empty array for n = 0.  The calls
    run in the student's kernel (call_in_kernel), in this order; the checks here."""
    if conditional:
        calls = [(n, (n, c)) for n, c in zip(sizes, (0, 9))] + [(7, (7, np.int64(4)))]
    else:
        calls = [(n, (n,)) for n in sizes]
    args = (fresh, 5) if conditional else (fresh,)
    outputs = iter(call_in_kernel(generate, [*calls, (1, args), (None, args), *([(None, (0, 3))] * conditional)]))

    def output():  # the next call's value; the calls stop at the first exception, which is raised in turn
        out = next(outputs)
        if isinstance(out, Exception):
            raise out
        return out

    for _, call in calls:
        check_images(output(), call[0], name)
    a = check_images(output(), fresh, name)
    b = output()
    if np.allclose(a, np.asarray(b, dtype=np.float64)):
        if np.ptp(np.asarray(a).reshape(len(a), -1), axis=1).max() < 1e-6:
            raise SubmissionError(f"{name} returns blank images (every pixel of each image the same value, "
                                  f"{float(np.asarray(a).mean()):.2f} on average), whatever the noise: the model or "
                                  "the sampler diverges or saturates; check the steps that turn noise into an image.")
        raise SubmissionError(f"two calls of {name} returned the same images: draw fresh noise on every call.")
    if conditional:
        x = output()
        if not (isinstance(x, np.ndarray) and x.shape == (0, 28, 28) and x.dtype == np.float32):
            got = (f"a {x.dtype} array of shape {x.shape}" if isinstance(x, np.ndarray)
                   else f"a {type(x).__name__}")
            raise SubmissionError(f"{name}(0, 3) returned {got}; it should return an empty float32 numpy array "
                                  "of shape (0, 28, 28).")


def check_rejects_non_classes(generate, n: int = 4, name: str = "generate") -> None:
    """``generate(n, c)`` must raise ValueError for every c that is not an integer class 0..9."""
    bad_classes = (10, -1, 2.5, "3", None)
    outputs = call_in_kernel(generate, [(0, (n, bad)) for bad in bad_classes], keep_going=True)
    for bad, out in zip(bad_classes, outputs):
        if isinstance(out, ValueError):
            continue
        if isinstance(out, Exception):
            raise SubmissionError(f"{name}({n}, {bad!r}) raised {type(out).__name__}; raise a ValueError that says "
                                  "c must be an integer from 0 to 9.") from None
        raise SubmissionError(f"{name}({n}, {bad!r}) returned images; it should raise a ValueError "
                              "(c must be an integer from 0 to 9).")


# --------------------------------------------------------------------------
# Realism: how close the samples are to the real data, measured two ways that a fooling image does not pass.
# --------------------------------------------------------------------------
# realism_<dataset>.pt (written by `python -m kit.judges`): the mean and covariance of the hidden judge's features
# (HiddenJudgeNet.embed) over the real test set, the Frechet distance of REALISM_FLOOR_IMAGES real training images
# to them (the floor: the median over REALISM_FLOOR_SETS disjoint such sets, genkit.frechet_floor), and the share of
# real training images whose nearest banked neighbours carry their label.
REALISM_FLOOR_IMAGES = 1000
REALISM_FLOOR_SETS = 20
KNN = 5
# Brightness: the samples' mean pixel value over the real test set's.  Measured: the references 0.95 (DCGAN) to
# 1.26 (diffusion, guidance w = 3 draws bold strokes); the cWGAN-GP reference with clamp(0, 1) in place of
# (x + 1) / 2, 0.53 (which its Frechet distance and label accuracy do not catch: 41 and 83 % of the real-data
# accuracy); a sigmoid over tanh outputs lifts the black background to 0.27, about 2.5 on MNIST.
BRIGHTNESS_BARS = (0.65, 1.6)
# Coverage (genkit.class_coverage): the spread of each class's samples in the hidden judge's features over that of the
# real test images of the class (realism_<dataset>.pt's "class_trace"), for the class asked for (conditional models)
# or the class the judge reads (the others; classes with fewer than COVERAGE_MIN_SAMPLES samples are left out).
# Measured on the samples the autograder draws (python -m kit.build --results, extra_data): real MNIST training images
# 0.82 at the least; the references' least covered class 0.23 (cWGAN-GP, whose classes each show few styles) to 1.7
# (DCGAN); one image per class, each copy shifted by up to a pixel at random (a pixel spread that looks varied), 0.03
# to 0.08; the same image repeated, or an untrained generator, about 0.  The bar sits at half the lowest reference.
COVERAGE_BAR = 0.12
COVERAGE_MIN_SAMPLES = 20
_realism: dict = {}


def clear_realism() -> None:
    """Forget the loaded banks and realism statistics (kit.judges writes them anew)."""
    _realism.clear()
    _banks.clear()


def realism_stats(dataset: str) -> dict:
    """The real-data statistics of ``dataset`` for realism_figures (loaded once)."""
    if dataset not in _realism:
        _realism[dataset] = {k: (v.double().numpy() if isinstance(v, torch.Tensor) else v)
                             for k, v in torch.load(data_file(f"realism_{dataset}.pt"), weights_only=True).items()}
    return _realism[dataset]


def judge_features(images, dataset: str = "mnist") -> np.ndarray:
    """The hidden judge's features (k, 128), float64, of images (k, 28, 28) in [0, 1]."""
    judge = hidden_judge(dataset)
    judge.eval()
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)
    with torch.no_grad():
        return torch.cat([judge.embed(x[i:i + 100]) for i in range(0, len(x), 100)]).double().numpy()


def fd_ratio(images, dataset: str = "mnist") -> float:
    """Frechet distance of ``images`` to the real test set in the hidden judge's features, over the floor (the same
    distance for 1000 real training images, the median of 20 such sets): 1 is as real as real data; fooling images
    and noise score hundreds."""
    stats = realism_stats(dataset)
    f = judge_features(images, dataset)
    return genkit.frechet_distance(f.mean(0), np.cov(f, rowvar=False), stats["mean"], stats["cov"]) / stats["floor"]


def class_coverage(images, classes, dataset: str = "mnist") -> list:
    """Per-class coverage of ``images`` (k, 28, 28) of classes ``classes`` (k,) in the hidden judge's features
    (genkit.class_coverage against the real test set's per-class spread): about 1 as varied as real images, near 0
    one style per class; None for a class with fewer than COVERAGE_MIN_SAMPLES samples."""
    return genkit.class_coverage(judge_features(images, dataset), classes, realism_stats(dataset)["class_trace"],
                                 COVERAGE_MIN_SAMPLES)


def knn_labels(images, dataset: str = "mnist", k: int = KNN) -> np.ndarray:
    """The label most common among the k nearest banked real images (projected pixels, as the copy check): a judge
    with no gradient to follow, whose bank the kernel never sees."""
    projection, banked = copy_bank(dataset)
    labels = _banks[dataset + "/labels"]
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 784) @ projection
    nearest = torch.cat([torch.cdist(x[i:i + 512], banked).topk(k, largest=False).indices
                         for i in range(0, len(x), 512)])
    return torch.mode(labels[nearest], dim=1).values.numpy()


def agreement(images, labels, dataset: str = "mnist") -> float:
    """Share of ``images`` whose nearest-neighbour label (knn_labels) is ``labels``, over the same share for real
    images (1: agrees as often as on real data)."""
    return float(np.mean(knn_labels(images, dataset) == np.asarray(labels))) / realism_stats(dataset)["knn_accuracy"]


# --------------------------------------------------------------------------
# Judged samples: drawn in the kernel, judged outside it (verdicts.py runs the tests in otter's process).
# --------------------------------------------------------------------------
SAMPLE_CHUNK = 250  # the most images one call of an unconditional generate(n) is asked for


# --------------------------------------------------------------------------
# Provenance: the judged samples come from the network that was submitted
# --------------------------------------------------------------------------
# No check of samples alone tells real images, shifted by a fraction of a pixel, blurred or warped, from a good
# generator. So the autograder draws the judged samples itself, through the submitted network: it reads the checkpoint
# with its own loader (submitted_weights: the weights and a history of numbers, nothing else), loads the weights into
# the notebook's own model class in the kernel and samples with its own noise, labels and sampler (Network,
# network_samples). The student's generate is still drawn from: its samples must match the network's (MATCH_BAR, the
# Frechet distance between the two sets over the real-data floor), and the network's images must change when its
# parameters do (DEPENDENCE_BAR: mean absolute change of a pixel when each parameter tensor gets Gaussian noise of half
# its mean size, PERTURB).  Measured on the solutions' networks (the samples the autograder grades): generate against
# the network 0 (the same seeds draw the same noise in both; two independent draws of one network: 0.2 for the CGAN's
# 2000 samples, 1.6 for the DCGAN's 1000), the CGAN's generate at temperature 0.6 / 0.7 / 1.0 / 1.2 against the
# network at the notebook's 0.8: 1.2 / 0.5 / 1.5 / 5.5, the DCGAN's at 0.8 against 1.0: 2.1; real training digits
# against the trained CGAN 1.4 (served beside a good network, they cost nothing: the network's samples are judged), and
# against an untrained network hundreds.  A pixel moves under the perturbation by 0.044 (VAE), 0.055 (DCGAN), 0.074
# (cWGAN-GP), 0.085 (CGAN) and 0.19 (diffusion) on average; a model whose output ignores its parameters by 0.
MATCH_BAR = 10.0
# generate(n, c) must draw class c as often as the network does when the autograder asks it for c: its label accuracy
# (hidden judge, on the matched samples) at most LABEL_GAP under the network's.  The solutions: the same images, no
# gap; a generate that ignores c, measured: 10 % against 99 % (CGAN) and 88 % (cWGAN-GP).
LABEL_GAP = 0.2
MATCH_SHARE = 0.25  # of the judged samples drawn again by generate (its samples are matched with the network's)
DEPENDENCE_BAR = 0.01
PERTURB = 0.5
CHECKPOINT_BYTES = 256 * 2**20


@dataclass(frozen=True)
class Network:
    """How the autograder samples the submitted network itself: ``cls``, the notebook's model class (``init``: its
    keyword arguments, as pairs); ``kind`` "tanh" (images (model(z) + 1) / 2, or model(z, labels) for a per-class draw,
    z ~ N(0, temperature^2 I) of z_dim), "decode" (model.decode(z), z ~ N(0, I)) or "ddim" (the lab's DDIM sampler,
    ``steps`` steps, classifier-free guidance ``guidance``, around the noise predictor model(x, t, labels)).
    ``z_dim``, ``temperature``, ``steps``, ``guidance``: numbers, or the names of the notebook's constants (a name the
    notebook lacks falls back to the model's z_dim / latent_dim attribute, 1, 10 and 0)."""
    cls: str
    kind: str
    z_dim: object = None
    temperature: object = 1.0
    steps: object = 10
    guidance: object = 0.0
    init: tuple = ()


def network_samples(cls, state, kind, calls, z_dim, temperature, steps, guidance, init, perturb):
    """In the student's kernel: the notebook's class ``cls`` with the weights ``state`` (read by the autograder's own
    loader), sampled with the autograder's noise for each (seed, n, class or None) of ``calls`` (Network); then the
    first call again with every parameter tensor perturbed by Gaussian noise of ``perturb`` times its mean size.
    Returns (one (n, 28, 28) tensor per call, the perturbed one)."""
    import torch

    model = cls(**dict(init))
    model.load_state_dict(state, strict=True)
    model.eval()
    z_dim = z_dim if isinstance(z_dim, int) else getattr(model, "z_dim", None) or getattr(model, "latent_dim", None)
    temperature = 1.0 if temperature is None else float(temperature)
    steps = 10 if steps is None else int(steps)
    guidance = 0.0 if guidance is None else float(guidance)

    def sample(seed, n, c):
        g = torch.Generator().manual_seed(seed)
        labels = None if c is None else torch.full((n,), int(c), dtype=torch.long)
        if kind == "tanh":
            z = temperature * torch.randn(n, int(z_dim), generator=g)
            x = ((model(z) if labels is None else model(z, labels)) + 1) / 2
        elif kind == "decode":
            x = model.decode(torch.randn(n, int(z_dim), generator=g))
        else:  # "ddim": guided DDIM on the linear schedule of the lab (T = 1000, betas 1e-4 to 0.02), null class 10
            ab = torch.cumprod(1 - torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64), 0).float()
            x = torch.randn(n, 1, 28, 28, generator=g)
            ts = torch.linspace(999, 0, steps).round().long().tolist()
            null = torch.full((n,), 10, dtype=torch.long)
            for i, t in enumerate(ts):
                s = ts[i + 1] if i + 1 < len(ts) else -1
                tt = torch.full((n,), t, dtype=torch.long)
                eps = (1 + guidance) * model(x, tt, labels) - guidance * model(x, tt, null)
                x0 = (x - (1 - ab[t]).sqrt() * eps) / ab[t].sqrt()
                a_s = ab[s] if s >= 0 else torch.tensor(1.0)
                x = a_s.sqrt() * x0 + (1 - a_s).sqrt() * eps
            x = (x.clamp(-1, 1) + 1) / 2
        return x.reshape(n, 28, 28).float()

    with torch.no_grad():
        out = [sample(*call) for call in calls]
        g = torch.Generator().manual_seed(7)
        for p in model.parameters():
            p.add_(perturb * p.abs().mean() * torch.randn(p.shape, generator=g, dtype=p.dtype))
        return out, sample(*calls[0])


def submitted_weights(path: str) -> dict:
    """The weights of a submitted checkpoint, read by the autograder's own loader: the file itself (not a link), a
    torch file of at most CHECKPOINT_BYTES read with weights_only, a dict whose "state_dict" maps names to tensors and
    whose other entries are plain (genkit.plain: numbers, strings, lists and dicts of them).  SubmissionError, in one
    sentence, otherwise."""
    import stat

    how = ("save it with genkit.save_checkpoint, which keeps the weights and a history of numbers (and what else the "
           "notebook plots beside it, in a file you do not hand in)")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        check_submitted(path)
        raise
    except OSError as exc:
        raise SubmissionError(f"{path} could not be read ({exc.strerror}): submit the file itself, not a link.") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > CHECKPOINT_BYTES:
            raise SubmissionError(f"{path} is not a checkpoint of at most {CHECKPOINT_BYTES >> 20} MB: {how}.")
        try:
            blob = torch.load(f, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise SubmissionError(f"{path} could not be read as a checkpoint ({type(exc).__name__}): {how}.") from None
    state = blob.get("state_dict") if isinstance(blob, dict) else None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise SubmissionError(f"{path} holds no state_dict of tensors: {how}.")
    extra = sorted(k for k, v in blob.items() if k != "state_dict" and not genkit.plain(v))
    if extra:
        raise SubmissionError(f"{path} holds more than the model's weights and a history of numbers (in "
                              f"{', '.join(map(str, extra))}); the autograder draws the samples from the network alone: "
                              f"{how}.")
    return state


def draw_network(draw, generate, state) -> tuple:
    """(the samples the autograder drew through the submitted network, the first call's again with its parameters
    perturbed) for ``draw`` (network_samples, in the student's kernel: ``generate`` stands for the notebook there)."""
    net = draw.network
    name = type(generate)  # the autograder's stand-in for a notebook name (gradeguard.Remote)
    remote = generate.kit_remote

    def notebook(value):
        return name(value, remote) if isinstance(value, str) else value

    calls = [(seed, args[0], args[1] if len(args) > 1 else None) for seed, args in draw.calls()]
    out, changed = genkit.in_kernel(network_samples, name(net.cls, remote), state, net.kind, calls,
                                    notebook(net.z_dim), notebook(net.temperature), notebook(net.steps),
                                    notebook(net.guidance), list(net.init), PERTURB)
    what = f"your {net.cls}, sampled by the autograder,"
    images = [check_images(x.numpy() if isinstance(x, torch.Tensor) and x.device.type == "cpu" else x, n, what)
              for x, (_, n, _) in zip(out, calls)]
    changed = check_images(changed.numpy() if isinstance(changed, torch.Tensor) else changed, calls[0][1], what)
    return np.concatenate(images).astype(np.float32), changed.astype(np.float32)


def sample_match(a, b, dataset: str = "mnist") -> float:
    """The Frechet distance between two sets of samples in the hidden judge's features, over the real-data floor: about
    1 for two draws of one model, hundreds for a model and images that do not come from it."""
    fa, fb = judge_features(a, dataset), judge_features(b, dataset)
    return genkit.frechet_distance(fa.mean(0), np.cov(fa, rowvar=False), fb.mean(0), np.cov(fb, rowvar=False)) \
        / realism_stats(dataset)["floor"]


@dataclass(frozen=True)
class Draw:
    """The samples of one model that the autograder judges: ``n`` images from ``func(n)``, or ``per_class`` images
    of each class c from ``func(per_class, c)``, under fixed seeds; ``checkpoint`` must be in the submission.
    ``fd_bar``: the highest fd_ratio that passes; ``agreement_bar``: the lowest agreement that passes;
    ``review_below``: an fd_ratio under which the samples are flagged for the instructor (review_note), 0 for none;
    ``network``: how the autograder samples the submitted network itself (the judged samples then come from it, and
    generate's must match them); ``max_parameters``: more parameters and buffers than this in the checkpoint are
    flagged for the instructor (0: no bound)."""
    name: str
    dataset: str
    checkpoint: str
    fd_bar: float
    agreement_bar: float
    n: int = 0
    per_class: int = 0
    func: str = "generate"
    seed: int = 0
    review_below: float = 0.0
    network: Network | None = None
    max_parameters: int = 0

    @property
    def count(self) -> int:
        return self.per_class * 10 if self.per_class else self.n

    @property
    def assets(self) -> list[str]:
        """The autograder's files this draw is judged with, which no student code may read (verdicts.py deletes
        them from the disk once preload has read them)."""
        return [f"judge_{self.dataset}_hidden.pt", f"copybank_{self.dataset}.pt", f"realism_{self.dataset}.pt"]

    def preload(self) -> None:
        """Load what figures() needs into memory (verdicts.py calls it before any student code runs)."""
        hidden_judge(self.dataset)
        copy_bank(self.dataset)
        realism_stats(self.dataset)

    def figures(self, images) -> dict:
        return draw_figures(self, images)

    def calls(self) -> list:
        """(seed, args) of each call of ``func`` that draws the samples: ``per_class`` images of each class, or ``n``
        images in calls of at most SAMPLE_CHUNK (the autograder's kernel has a few hundred MB to spare, and a
        convolutional generator's activations for 1000 images at once take more)."""
        if self.per_class:
            return [(self.seed + c, (self.per_class, c)) for c in range(10)]
        return [(self.seed + i, (min(SAMPLE_CHUNK, self.n - i),)) for i in range(0, self.n, SAMPLE_CHUNK)]

    def run(self, generate, calls: list | None = None) -> np.ndarray:
        """The samples (count, 28, 28), float32, drawn where ``generate`` lives and checked with check_images
        (SubmissionError on a bad output); ``calls``: other calls than ``calls()``."""
        parts = sample_all(generate, self.calls() if calls is None else calls, self.func)
        return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, 28, 28), np.float32)

    def match_calls(self) -> list:
        """The calls of ``func`` whose samples are matched with the network's where the autograder draws through it: the
        first MATCH_SHARE of each call's images, at least 25 (the same seeds draw the same noise, so generate's images
        are the network's first images of each call)."""
        return [(seed, (max(int(args[0] * MATCH_SHARE), min(args[0], 25)), *args[1:])) for seed, args in self.calls()]


@dataclass(frozen=True)
class Judged:
    """One judged test: ``kind`` is "inception_score" (>= bar), "every_class_drawn", "label_accuracy" (>= bar; with
    ``of_real`` as a share of the judge's real-data accuracy) or "every_class_accuracy" (every class >= bar)."""
    draw: Draw
    kind: str
    bar: float = 0.0
    hint: str = ""
    of_real: bool = False

    def check(self, figures: dict) -> None:
        verdict(self, figures)


JUDGED_FIGURES: dict = {}  # model (Draw.name) -> its figures, or {"error": why there are none}, in this grading
JUDGED_SAMPLES: dict = {}  # model -> the samples drawn (the results' grid is drawn from them), or why there are none
# While the student's kernel is alive, verdicts.py sets JUDGE_LATER: judged() then only draws the samples (the kernel is
# needed for that) and raises Deferred; the samples are judged once the kernel is gone (so that the hidden judge's work
# never shares the container's memory with the kernel), by the same test run again.
JUDGE_LATER = False


class Deferred(Exception):
    """judged() while JUDGE_LATER: the samples are drawn, the verdict comes once the kernel is gone."""


def drawn(draw, generate):
    """What ``draw`` judges (once per model and grading: several tests judge the same samples): the samples of
    ``generate``, or, where the draw names its Network and ``generate`` stands for the kernel's, {"generate": its
    samples, "network": the samples the autograder drew through the submitted network, "perturbed": the first call's
    again with the network's parameters perturbed, "parameters": how many numbers the checkpoint's weights hold}; or the
    SubmissionError that says why there are none."""
    if draw.name not in JUDGED_SAMPLES:
        try:
            if draw.checkpoint:
                check_submitted(draw.checkpoint)
            through_network = (getattr(draw, "network", None) is not None
                               and getattr(generate, "kit_remote", None) is not None)
            samples = draw.run(generate, draw.match_calls()) if through_network else draw.run(generate)
            if through_network:
                state = submitted_weights(draw.checkpoint)
                try:
                    network, perturbed = draw_network(draw, generate, state)
                except SubmissionError:
                    raise
                except Exception as exc:
                    raise SubmissionError(f"the autograder could not sample your {draw.network.cls} with the weights "
                                          f"of {draw.checkpoint} ({type(exc).__name__}: {exc}); the class in the "
                                          "notebook must be the one those weights were trained in.") from None
                samples = {"generate": samples, "network": network, "perturbed": perturbed,
                           "parameters": int(sum(t.numel() for t in state.values()))}
            JUDGED_SAMPLES[draw.name] = samples
        except SubmissionError as exc:
            JUDGED_SAMPLES[draw.name] = exc
        except Exception as exc:  # the student's code raised: its own words, and where
            JUDGED_SAMPLES[draw.name] = SubmissionError(f"{draw.func} raised {type(exc).__name__}: {exc}")
    return JUDGED_SAMPLES[draw.name]


def judged_figures(draw, generate) -> dict:
    """The figures of ``draw``'s samples (``drawn``: the network's where the autograder drew through it, with how well
    generate's match them, "match", how much the network's images depend on its parameters, "dependence", and the
    checkpoint's size, "parameters"), or {"error": the sentence that says why there are none}."""
    if draw.name not in JUDGED_FIGURES:
        samples = drawn(draw, generate)
        try:
            if isinstance(samples, Exception):
                raise samples
            if isinstance(samples, dict):
                figures = draw.figures(samples["network"])
                first = samples["perturbed"]
                counts = [args[0] for _, args in draw.calls()]
                starts = np.cumsum([0, *counts[:-1]])
                matched = np.concatenate([samples["network"][s:s + args[0]]
                                          for s, (_, args) in zip(starts, draw.match_calls())])
                if draw.per_class:  # the classes generate was asked for: does it draw them, as the network does?
                    asked = np.concatenate([np.full(args[0], args[1]) for _, args in draw.match_calls()])
                    read = genkit.predict(hidden_judge(draw.dataset), samples["generate"]).argmax(1)
                    figures["generate_label_accuracy"] = float((np.asarray(read) == asked).mean())
                figures.update(match=sample_match(samples["generate"], matched, draw.dataset),
                               generate_brightness=float(samples["generate"].mean()) / max(float(matched.mean()), 1e-6),
                               dependence=float(np.abs(samples["network"][:len(first)] - first).mean()),
                               parameters=samples["parameters"])
            else:
                figures = draw.figures(samples)
            JUDGED_FIGURES[draw.name] = figures
        except SubmissionError as exc:
            JUDGED_FIGURES[draw.name] = {"error": str(exc)}
    return JUDGED_FIGURES[draw.name]


def judged(spec, generate) -> None:
    """A judged test: draw ``spec.draw``'s samples with the student's ``generate`` (or attack: any function the draw's
    ``run`` calls; in the student's kernel at grading) and judge them here (``spec.check``).  SubmissionError, with
    one paragraph a student can act on, when they fail; Deferred while JUDGE_LATER."""
    if JUDGE_LATER:
        drawn(spec.draw, generate)
        raise Deferred(spec.draw.name)
    figures = judged_figures(spec.draw, generate)
    if "error" in figures:
        raise SubmissionError(figures["error"])
    spec.check(figures)


def measure(draw, generate) -> dict:
    """The figures of ``draw`` drawn from ``generate`` in this process (the benchmark judges as the autograder)."""
    return draw.figures(draw.run(generate))


def draw_figures(draw: Draw, images) -> dict:
    """Every figure the autograder reports for one model's samples: variety, copies, realism and the hidden judge's
    verdicts (label accuracy per class for a conditional model, Inception Score and class counts otherwise)."""
    images = check_images(images, draw.count, draw.func)
    names = genkit.CLASS_NAMES[draw.dataset]
    probs = genkit.predict(hidden_judge(draw.dataset), images)
    read = probs.argmax(1).numpy()
    figures = {"samples": draw.count, "spread": spread(images), "copies": near_copy_share(images, draw.dataset),
               "echoes": echo_share(images, draw.dataset),
               "fd_ratio": fd_ratio(images, draw.dataset),
               "brightness": float(images.mean()) / realism_stats(draw.dataset)["pixel_mean"]}
    if draw.per_class:
        asked = np.repeat(np.arange(10), draw.per_class)
        confusion = np.stack([np.bincount(read[asked == c], minlength=10) for c in range(10)])
        per = np.diag(confusion) / draw.per_class
        figures.update(label_accuracy=float(per.mean()), per_class=[float(a) for a in per],
                       confusion=confusion.tolist(), agreement=agreement(images, asked, draw.dataset),
                       coverage=class_coverage(images, asked, draw.dataset),
                       class_spread=[spread(images[asked == c]) for c in range(10)],
                       judge_real_accuracy=judge_real_accuracy(draw.dataset))
    else:
        # the spread within each call's images: a generate(n) that returns one image per call is caught however
        # many calls the draw makes
        figures["spread"] = min(spread(images[i:i + SAMPLE_CHUNK]) for i in range(0, draw.count, SAMPLE_CHUNK))
        report = genkit.judge_report(images, judge=hidden_judge(draw.dataset))
        figures.update(inception_score=float(report["inception_score"]),
                       confident_share=float(report["confident_share"]),
                       class_counts=[int(c) for c in report["class_counts"]],
                       agreement=agreement(images, read, draw.dataset),
                       coverage=class_coverage(images, read, draw.dataset))
    covered = [c for c in figures["coverage"] if c is not None]
    figures["coverage_min"] = min(covered) if covered else None
    figures["classes"] = names
    return figures


# Real images, deformed (a random affine map or an elastic distortion per image), are new images to the copy bank
# and lie 3-12 times the floor from real data (mild affine maps, elastic distortions): they pass every check above in
# every lab but where the copy bank still recognises some (README, "Deformed real images").  No
# sample-based check can tell them from a generator that good, so where the course's recipe stays far from real data
# (Draw.review_below, set per model between the two from measurement) samples that close to it are flagged for a
# person to read generate; no point is taken.
FLAG_MARK = "Flagged for the instructor:"  # gradeguard.TAMPER_MARK: kit.classgrade lists these lines as flags


def review_note(draw: Draw, figures: dict) -> str | None:
    """Lines for the instructor when ``figures`` (draw_figures) are closer to real data than ``draw.review_below``,
    when more than ECHO_SHARE_BAR of the samples echo a real image, or when the checkpoint's weights hold more numbers
    than ``draw.max_parameters``; else None."""
    notes = []
    size, bound = figures.get("parameters"), getattr(draw, "max_parameters", 0)
    if bound and isinstance(size, int) and size > bound:
        notes.append(f"{FLAG_MARK} the weights in {draw.checkpoint} hold {size:,} numbers, more than {bound:,} (five "
                     "times what this lab's model needs): data may be stored in the network. An instructor will read "
                     "it; no point is taken for this.")
    echoes = figures.get("echoes")
    if isinstance(echoes, float) and echoes > ECHO_SHARE_BAR:
        notes.append(f"{FLAG_MARK} {echoes:.1%} of the samples of {draw.func} ({draw.name}) each lie far closer to one "
                     "real training or test image than to any other (seen coarsely), as stored real images moved by a "
                     "fraction of a pixel, blurred or warped do; honest generators: about 1 sample in 1,000 at most. "
                     "An instructor will read how the network makes its images; no point is taken for this.")
    fd, below = figures.get("fd_ratio"), getattr(draw, "review_below", 0)  # the attack lab's draws have none
    if below and isinstance(fd, (int, float)) and fd < below:
        notes.append(f"{FLAG_MARK} the samples of {draw.func} ({draw.name}) lie {fd:.1f} times the real-data floor from "
                     f"real images, closer than this lab's recipe gets in its budget (flagged under {below:g}) and as "
                     "close as stored real images deformed by a random affine map or an elastic distortion, which the "
                     "copy check cannot recognise. An instructor will read how generate makes its images; no point is "
                     "taken for this.")
    return "\n".join(notes) or None


def verdict(spec: Judged, figures: dict) -> None:
    """SubmissionError (one paragraph a student can act on) unless ``figures`` (draw_figures) pass ``spec``.
    In order: generate's samples match the network's (and, for a conditional model, draw the classes asked for as
    often as the network does: LABEL_GAP), variety, no copies, the Frechet-distance realism bar (before
    brightness: noise and fooling images are told what they are, not to remap tanh outputs), brightness, per-class
    coverage (COVERAGE_BAR),
    the test's own measure, and last
    the second judge's agreement (so that an honest mistake, such as a generator that ignores its label, is told
    by the per-class table), and last that the network's images depend on its parameters (an untrained network's
    barely do, and is told what is wrong with its samples first)."""
    draw, f = spec.draw, figures
    what = f"the {f['samples']} samples of {draw.func}"
    if f.get("match") is not None and f["match"] > MATCH_BAR:
        tone = f.get("generate_brightness", 1.0)
        shade = (f" ({draw.func}'s are {'darker' if tone < 1 else 'brighter'} than your network's images: their mean "
                 f"pixel value is {tone:.2f} times theirs)" if abs(tone - 1) > 0.15 else "")
        raise SubmissionError(
            f"the samples of {draw.func} are not those of your {draw.network.cls}: drawn through the network with the "
            f"weights of {draw.checkpoint}, the autograder's samples lie {f['match']:.0f} times the real-data floor "
            f"from those of {draw.func}{shade} (two draws of one network: about 1; the bar is {MATCH_BAR:g}). "
            f"{draw.func} must sample the trained network as the notebook says: fresh noise through it, the notebook's "
            "sampler (check each of its steps), its output mapped to [0, 1] ((x + 1) / 2 for tanh outputs), nothing "
            "else.")
    if f.get("generate_label_accuracy") is not None and f["generate_label_accuracy"] < f["label_accuracy"] - LABEL_GAP:
        raise SubmissionError(
            f"{draw.func}(n, c) does not draw the class it is asked for: the hidden judge reads "
            f"{f['generate_label_accuracy']:.0%} of its images as class c, against {f['label_accuracy']:.0%} of the "
            f"images of your {draw.network.cls} drawn with the same classes (the bar: at most {LABEL_GAP:.0%} "
            f"fewer). Pass labels = c (a tensor of n copies of it) to the generator in {draw.func}.")
    if draw.per_class:
        for c, value in enumerate(f["class_spread"]):
            check_variety(None, VARIETY_BARS["per_class"], f"the samples of class {f['classes'][c]}", value)
    check_variety(None, VARIETY_BARS["overall"], what, f["spread"])
    check_not_copies(None, draw.dataset, share=f["copies"])
    if f["fd_ratio"] > draw.fd_bar:
        raise SubmissionError(
            f"{what} are far from real images: their Frechet distance to the real test set, in the hidden judge's "
            f"features, is {f['fd_ratio']:.0f} times that of real images (the bar is {draw.fd_bar:g}). Images "
            "optimised to fool a classifier, noise, and broken contrast or range (map tanh outputs with "
            "(x + 1) / 2) score hundreds; train the model and sample from it.")
    low, high = BRIGHTNESS_BARS
    if not low <= f["brightness"] <= high:
        raise SubmissionError(
            f"{what} are {'darker' if f['brightness'] < low else 'brighter'} than real images: their mean pixel "
            f"value is {f['brightness']:.2f} times that of the real test set (honest generators: {low} to {high}). "
            "Check the steps that turn the model's output into pixels: map tanh outputs from [-1, 1] to [0, 1] "
            "with (x + 1) / 2 (clamp(0, 1) turns every value below 0 black, and a sigmoid turns the black "
            "background grey); a sampler that diverges or saturates shifts the brightness too.")
    if f.get("coverage_min") is not None and f["coverage_min"] < COVERAGE_BAR:
        worst = int(np.argmin([np.inf if c is None else c for c in f["coverage"]]))
        which = (f"of class {f['classes'][worst]}" if draw.per_class
                 else f"the hidden judge reads as {f['classes'][worst]}")
        raise SubmissionError(
            f"the samples {which} barely vary: in the hidden judge's features they spread over "
            f"{f['coverage_min']:.0%} of the range real images of that class cover (the bar is {COVERAGE_BAR:.0%}; "
            "honest generators 23 % or more). The generator draws one style per class (shifting an image by a "
            "pixel does not make a new one): sample fresh noise for every image and train the model, without "
            "truncating z to almost nothing.")
    if spec.kind == "inception_score" and f["inception_score"] < spec.bar:
        raise SubmissionError(
            f"judge score (Inception Score with the hidden judge) of {what}: {f['inception_score']:.2f}, below the "
            f"bar {spec.bar}; {f['confident_share']:.0%} are clear images, samples per class: {f['class_counts']}. "
            f"{spec.hint}")
    if spec.kind == "every_class_drawn":
        missing = [f["classes"][c] for c in range(10) if f["class_counts"][c] == 0]
        if missing:
            raise SubmissionError(f"among {what} the hidden judge finds no {', '.join(missing)} (samples per class: "
                                  f"{f['class_counts']}): the generator has collapsed onto some classes.")
    if spec.kind in ("label_accuracy", "every_class_accuracy"):
        per, confusion = np.array(f["per_class"]), np.array(f["confusion"])
        table = (f"Per class ({draw.per_class} samples each):\n"
                 f"{explain_label_accuracy(per, confusion, draw.dataset)}")
        overall = f["label_accuracy"]
        if spec.kind == "label_accuracy" and spec.of_real:
            real = f["judge_real_accuracy"]
            if overall / real < spec.bar:
                raise SubmissionError(
                    f"the hidden judge reads {overall:.1%} of your samples as the class you asked for, "
                    f"{overall / real:.0%} of its accuracy on real test images ({real:.1%}); the bar is "
                    f"{spec.bar:.0%}. {table}\n{spec.hint}")
        elif spec.kind == "label_accuracy" and overall < spec.bar:
            raise SubmissionError(f"the hidden judge reads {overall:.1%} of your samples as the class you asked "
                                  f"for; the bar is {spec.bar:.0%}. {table}\n{spec.hint}")
        weak = [f["classes"][c] for c in range(10) if per[c] < spec.bar]
        if spec.kind == "every_class_accuracy" and weak:
            raise SubmissionError(f"the hidden judge reads fewer than {spec.bar:.0%} of the samples of "
                                  f"{', '.join(weak)} as the class asked for. {table}")
    if f["agreement"] < draw.agreement_bar:
        told = "the class asked for" if draw.per_class else "the hidden judge's label"
        raise SubmissionError(
            f"a second judge (nearest real images) agrees with {told} on only {f['agreement']:.0%} of {what}, "
            f"relative to real images (the bar is {draw.agreement_bar:.0%}): the samples do not look like the "
            "class a classifier reads in them. Images optimised against a classifier fail here; train the model.")
    if f.get("dependence") is not None and f["dependence"] < DEPENDENCE_BAR:
        raise SubmissionError(
            f"the images your {draw.network.cls} makes barely change when its parameters do (a pixel moves by "
            f"{f['dependence']:.3f} on average, honest networks 0.04 or more): the images must come from the trained "
            "network's computation, not from data stored in it or beside it.")
