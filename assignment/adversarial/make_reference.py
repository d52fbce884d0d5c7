"""Instructor tool of the adversarial-examples lab: the autograder's reference CNN, its held-out set, the benchmark.

    DATA_DIR=/path/to/data python assignment/adversarial/make_reference.py           # write the files if missing
    DATA_DIR=/path/to/data python assignment/adversarial/make_reference.py --force   # train and write them again

Writes into assignment/adversarial/reference/ (from fixed seeds; the autograder zip ships both, students never
get them):
* adversarial_reference_cnn.pt: grading_adversarial.ReferenceCNN trained on the MNIST training set (seed 3);
* adversarial_heldout.pt: 1000 test images and labels (the subset on which a submitted CNN's accuracy is
  checked) and 200 other test 4s that the reference CNN classifies correctly (the attacks' targets), as uint8.

The build runs it before the master notebook (``kit.build``; with ``--retrain`` it passes ``--force``). The attack's
success rate against eps is in the lab's benchmark (bench.py, ``python -m kit.bench --labs adversarial``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from kit import labs  # noqa: E402  (puts the shared modules on sys.path; grading finds reference/ files)
from kit.judges import train_classifier  # noqa: E402
import genkit  # noqa: E402

LAB = labs.get(HERE.name)
ga = LAB.grading
REF = LAB.reference
SEED, EPOCHS, LR = 3, 3, 3e-3


def train_reference() -> None:
    model, acc, seconds = train_classifier(ga.ReferenceCNN, "mnist", SEED, EPOCHS, lr=LR)
    REF.mkdir(parents=True, exist_ok=True)
    genkit.save_checkpoint(REF / ga.REFERENCE_CNN, model, test_accuracy=acc, seed=SEED, epochs=EPOCHS)
    print(f"reference CNN: {EPOCHS} epochs in {seconds:.0f} s, test accuracy {acc:.4f}")


def write_heldout() -> None:
    ds = genkit.load_dataset("mnist", train=False)
    images, labels = ds.data, ds.targets.long()            # uint8 (10000, 28, 28), int64 (10000,)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    subset = order[:1000]
    model = ga.ReferenceCNN()
    genkit.load_checkpoint(REF / ga.REFERENCE_CNN, model)
    rest = order[1000:]
    rest = rest[labels[rest] == ga.SOURCE]
    ok = genkit.predict(model, images[rest].float().div(255).unsqueeze(1)).argmax(1) == ga.SOURCE
    fours = rest[ok][:200]
    torch.save({"images": images[subset].clone(), "labels": labels[subset].to(torch.uint8),
                "fours": images[fours].clone(), "subset_index": subset.clone(), "fours_index": fours.clone()},
               REF / ga.HELDOUT)
    print(f"held-out set: 1000 test images, {len(fours)} test 4s "
          f"(of {len(rest)} outside the subset, {int(ok.sum())} classified correctly by the reference CNN); "
          f"{(REF / ga.HELDOUT).stat().st_size / 1e3:.0f} kB")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="train the reference CNN and write the held-out set again")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # the machine is shared; the results do not depend on it
    if args.force or not (REF / ga.REFERENCE_CNN).exists():
        train_reference()
    if args.force or not (REF / ga.HELDOUT).exists():
        write_heldout()


if __name__ == "__main__":
    main()
