"""Instructor tool of the adversarial-examples lab: the autograder's reference CNN, its held-out set, the benchmark.

    DATA_DIR=/path/to/data python assignment/adversarial/make_reference.py           # write the files if missing
    DATA_DIR=/path/to/data python assignment/adversarial/make_reference.py --force   # train and write them again
    DATA_DIR=/path/to/data python assignment/adversarial/make_reference.py --bench   # success rate against eps

Writes into assignment/adversarial/reference/ (from fixed seeds; the autograder zip ships both, students never
get them):
* adversarial_reference_cnn.pt: grading_adversarial.ReferenceCNN trained on the MNIST training set (seed 3);
* adversarial_heldout.pt: 1000 test images and labels (the subset on which a submitted CNN's accuracy is
  checked) and 200 other test 4s that the reference CNN classifies correctly (the attacks' targets), as uint8.

--bench runs the kit's attack (the solution's algorithm, at the notebook's step size and number of steps) on
every test 4 that the reference CNN, and the solution's CNN (reference/adversarial_cnn.pt), classify correctly,
and prints the success rate and the time against eps, on one CPU thread.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "assignment" / "common"))

import genkit  # noqa: E402
import grading_adversarial as ga  # noqa: E402

REF = HERE / "reference"
ga.HERE = REF  # in the autograder the files sit beside the module; here they live in reference/
SEED, EPOCHS, LR = 3, 3, 3e-3


def train_reference() -> None:
    torch.manual_seed(SEED)
    x, y = genkit.load_tensors("mnist", train=True)
    xt, yt = genkit.load_tensors("mnist", train=False)
    model = ga.ReferenceCNN()
    steps = EPOCHS * (len(x) // 128)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps)
    data = genkit.batches(x, y, 128, generator=torch.Generator().manual_seed(SEED))
    start = time.time()
    model.train()
    for _ in range(steps):
        xb, yb = next(data)
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    acc = float((ga.predict(model, xt).argmax(1) == yt).float().mean())
    REF.mkdir(parents=True, exist_ok=True)
    genkit.save_checkpoint(REF / ga.REFERENCE_CNN, model, test_accuracy=acc, seed=SEED, epochs=EPOCHS)
    print(f"reference CNN: {EPOCHS} epochs in {time.time() - start:.0f} s, test accuracy {acc:.4f}")


def write_heldout() -> None:
    ds = genkit.load_dataset("mnist", train=False)
    images, labels = ds.data, ds.targets.long()            # uint8 (10000, 28, 28), int64 (10000,)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    subset = order[:1000]
    model = ga.ReferenceCNN()
    genkit.load_checkpoint(REF / ga.REFERENCE_CNN, model)
    rest = order[1000:]
    rest = rest[labels[rest] == ga.SOURCE]
    ok = ga.predict(model, images[rest].float().div(255).unsqueeze(1)).argmax(1) == ga.SOURCE
    fours = rest[ok][:200]
    torch.save({"images": images[subset].clone(), "labels": labels[subset].to(torch.uint8),
                "fours": images[fours].clone(), "subset_index": subset.clone(), "fours_index": fours.clone()},
               REF / ga.HELDOUT)
    print(f"held-out set: 1000 test images, {len(fours)} test 4s "
          f"(of {len(rest)} outside the subset, {int(ok.sum())} classified correctly by the reference CNN); "
          f"{(REF / ga.HELDOUT).stat().st_size / 1e3:.0f} kB")


def solution_cnn():
    """The solution's MNISTClassifier with its reference weights (class taken from the master notebook)."""
    import nbformat
    nb = nbformat.read(HERE / "adversarial.ipynb", as_version=4)
    src = next(c.source for c in nb.cells if c.cell_type == "code" and "class MNISTClassifier" in c.source)
    ns = {"nn": torch.nn, "torch": torch, "F": F}
    exec(src, ns)
    model = ns["MNISTClassifier"]()
    genkit.load_checkpoint(REF / "adversarial_cnn.pt", model)
    return model


def bench(eps_list=(0.05, 0.1, 0.15, 0.2, 0.25, 0.3)) -> None:
    xt, yt = genkit.load_tensors("mnist", train=False)
    models = {"reference CNN": ga.reference_cnn()}
    if (REF / "adversarial_cnn.pt").exists():
        models["solution CNN"] = solution_cnn()
    steps, step_size = ga.ATTACK["steps"], ga.ATTACK["step_size"]
    for name, model in models.items():
        for p in model.parameters():
            p.requires_grad_(False)
        acc = float((ga.predict(model, xt).argmax(1) == yt).float().mean())
        fours = xt[yt == ga.SOURCE]
        fours = fours[ga.predict(model, fours).argmax(1) == ga.SOURCE]
        print(f"{name}: test accuracy {acc:.4f}; attacking its {len(fours)} correctly classified test 4s "
              f"({steps} steps; step size {step_size} at eps 0.2, eps / 8 otherwise; 1 thread)")
        for eps in eps_list:
            step = step_size if eps == ga.ATTACK["eps"] else eps / 8
            start = time.time()
            adv = ga.reference_attack(model, fours, ga.TARGET, eps, step, steps)
            secs = time.time() - start
            rate = float((ga.predict(model, adv).argmax(1) == ga.TARGET).float().mean())
            print(f"  eps {eps:.2f}: {rate:6.1%} of the 4s read as 9s, {secs:5.1f} s")
        held = ga.correctly_classified_fours(model)
        adv = ga.reference_attack(model, held, ga.TARGET, **ga.ATTACK)
        rate = float((ga.predict(model, adv).argmax(1) == ga.TARGET).float().mean())
        print(f"  held-out 4s ({len(held)}), eps {ga.ATTACK['eps']}: {rate:.1%}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="train the reference CNN and write the held-out set again")
    ap.add_argument("--bench", action="store_true", help="print the attack's success rate and time against eps")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # the machine is shared; the results do not depend on it
    if args.force or not (REF / ga.REFERENCE_CNN).exists():
        train_reference()
    if args.force or not (REF / ga.HELDOUT).exists():
        write_heldout()
    if args.bench:
        bench()


if __name__ == "__main__":
    main()
