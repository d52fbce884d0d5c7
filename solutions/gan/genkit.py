"""genkit: the support code every lab of the course kit shares.

Students get this file with each notebook; the autograder gets it too.  It holds
what is not the point of any lab: choosing a device, loading MNIST and
Fashion-MNIST, saving and loading checkpoints, plotting sample grids and loss
curves, and the *public* judge classifier students may use to check their
generators.

torchvision and matplotlib are imported only inside the functions that need
them, so that grading (which needs neither) stays small in memory.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# Device
# --------------------------------------------------------------------------


def get_device(verbose: bool = True) -> torch.device:
    """The fastest device this machine has: a CUDA GPU (Colab), Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if verbose:
        name = torch.cuda.get_device_name(0) if device.type == "cuda" else device.type
        print(f"Using device: {name}")
    return device


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------

DATASETS = ("mnist", "fashion")
CLASS_NAMES = {
    "mnist": [str(d) for d in range(10)],
    "fashion": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
}


def data_dir() -> str:
    """Where datasets live: $DATA_DIR if set (an offline copy), else ./data (downloaded on first use)."""
    return os.environ.get("DATA_DIR") or str(Path.cwd() / "data")


def load_dataset(name: str = "mnist", train: bool = True):
    """MNIST or Fashion-MNIST as a torchvision dataset of (1x28x28 float image in [0, 1], int label).

    With $DATA_DIR set the files are read from there and nothing is downloaded.
    """
    import torchvision
    from torchvision import transforms

    classes = {"mnist": torchvision.datasets.MNIST, "fashion": torchvision.datasets.FashionMNIST}
    if name not in classes:
        raise ValueError(f"unknown dataset {name!r}; choose one of {DATASETS}")
    offline = bool(os.environ.get("DATA_DIR"))
    return classes[name](data_dir(), train=train, download=not offline,
                         transform=transforms.ToTensor())


def load_tensors(name: str = "mnist", train: bool = True):
    """The whole dataset as two tensors: images (N, 1, 28, 28) float32 in [0, 1] and labels (N,) int64.

    Faster than a DataLoader for these small datasets: one tensor, sliced into batches.
    """
    ds = load_dataset(name, train)
    images = ds.data.unsqueeze(1).float().div_(255.0)
    return images, ds.targets.clone().long()


def batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int, generator=None):
    """Yield (images, labels) minibatches forever, reshuffling after each pass (an infinite sampler)."""
    n = len(images)
    while True:
        order = torch.randperm(n, generator=generator)
        for start in range(0, n - batch_size + 1, batch_size):
            idx = order[start:start + batch_size]
            yield images[idx], labels[idx]


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------


class CheckpointError(RuntimeError):
    """A checkpoint that is missing or does not fit the model: the message says what to do."""


def plain(value) -> bool:
    """Numbers, strings, None, and lists and dicts of them (a loss history): what a checkpoint may hold beside the
    weights (the autograder refuses anything else in a submitted one)."""
    if value is None or type(value) in (bool, int, float, str):
        return True
    if isinstance(value, (list, tuple)):
        return all(plain(v) for v in value)
    if isinstance(value, dict):
        return all(type(k) in (str, int) and plain(v) for k, v in value.items())
    return False


_NOTHING = object()


def _split(value):
    """(what of ``value`` is plain, the rest), recursing into dicts; _NOTHING where a part is empty."""
    if plain(value):
        return value, _NOTHING
    if isinstance(value, dict):
        parts = {k: _split(v) for k, v in value.items()}
        kept = {k: p for k, (p, _) in parts.items() if p is not _NOTHING}
        rest = {k: r for k, (_, r) in parts.items() if r is not _NOTHING}
        return kept or _NOTHING, rest or _NOTHING
    return _NOTHING, value


def sidecar(path) -> Path:
    """Where save_checkpoint keeps what is not plain (sample grids, say): ``name.extra.pt`` beside ``name.pt``.
    It stays with the notebook: it is not handed in."""
    path = Path(path)
    return path.with_name(path.stem + ".extra" + path.suffix)


