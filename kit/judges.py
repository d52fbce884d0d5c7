"""Train the judge classifiers the release ships: a public and a hidden one per dataset.

    python -m kit.judges                 # train the missing ones, print test accuracies
    python -m kit.judges --force         # train all four again (same seeds, same result on the same machine)
    python -m kit.judges --check         # only evaluate the shipped weights
    python -m kit.judges --calibrate-echoes [--release DIR]   # the echo check's figures (grading.ECHO_RATIO)

The public judge (genkit.SmallCNN, seed 1) goes to students: assignment/common/student/judge_<dataset>_public.pt.
The hidden judge (grading.HiddenJudgeNet, seed 2), the copy banks and the realism statistics go only into the
autograder zips: assignment/common/autograder/judge_<dataset>_hidden.pt, copybank_<dataset>.pt, realism_<dataset>.pt.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from kit import TO_AUTOGRADER, TO_STUDENTS
import genkit
import grading

# name -> (architecture, seed, epochs, minimum test accuracy the release requires)
SPECS = {
    "mnist_public": (genkit.SmallCNN, 1, 3, 0.990),
    "mnist_hidden": (grading.HiddenJudgeNet, 2, 3, 0.990),
    "fashion_public": (genkit.SmallCNN, 1, 6, 0.900),
    "fashion_hidden": (grading.HiddenJudgeNet, 2, 3, 0.900),
}


def path_of(name: str) -> Path:
    """Public judges sit with what students get, hidden ones with what only the autograder gets."""
    return (TO_STUDENTS if name.endswith("_public") else TO_AUTOGRADER) / f"judge_{name}.pt"


def bank_path(dataset: str) -> Path:
    return TO_AUTOGRADER / f"copybank_{dataset}.pt"


@torch.no_grad()
def accuracy(model, images, labels) -> float:
    pred = genkit.predict(model, images).argmax(1)
    return float((pred == labels).float().mean())


def train_classifier(make_model, dataset: str, seed: int, epochs: int, lr: float = 2e-3, batch_size: int = 128):
    """Build ``make_model()`` and train it on the training set of ``dataset`` from ``seed`` (Adam, one-cycle
    learning rate); return (the model, its accuracy on the test set, training seconds).  The judges and the labs'
    reference classifiers use it."""
    torch.manual_seed(seed)
    x, y = genkit.load_tensors(dataset, train=True)
    xt, yt = genkit.load_tensors(dataset, train=False)
    model = make_model()
    steps = epochs * (len(x) // batch_size)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    data = genkit.batches(x, y, batch_size, generator=torch.Generator().manual_seed(seed))
    start = time.time()
    model.train()
    for _ in range(steps):
        xb, yb = next(data)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model, accuracy(model, xt, yt), time.time() - start


def train(name: str) -> float:
    arch, seed, epochs, _ = SPECS[name]
    model, acc, seconds = train_classifier(arch, name.split("_")[0], seed, epochs)
    genkit.save_checkpoint(path_of(name), model, test_accuracy=acc, seed=seed, epochs=epochs)
    print(f"{name}: trained {epochs} epochs in {seconds:.0f} s, test accuracy {acc:.4f}")
    return acc


def check(name: str) -> float:
    arch, _, _, minimum = SPECS[name]
    model = arch()
    genkit.load_checkpoint(path_of(name), model)
    xt, yt = genkit.load_tensors(name.split("_")[0], train=False)
    acc = accuracy(model, xt, yt)
    print(f"{name}: test accuracy {acc:.4f} (release needs >= {minimum})")
    if acc < minimum:
        raise SystemExit(f"judge {name} is below the required accuracy {minimum}")
    return acc


def realism_path(dataset: str) -> Path:
    return TO_AUTOGRADER / f"realism_{dataset}.pt"


def write_realism_stats(dataset: str, seed: int = 5) -> Path:
    """realism_<dataset>.pt for grading.fd_ratio and grading.agreement: the mean and covariance of the hidden judge's
    features over the real test set; the floor, the median Frechet distance to them of REALISM_FLOOR_SETS disjoint
    sets of REALISM_FLOOR_IMAGES real training images outside the copy bank; the share of the first set's images
    whose nearest banked neighbours carry their label; the mean pixel value of the test set; the spread of each class
    of the test set in those features (genkit.class_traces, for grading.class_coverage)."""
    import numpy as np

    grading.clear_realism()
    images, labels = genkit.load_tensors(dataset, train=True)
    test_images, test_labels = genkit.load_tensors(dataset, train=False)
    f = grading.judge_features(test_images[:, 0], dataset)
    stats = {"mean": torch.from_numpy(f.mean(0)), "cov": torch.from_numpy(np.cov(f, rowvar=False)),
             "class_trace": torch.from_numpy(genkit.class_traces(f, test_labels.numpy()))}
    banked = set(torch.load(bank_path(dataset), weights_only=True)["indices"].tolist())
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed)).tolist()
    size, sets = grading.REALISM_FLOOR_IMAGES, grading.REALISM_FLOOR_SETS
    pool = torch.tensor([i for i in order if i not in banked][: size * sets])
    g = grading.judge_features(images[pool, 0], dataset)
    stats["floor"] = genkit.frechet_floor(g, (f.mean(0), np.cov(f, rowvar=False)), size, sets)
    real = pool[:size]
    stats["knn_accuracy"] = float((grading.knn_labels(images[real, 0], dataset) == labels[real].numpy()).mean())
    stats["pixel_mean"] = float(test_images.mean())
    torch.save(stats, realism_path(dataset))
    print(f"realism {dataset}: floor {stats['floor']:.3f}, nearest-neighbour accuracy on real images "
          f"{stats['knn_accuracy']:.3f}", flush=True)
    return realism_path(dataset)


def write_copy_bank(dataset: str, share: float = 0.1, dim: int = 128, seed: int = 0) -> Path:
    """copybank_<dataset>.pt: a random projection (784 -> dim) of a fixed random ``share`` of the training images
    and of the test images (no images), with their labels (grading.knn_labels) and the projections of their zoomed
    crops (grading.zoom, grading.ZOOMS), for grading.near_copy_share.  The rest of each set is what the false-flag
    rate is measured on (tests/test_judges.py).  Also every training and test image seen coarsely (grading.coarse,
    49 numbers each), for grading.echo_ratios."""
    images, train_labels = genkit.load_tensors(dataset, train=True)
    test_images, test_labels = genkit.load_tensors(dataset, train=False)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(images), generator=g)[: int(share * len(images))]
    projection = torch.randn(784, dim, generator=g) / dim ** 0.5  # keeps L2 distances in expectation
    test_idx = torch.randperm(len(test_images), generator=torch.Generator().manual_seed(seed + 1))
    test_idx = test_idx[: int(share * len(test_images))]
    bank = torch.cat([images[idx], test_images[test_idx]]).reshape(len(idx) + len(test_idx), -1) @ projection
    labels = torch.cat([train_labels[idx], test_labels[test_idx]])
    banked = torch.cat([images[idx], test_images[test_idx]])[:, 0]
    zoomed = torch.cat([grading.zoom(banked, crop).reshape(len(banked), -1) @ projection for crop in grading.ZOOMS])
    path = bank_path(dataset)
    every = torch.cat([images, test_images])[:, 0]
    torch.save({"projection": projection, "bank": bank.half(), "labels": labels, "zoomed": zoomed.half(),
                "indices": idx, "test_indices": test_idx, "coarse": grading.coarse(every).half()}, path)
    print(f"copy bank {path.name}: {len(idx)} training and {len(test_idx)} test images projected to {dim} "
          f"dimensions; all {len(every)} images seen coarsely (grading.coarse)", flush=True)
    return path


def calibrate_echoes(release: Path | None = None, held: int = 2000, degraded: int = 500) -> dict:
    """The echo check's figures (grading.echo_ratios): for each dataset, ``held`` real images held out of a coarse
    bank of the others (real images in no bank), ``degraded`` banked images changed each way of kit.degradations,
    and the samples the autograder draws from each solution's reference (where a release is built in ``release``);
    prints, for each, the share that echoes (ratio under grading.ECHO_RATIO) and the least ratio."""
    import numpy as np

    from kit import degradations

    samples = {}
    if release is not None:
        import os

        from kit import labs
        from kit.notebook import lab_code

        for lab in labs.LABS:
            for spec in getattr(labs.get(lab).grading, "JUDGED", {}).values():
                draw = spec.draw
                if isinstance(draw, grading.Draw):
                    here = os.getcwd()
                    os.chdir(release / "solutions" / lab)
                    try:
                        samples[(draw.dataset, f"solution: {lab}/{draw.name}")] = draw.run(lab_code(lab, release)[draw.func])
                    finally:
                        os.chdir(here)
    out = {}
    for dataset in ("mnist", "fashion"):
        images = torch.cat([genkit.load_tensors(dataset, train=True)[0], genkit.load_tensors(dataset, train=False)[0]])
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
        kept, out_of_bank = images[order[held:], 0], images[order[:held], 0]
        banked = grading.coarse(kept).half().float()
        grading._banks[dataset] = None  # the check reads this bank, not the shipped one
        grading._banks[dataset + "/coarse"] = banked
        queries = {"real images in no bank": out_of_bank.numpy()}
        queries.update({name: x for (d, name), x in samples.items() if d == dataset})
        originals = kept[:degraded].numpy()
        for name, change in {**degradations.DEGRADATIONS, **degradations.STRONGER}.items():
            queries[f"degraded: {name}"] = change(originals).astype(np.float32)
        for name, x in queries.items():
            ratios = grading.echo_ratios(x, dataset)
            out[(dataset, name)] = (float((ratios < grading.ECHO_RATIO).mean()), float(ratios.min()), len(ratios))
            print(f"{dataset:8s} {name:38s} echoes {out[(dataset, name)][0]:7.2%} of {len(ratios):5d}, "
                  f"least ratio {ratios.min():.3f}", flush=True)
        grading.clear_realism()
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="train all judges again")
    ap.add_argument("--check", action="store_true", help="only evaluate the shipped judges")
    ap.add_argument("--calibrate-echoes", action="store_true",
                    help="print the echo check's figures (real images out of the bank, degraded copies, solutions)")
    ap.add_argument("--release", type=Path, help="with --calibrate-echoes: a built release whose solutions' samples "
                                                 "are measured too")
    ap.add_argument("names", nargs="*", default=list(SPECS), help=f"judges among {list(SPECS)}")
    args = ap.parse_args(argv)
    if args.calibrate_echoes:
        calibrate_echoes(args.release.resolve() if args.release else None)
        return
    for name in args.names:
        if not args.check and (args.force or not path_of(name).exists()):
            train(name)
        check(name)
    for dataset in ("mnist", "fashion"):
        if not args.check and (args.force or not bank_path(dataset).exists()
                               or "coarse" not in torch.load(bank_path(dataset), weights_only=True)):
            write_copy_bank(dataset)
        if not args.check and (args.force or not realism_path(dataset).exists()
                               or "class_trace" not in torch.load(realism_path(dataset), weights_only=True)):
            write_realism_stats(dataset)


if __name__ == "__main__":
    main()
