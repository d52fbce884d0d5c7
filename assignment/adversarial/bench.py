"""The adversarial-examples lab's benchmark: the attack's success rate and time against eps (run by ``kit.bench``).

    python -m kit.bench --labs adversarial --skip-grading

For the autograder's reference CNN and the solution's CNN (MNISTClassifier with reference/adversarial_cnn.pt):
test accuracy, then the share of its correctly classified test 4s that the kit's targeted attack (16 steps) turns
into 9s for each eps, and the rate on the held-out 4s at the graded eps.  No training loop (no ``runs``).
"""
from __future__ import annotations

import time
from pathlib import Path

import torch

import genkit
from kit.labs import get

LAB = get(Path(__file__).resolve().parent.name)


def solution_cnn(ns: dict):
    """The solution's MNISTClassifier with its reference weights, or None where they are missing."""
    path = LAB.reference / "adversarial_cnn.pt"
    if not path.exists():
        return None
    model = ns["MNISTClassifier"]()
    genkit.load_checkpoint(path, model)
    return model


def report(ns: dict, eps_list=(0.05, 0.1, 0.15, 0.2, 0.25, 0.3)) -> None:
    """Test accuracy of each CNN, and the attack's success rate and seconds for each eps."""
    ga = LAB.grading
    xt, yt = genkit.load_tensors("mnist", train=False)
    models = {"reference CNN": ga.reference_cnn(), "solution CNN": solution_cnn(ns)}
    steps, step_size = ga.ATTACK["steps"], ga.ATTACK["step_size"]
    for name, model in models.items():
        if model is None:
            print(f"{LAB.name}: {name}: no weights in {LAB.reference}")
            continue
        for p in model.parameters():
            p.requires_grad_(False)
        acc = float((genkit.predict(model, xt).argmax(1) == yt).float().mean())
        fours = xt[yt == ga.SOURCE]
        fours = fours[genkit.predict(model, fours).argmax(1) == ga.SOURCE]
        print(f"{LAB.name}: {name}: test accuracy {acc:.4f}; attacking its {len(fours)} correctly classified test 4s "
              f"({steps} steps; step size {step_size} at eps {ga.ATTACK['eps']}, eps / 8 otherwise; "
              f"{torch.get_num_threads()} torch thread(s))")
        for eps in eps_list:
            step = step_size if eps == ga.ATTACK["eps"] else eps / 8
            start = time.time()
            adv = ga.reference_attack(model, fours, ga.TARGET, eps, step, steps)
            secs = time.time() - start
            rate = float((genkit.predict(model, adv).argmax(1) == ga.TARGET).float().mean())
            print(f"  eps {eps:.2f}: {rate:6.1%} of the 4s read as 9s, {secs:5.1f} s")
        held = ga.correctly_classified_fours(model)
        adv = ga.reference_attack(model, held, ga.TARGET, **ga.ATTACK)
        rate = float((genkit.predict(model, adv).argmax(1) == ga.TARGET).float().mean())
        print(f"  held-out 4s ({len(held)}), eps {ga.ATTACK['eps']}: {rate:.1%}")