def save_checkpoint(path, model: nn.Module, **extra) -> None:
    """Save ``model``'s weights (moved to the CPU) and any extra data: numbers, strings and lists or dicts of them (a
    loss history; a ``train_seconds`` entry is printed) in ``path``, what is not plain (tensors, such as sample grids)
    in its sidecar file (``sidecar``), which load_checkpoint reads back too."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    kept, rest = _split(extra)
    torch.save({"state_dict": state, **(kept if kept is not _NOTHING else {})}, path)
    if rest is not _NOTHING:
        torch.save(rest, sidecar(path))
    else:
        sidecar(path).unlink(missing_ok=True)
    size = Path(path).stat().st_size / 1e6
    took = f", trained in {extra['train_seconds']:.0f} s" if "train_seconds" in extra else ""
    print(f"saved {path} ({size:.1f} MB{took})")


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out


def print_loaded(path, extra: dict) -> None:
    """Say that ``path`` was loaded instead of trained, and how long its training took (if it was recorded)."""
    took = (f"trained in {extra['train_seconds']:.0f} s" if "train_seconds" in extra
            else "its training time was not recorded")
    print(f"loaded {path} ({took}); set RETRAIN = True to train again")


def load_checkpoint(path, model: nn.Module) -> dict:
    """Load weights saved by :func:`save_checkpoint` into ``model``; return the extra data saved with them (its sidecar
    file's too, where there is one).

    Raises CheckpointError with a plain explanation when the file is missing or
    was saved from a different architecture.  The model is put in eval mode either way, so that code
    that samples from it still runs (with untrained weights) when the checkpoint cannot be loaded.
    """
    model.eval()
    path = Path(path)
    if not path.exists():
        raise CheckpointError(
            f"checkpoint '{path}' not found. Run the training cell (it saves this file), "
            f"then submit '{path.name}' together with your notebook.")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated or not a torch file
        raise CheckpointError(f"checkpoint '{path}' could not be read ({exc}). Save it again.") from exc
    if not isinstance(blob, dict) or "state_dict" not in blob:
        raise CheckpointError(f"checkpoint '{path}' was not written by genkit.save_checkpoint.")
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(
            f"checkpoint '{path}' does not fit {type(model).__name__}: it was saved from a "
            f"different architecture ({first}). Train again with the current model and save.") from exc
    model.eval()
    extra = {k: v for k, v in blob.items() if k != "state_dict"}
    if sidecar(path).exists():
        try:
            extra = _merge(extra, torch.load(sidecar(path), map_location="cpu", weights_only=True))
        except Exception:
            pass  # the sidecar holds only what the notebook's plots read
    return extra


# --------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------


def show_grid(images, nrow: int = 10, title: str | None = None, ax=None, labels=None):
    """Show a grid of 28x28 images (numpy or torch; (N, 28, 28) or (N, 1, 28, 28); values in [0, 1])."""
    import matplotlib.pyplot as plt
    from torchvision.utils import make_grid

    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(-1, 1, 28, 28)
    grid = make_grid(x.clamp(0, 1), nrow=nrow, padding=2, pad_value=1.0)
    if ax is None:
        cols = min(nrow, len(x))
        _, ax = plt.subplots(figsize=(max(2.0, 0.6 * cols), max(2.0, 0.6 * np.ceil(len(x) / nrow))))
    ax.imshow(grid[0].numpy(), cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_losses(history: dict, title: str = "", ax=None, smooth: int = 50):
    """Plot each list in ``history`` (e.g. {'D': [...], 'G': [...]}) against the iteration, smoothed."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in history.items():
        v = np.asarray(values, dtype=float)
        if len(v) == 0:
            continue
        k = max(1, min(smooth, len(v) // 10))
        ax.plot(np.convolve(v, np.ones(k) / k, mode="valid"), label=name)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    return ax


# --------------------------------------------------------------------------
# Judges: classifiers that tell which digit (or garment) an image shows
# --------------------------------------------------------------------------


class SmallCNN(nn.Module):
    """The public judge: two conv layers and a linear classifier.  Input (N, 1, 28, 28) in [0, 1]; output logits (N, 10)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32x14x14
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 64x7x7
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
            nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.net((x.reshape(-1, 1, 28, 28) - 0.5) / 0.5)


def as_image_batch(images) -> torch.Tensor:
    """Turn (N, 28, 28) or (N, 1, 28, 28) numpy/torch images into a float32 CPU tensor (N, 1, 28, 28)."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    return x.reshape(-1, 1, 28, 28)


@torch.no_grad()
def predict(judge: nn.Module, images, batch_size: int = 100):
    """Class probabilities (N, 10) that ``judge`` gives to ``images`` ((N, 28, 28), values in [0, 1])."""
    x = as_image_batch(images)
    judge.eval()
    return torch.cat([judge(x[i:i + batch_size]).softmax(1) for i in range(0, len(x), batch_size)])


def public_judge(dataset: str = "mnist") -> nn.Module:
    """The public judge for ``dataset`` ('mnist' or 'fashion'), loaded from judge_<dataset>_public.pt."""
    judge = SmallCNN()
    load_checkpoint(HERE / f"judge_{dataset}_public.pt", judge)
    return judge


def inception_score(probs: torch.Tensor) -> float:
    """The Inception Score of class probabilities ``probs`` (N, K): exp(E_x KL(p(y|x) || p(y))).

    High when each image is classified confidently (p(y|x) peaked) *and* the classes are diverse
    (p(y) spread): 1 for a generator that always draws the same digit, at most K (here 10).
    """
    p = torch.as_tensor(probs, dtype=torch.float64)
    p_y = p.mean(0, keepdim=True)
    kl = (p * (p.clamp_min(1e-12).log() - p_y.clamp_min(1e-12).log())).sum(1)
    return float(kl.mean().exp())


def judge_report(images, labels=None, dataset: str = "mnist", judge=None, confidence: float = 0.9) -> dict:
    """What a judge (by default the public one) makes of generated images.

    Returns the Inception Score computed with the judge, the share of images it classifies with
    probability >= ``confidence``, how many images it assigns to each class, and (when the intended
    ``labels`` are given) the share it reads as the intended class.
    """
    judge = judge or public_judge(dataset)
    probs = predict(judge, images)
    conf, pred = probs.max(1)
    report = {"inception_score": inception_score(probs),
              "confident_share": float((conf >= confidence).float().mean()),
              "class_counts": torch.bincount(pred, minlength=10).tolist()}
    if labels is not None:
        report["label_accuracy"] = float((pred == torch.as_tensor(labels)).float().mean())
    return report


def frechet_distance(mean_a, cov_a, mean_b, cov_b) -> float:
    """The Frechet distance between two Gaussians (Heusel et al., 2017, the "FID" formula):
    ||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a^1/2 C_b C_a^1/2)^1/2), with symmetric eigendecompositions only."""
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


@torch.no_grad()
def judge_features(images, judge: nn.Module) -> np.ndarray:
    """The public judge's 128 hidden units (its last layer's input), float64 (N, 128), for images (N, 28, 28)."""
    x = as_image_batch(images)
    judge.eval()
    body = judge.net[:-1]
    return torch.cat([body((x[i:i + 500] - 0.5) / 0.5) for i in range(0, len(x), 500)]).double().numpy()


def frechet_floor(train_features, real, size: int = 1000, sets: int = 20) -> float:
    """The real-data floor of a Frechet distance: the median, over ``sets`` disjoint sets of ``size`` real training
    images (rows of ``train_features``, already shuffled), of their distance to ``real`` (mean, covariance).  One set
    alone is a noisy yardstick: 20 such sets of MNIST range from 0.6 to 2.0 times their median (hidden judge)."""
    chunks = [train_features[i * size:(i + 1) * size] for i in range(min(sets, len(train_features) // size))]
    return float(np.median([frechet_distance(g.mean(0), np.cov(g, rowvar=False), *real) for g in chunks]))


def class_traces(features, classes) -> np.ndarray:
    """The spread of each class in a judge's feature space: the trace of the covariance of the rows of ``features``
    (N, d) whose class is c, for c = 0..9 (NaN for a class with fewer than two rows)."""
    classes = np.asarray(classes)
    return np.array([np.trace(np.cov(features[classes == c], rowvar=False)) if (classes == c).sum() > 1 else np.nan
                     for c in range(10)])


def class_coverage(features, classes, real_traces, min_samples: int = 20) -> list:
    """Per-class coverage: for each class c, the spread of the samples of class c in the judge's features (the trace
    of their covariance, ``class_traces``) over that of real images of class c (``real_traces``).  About 1: as varied
    as real images of the class; near 0: one image, or one style, per class.  None for a class with fewer than
    ``min_samples`` samples."""
    counts = np.bincount(np.asarray(classes), minlength=10)
    ratios = class_traces(features, classes) / np.asarray(real_traces)
    return [float(r) if counts[c] >= min_samples else None for c, r in enumerate(ratios)]


_REAL_STATS: dict = {}


def realism_report(images, dataset: str = "mnist", judge=None) -> float:
    """How far ``images`` (N, 28, 28) are from real ones: the Frechet distance of their judge features (by default
    the public judge's) to the real test set's, divided by the same distance for 1000 real training images (the
    floor, the median of 20 such sets).  1 is as real as real data; noise and images made to fool a classifier
    score in the hundreds.
    Loads the dataset once (as genkit.load_tensors does)."""
    key = (dataset, None if judge is None else id(judge))
    if key in _REAL_STATS:
        judge = _REAL_STATS[key][2]
    judge = judge or public_judge(dataset)
    if key not in _REAL_STATS:
        test, _ = load_tensors(dataset, train=False)
        train, _ = load_tensors(dataset, train=True)
        f = judge_features(test, judge)
        real = (f.mean(0), np.cov(f, rowvar=False))
        g = judge_features(train[torch.randperm(len(train), generator=torch.Generator().manual_seed(5))[:20_000]], judge)
        _REAL_STATS[key] = (real, frechet_floor(g, real), judge)
    real, floor, _ = _REAL_STATS[key]
    f = judge_features(images, judge)
    return frechet_distance(f.mean(0), np.cov(f, rowvar=False), *real) / floor


def coverage_report(images, classes=None, dataset: str = "mnist", judge=None) -> list:
    """Per-class coverage (``class_coverage``) of ``images`` (N, 28, 28) whose classes are ``classes`` (N,): the class
    asked for, for a conditional model, or (None) the class the judge reads.  The spread of each class in the judge's
    features (by default the public judge's) over that of the real test images of the class; 1 is as varied as real
    images, one image or one style per class scores near 0; None for a class with fewer than 20 samples.
    Loads the dataset once."""
    key = ("coverage", dataset, None if judge is None else id(judge))
    if key not in _REAL_STATS:
        judge = judge or public_judge(dataset)
        test, labels = load_tensors(dataset, train=False)
        _REAL_STATS[key] = (class_traces(judge_features(test, judge), labels.numpy()), judge)
    traces, judge = _REAL_STATS[key]
    if classes is None:
        classes = predict(judge, images).argmax(1).numpy()
    return class_coverage(judge_features(images, judge), classes, traces)


def coverage_text(coverage) -> str:
    """A coverage_report as one line: each class's figure, '-' where the class has too few samples."""
    return " ".join("-" if c is None else f"{c:.2f}" for c in coverage)


def label_accuracy_report(generate, per_class: int = 100, dataset: str = "mnist", judge=None):
    """Label accuracy of a conditional ``generate(n, c)`` under a judge (by default the public one).

    Draws ``per_class`` samples of each class c = 0..9 and returns (overall accuracy, per-class accuracies (10,)):
    the share the judge reads as the class that was asked for.
    """
    judge = judge or public_judge(dataset)
    x = np.concatenate([generate(per_class, c) for c in range(10)])
    pred = predict(judge, x).argmax(1).numpy().reshape(10, per_class)
    per = (pred == np.arange(10)[:, None]).mean(1)
    return float(per.mean()), per


# --------------------------------------------------------------------------
# Handing in
# --------------------------------------------------------------------------
# Tests: the student's code runs in the notebook's kernel, the verdict is given outside it
# --------------------------------------------------------------------------
# Each test of a lab calls ``in_kernel(run, student_function, ...)``: ``run`` calls the student's functions on inputs
# it builds and returns what they gave, and the test then checks those values.  In your notebook (grader.check) all
# of it runs here.  At grading the autograder runs each test in its own process: it sends ``run`` to your notebook's
# kernel, gets back plain data (numbers, strings, arrays: ``pack`` / ``unpack``, never a pickle) and checks it with
# values that never enter the kernel.  A value packed and unpacked is what the test sees in both places.
MAX_EVIDENCE_BYTES = 256 * 2**20


def pack(value) -> dict:
    """``value`` as JSON-able data: None, bools, numbers, strings, lists, tuples, dicts with string or integer keys,
    torch tensors and numpy arrays and scalars (their bytes in one .npz, base64); any other object as its type's
    name.  Tensors keep their dtype, shape, requires_grad and device type (the values are copied to the CPU)."""
    import base64
    import io

    import numpy
    import torch

    arrays = []

    def array(a):
        arrays.append(a)
        return len(arrays) - 1

    def enc(x, depth):
        if depth > 20:
            return {"object": "nested too deep"}
        if x is None or type(x) in (bool, int, float, str):
            return {"int": str(x)} if type(x) is int and abs(x) > 2 ** 53 else x
        if isinstance(x, torch.Tensor):
            t = x.detach()
            device = t.device.type
            try:
                data = t.cpu() if device != "meta" else None
            except Exception:  # a device whose tensors cannot be copied to the CPU
                data = None
            if data is not None and data.dtype in (torch.bfloat16, torch.float16):
                data = data.float()
            return {"tensor": None if data is None else array(data.numpy()), "dtype": str(t.dtype)[6:],
                    "shape": list(t.shape), "requires_grad": bool(x.requires_grad), "device": device}
        if isinstance(x, numpy.ndarray):
            if x.dtype.hasobject:
                return {"object": "numpy.ndarray of Python objects"}
            return {"ndarray": array(x)}
        if isinstance(x, numpy.generic) and not isinstance(x, numpy.object_):
            return {"npscalar": array(numpy.asarray(x))}
        if isinstance(x, (list, tuple)):
            return {"tuple" if isinstance(x, tuple) else "list": [enc(v, depth + 1) for v in x]}
        if isinstance(x, dict) and all(type(k) in (str, int) for k in x):
            return {"dict": [[k, enc(v, depth + 1)] for k, v in x.items()]}
        return {"object": type(x).__qualname__, "module": type(x).__module__}

    tree = enc(value, 0)
    buffer = io.BytesIO()
    numpy.savez(buffer, *arrays)
    return {"tree": tree, "arrays": base64.b64encode(buffer.getvalue()).decode()}


def unpack(packed: dict):
    """The value ``pack`` wrote: data only (numpy's loader with allow_pickle=False); any other object comes back as an
    instance of an empty class of the same name."""
    import base64
    import io

    import numpy
    import torch

    raw = base64.b64decode(packed["arrays"], validate=True)
    if len(raw) > MAX_EVIDENCE_BYTES:
        raise ValueError(f"the values sent back are {len(raw) / 2**20:.0f} MB, more than the autograder reads")
    with numpy.load(io.BytesIO(raw), allow_pickle=False) as npz:
        arrays = [npz[f"arr_{i}"] for i in range(len(npz.files))]

    def dec(x, depth):
        if depth > 22:
            raise ValueError("the values sent back are nested too deep")
        if x is None or type(x) in (bool, int, float, str):
            return x
        if not isinstance(x, dict) or len(x) == 0:
            raise ValueError("the values sent back are malformed")
        if "int" in x:
            return int(x["int"])
        if "list" in x or "tuple" in x:
            items = [dec(v, depth + 1) for v in x.get("list", x.get("tuple"))]
            return items if "list" in x else tuple(items)
        if "dict" in x:
            return {k: dec(v, depth + 1) for k, v in x["dict"]}
        if "ndarray" in x:
            return arrays[x["ndarray"]]
        if "npscalar" in x:
            return arrays[x["npscalar"]][()]
        if "tensor" in x:
            dtype = getattr(torch, str(x["dtype"]), None)
            if not isinstance(dtype, torch.dtype):
                raise ValueError(f"unknown tensor dtype {x['dtype']!r}")
            if x["tensor"] is None or x.get("device", "cpu") != "cpu":
                t = torch.empty([int(n) for n in x["shape"]], dtype=dtype, device="meta")
            else:
                t = torch.from_numpy(numpy.array(arrays[x["tensor"]])).to(dtype)
            if x.get("requires_grad") and t.is_floating_point():
                t.requires_grad_(True)
            if x.get("device", "cpu") != "cpu":
                t.kit_device = str(x["device"])  # where the student's tensor was (check messages name it)
            return t
        if "object" in x:
            return type(str(x["object"]).split(".")[-1][:80], (Foreign,), {"module": str(x.get("module", ""))})()
        raise ValueError("the values sent back are malformed")

    return dec(packed["tree"], 0)


class Foreign:
    """What ``unpack`` makes of an object that is not data (a model, a function): only its type's name is kept."""

    def __repr__(self):
        return f"<{type(self).__name__} object>"


def describe_error(error: BaseException) -> dict:
    """An exception as data (``rebuild_error`` makes it an exception again): its type, the builtin classes it derives
    from, its message, and where in the notebook's code it was raised (the last frame of a notebook cell)."""
    import builtins
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if "ipykernel_" in f.filename or f.filename.startswith("<ipython-input")]
    where = f"raised in {frames[-1].name}, line {frames[-1].lineno} of its cell" if frames else ""
    bases = [c.__name__ for c in type(error).__mro__ if getattr(builtins, c.__name__, None) is c]
    return {"type": type(error).__name__, "bases": bases, "builtin": type(error).__module__ == "builtins",
            "message": str(error)[:2000], "where": where}


def rebuild_error(info: dict) -> Exception:
    """The exception ``describe_error`` described: a class of the same name, derived from the builtin class the
    original derived from (so that ``except ValueError`` still catches it), with the message and where it was
    raised."""
    import builtins

    name = str(info.get("type", "Exception"))[:80]
    bases = [getattr(builtins, b, None) for b in info.get("bases", [])]
    base = next((b for b in bases if isinstance(b, type) and issubclass(b, Exception)), Exception)
    cls = base if info.get("builtin") and base.__name__ == name else type(name, (base,), {})
    message, where = str(info.get("message", ""))[:2000], info.get("where")
    return cls(f"{message} ({where})" if where else message)


def in_kernel(run, *args, helpers=()):
    """``run(*args)`` where the student's code lives, as data (``pack`` then ``unpack``).

    Here (your notebook, where grader.check runs the public tests) that is this process.  At grading, an argument
    that stands for one of your notebook's names makes the autograder run ``run`` in your notebook's kernel (with
    the functions in ``helpers`` defined beside it) and check what comes back outside it.
    """
    for a in args:
        remote = getattr(a, "kit_remote", None)
        if remote is not None:
            return remote.call(run, args, helpers)
    return unpack(pack(run(*args)))


# --------------------------------------------------------------------------


def on_colab() -> bool:
    """True in a Google Colab kernel (what otter checks too: the name of the IPython shell's class)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return "google.colab" in str(get_ipython())


def export_submission(grader, notebook: str, files=()):
    """Write the zip to upload to Gradescope: the notebook and ``files`` (the checkpoints).

    Locally and in Jupyter this is otter's own ``grader.export`` (no PDF). Otter's export refuses to run on
    Colab, where the notebook is not a file on the runtime's disk either: there the zip holds the notebook as
    Colab holds it now (save first, so that it has your latest edits), named ``notebook``, and the browser
    downloads it. While the autograder runs the notebook, this does nothing.
    """
    import datetime
    import json
    import zipfile

    if getattr(type(grader), "_grading_mode", False):
        return None
    missing = [f for f in files if not Path(f).exists()]
    if missing:
        raise CheckpointError(f"export_submission: {', '.join(missing)} not found beside the notebook. Run the "
                              "training cells (they save these files) before you export.")
    if not on_colab():
        grader.export(notebook, pdf=False, files=list(files))
        return
    from google.colab import _message, files as colab_files

    content = _message.blocking_request("get_ipynb", timeout_sec=60)["ipynb"]
    stamp = datetime.datetime.now().strftime("%Y_%m_%dT%H_%M_%S")
    name = f"{Path(notebook).stem}_{stamp}.zip"
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(Path(notebook).name, json.dumps(content))
        for f in files:
            z.write(f, Path(f).name)
    print(f"wrote {name} ({', '.join([Path(notebook).name, *files])}); upload it to Gradescope")
    colab_files.download(name)
