"""grading_adversarial: what only the autograder of the adversarial-examples lab has (never shipped to students).

* ``ReferenceCNN`` and its trained weights (adversarial_reference_cnn.pt): the kit's own classifier,
  another architecture and seed than the students' CNN, with batch norm and dropout so that running it in
  training mode changes the result. Students' attacks are run against it.
* A fixed held-out set (adversarial_heldout.pt): 1000 test images with labels, on which a submitted CNN's
  accuracy is checked (the autograder has no dataset), and 200 other test 4s that the reference CNN
  classifies correctly, on which attacks are run.
* ``reference_attack``: the kit's targeted attack (the solution's algorithm), to compare a student's attack
  with on the student's own CNN.
* ``attack_report``: runs a student's attack once per model and checks what it returns; every failure is one
  plain sentence.

* ``JUDGED``: the attack's and fool's outputs, judged where the tests run (outside the kernel at grading:
  verdicts.py) with the autograder's own copy of the CNN (``AttackDraw``, ``AttackJudged``).

Both .pt files are written by make_reference.py (beside this module in the repository) from fixed seeds.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

import genkit
from grading import SubmissionError, data_file

# The grading workloads are small (200 images, 16 steps). One thread avoids oversubscribing a shared or
# fractional CPU (Gradescope gives 0.5 vCPU): measured here, two threads on two busy cores ran 5x slower.
torch.set_num_threads(1)
REFERENCE_CNN = "adversarial_reference_cnn.pt"
HELDOUT = "adversarial_heldout.pt"

# The attack the notebook asks for, and the settings the hidden tests run it with (the notebook states them).
SOURCE, TARGET = 4, 9
ATTACK = {"eps": 0.2, "step_size": 0.025, "steps": 16}
TOLERANCE = 1e-6  # on the L-inf budget and on the pixel range [0, 1]

# Bars, each measured (see `python -m kit.bench --labs adversarial` and the lab's checks.py):
BARS = {
    # accuracy of the submitted CNN on the 1000 held-out test images. The notebook asks for 98.5 % on the
    # whole test set; a 1000-image subset has a standard error of about 0.4 %, so the bar is 98 %.
    # The solution's CNN scores 99.2 % on the subset (99.03 % on the test set); an untrained one 8 %.
    "cnn_subset_accuracy": 0.98,
    # share of the 200 held-out 4s the attack turns into 9s (within the budget) against the reference CNN:
    # the solution's rate, measured (200 of 200), minus a margin. Broken attacks measured: gradients in training
    # mode 11.5 %, untargeted (ascent on the true class) 55 %, step sign flipped 0 %; without projection or
    # clipping 100 % of the outputs read 9 but break the budget (L-inf 0.4) or the range ([-0.2, 1.2]): 0 count.
    "attack_solution_rate": 1.0,
    "attack_margin": 0.05,
    # against the student's own CNN the student's attack must reach the kit's attack's rate minus this margin
    "own_cnn_margin": 0.05,
    # probability of class 9 that fool() must reach from noise and from the zero image
    "fool_confidence": 0.99,
}


def attack_bar() -> float:
    return BARS["attack_solution_rate"] - BARS["attack_margin"]


class ReferenceCNN(nn.Module):
    """The kit's reference CNN: three conv blocks (the last two strided) with batch norm, dropout, one linear layer.

    Input (N, 1, 28, 28) pixels in [0, 1]; output logits (N, 10).
    """

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),                # 16 x 28 x 28
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),     # 32 x 14 x 14
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),     # 32 x 7 x 7
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(32 * 7 * 7, 10))

    def forward(self, x):
        return self.head(self.features(x.reshape(-1, 1, 28, 28)))


_REFERENCE: nn.Module | None = None


def reference_cnn() -> nn.Module:
    """The trained reference CNN, in eval mode (loaded once; attacks get copies of it)."""
    global _REFERENCE
    if _REFERENCE is None:
        _REFERENCE = ReferenceCNN()
        genkit.load_checkpoint(data_file(REFERENCE_CNN), _REFERENCE)
    return _REFERENCE.eval()


_HELDOUT: dict | None = None


def heldout() -> dict:
    """{'images': (1000, 1, 28, 28), 'labels': (1000,), 'fours': (200, 1, 28, 28)}: float32 images in [0, 1]."""
    global _HELDOUT
    if _HELDOUT is None:
        blob = torch.load(data_file(HELDOUT), map_location="cpu", weights_only=True)
        _HELDOUT = {"images": blob["images"].float().div(255).unsqueeze(1),
                    "labels": blob["labels"].long(),
                    "fours": blob["fours"].float().div(255).unsqueeze(1)}
    return _HELDOUT


def read_digits(model, images):
    """The classes ``model`` reads in ``images`` (run where the model lives: at grading, the student's kernel)."""
    import copy
    import genkit

    return genkit.predict(copy.deepcopy(model), images).argmax(1)


def accuracy(model) -> float:
    """Accuracy of ``model`` on the 1000 held-out test images (the model reads them where it lives; the labels stay
    here)."""
    data = heldout()
    return float((torch.as_tensor(genkit.in_kernel(read_digits, model, data["images"])) == data["labels"]).float().mean())


def reference_attack(model, images, target, eps, step_size, steps):
    """The kit's targeted iterative gradient-sign attack (the solution's algorithm)."""
    import torch
    import torch.nn.functional as F

    model.eval()
    x0 = images.detach()
    labels = torch.full((len(x0),), target, dtype=torch.long, device=x0.device)
    x = x0.clone()
    for _ in range(steps):
        x.requires_grad_(True)
        grad, = torch.autograd.grad(F.cross_entropy(model(x), labels), x)
        x = x.detach() - step_size * grad.sign()
        x = torch.min(torch.max(x, x0 - eps), x0 + eps).clamp(0, 1)
    return x.detach()


def check_adversarial(x, images: torch.Tensor, eps: float, name: str = "targeted_attack",
                      like: str = "images") -> torch.Tensor:
    """Check that ``x`` is a float tensor shaped like ``images``, finite, in [0, 1] and within ``eps`` (L-inf).

    ``name`` and ``like`` are the student's function and its input, as the messages call them.
    """
    if not isinstance(x, torch.Tensor):
        raise SubmissionError(f"{name} returned a {type(x).__name__}; return a torch tensor shaped like `{like}`.")
    if tuple(x.shape) != tuple(images.shape):
        raise SubmissionError(f"{name} returned shape {tuple(x.shape)}; it must return the shape of `{like}`, "
                              f"{tuple(images.shape)}.")
    x = x.detach().cpu().float()
    if not torch.isfinite(x).all():
        raise SubmissionError(f"{name} returned NaN or infinite values.")
    lo, hi = float(x.min()), float(x.max())
    if lo < -TOLERANCE or hi > 1 + TOLERANCE:
        raise SubmissionError(f"{name} returned pixel values in [{lo:.3f}, {hi:.3f}]; images must stay in [0, 1]: "
                              "clip after every step.")
    dist = float((x - images.cpu()).abs().amax())
    if dist > eps + TOLERANCE:
        raise SubmissionError(f"{name} moved a pixel by {dist:.3f}, more than eps = {eps}: project back onto the "
                              "eps-ball around the original image after every step.")
    return x


def reference_payload() -> dict:
    """The reference CNN as data, for the kernel to rebuild (kernel_reference): its class's source and its weights."""
    import inspect

    return {"source": inspect.getsource(ReferenceCNN), "state": reference_cnn().state_dict()}


def kernel_reference(payload):
    """Where the student's code runs: the reference CNN rebuilt from reference_payload, in eval mode."""
    import torch
    from torch import nn

    space = {"nn": nn, "torch": torch}
    exec(payload["source"], space)
    model = space["ReferenceCNN"]()
    model.load_state_dict(payload["state"])
    return model.eval()


def run_attack(attack, model, reference, images, target, train_mode, eps, step_size, steps, read_with_model):
    """Where the student's code runs: ``attack`` (None: the kit's reference_attack) on a copy of ``model`` (or of the
    reference CNN rebuilt from ``reference``) put in training mode when ``train_mode``, seeded; returns the images it
    made, whether it changed the copy's batch-norm statistics, and (``read_with_model``) the classes the untouched
    model reads in them."""
    import copy
    import genkit
    import torch

    if reference is not None:
        model = kernel_reference(reference)
    attack = reference_attack if attack is None else attack
    victim = copy.deepcopy(model)
    victim.train(train_mode)
    before = [b.detach().clone() for b in victim.buffers()]
    torch.manual_seed(0)
    x = attack(victim, images.clone(), target, eps, step_size, steps)
    changed = any(not torch.equal(a, b.detach()) for a, b in zip(before, victim.buffers()))
    read = None
    if read_with_model and isinstance(x, torch.Tensor) and tuple(x.shape) == tuple(images.shape):
        read = genkit.predict(copy.deepcopy(model), x.detach().cpu().float()).argmax(1)
    return {"x": x, "changed": changed, "read": read}


_CACHE: dict = {}


def attack_report(attack, model, images: torch.Tensor, target: int = TARGET, *, train_mode=False, **settings) -> dict:
    """Run ``attack`` on a copy of ``model`` (put in training mode first when ``train_mode``) and report; both run
    where the student's code lives (the kernel, at grading), the course's CNN rebuilt there from its weights.

    Returns {'x': adversarial images, 'success': share classified ``target`` by the untouched model in eval mode (the
    course's CNN: read here, with the autograder's own copy), 'buffers_changed': whether the attack changed the
    copy's batch-norm statistics}. Outputs that break the budget or the pixel range raise SubmissionError (so they
    never count as successes). Cached per call.
    """
    settings = {**ATTACK, **settings}
    key = (id(attack), id(model), id(images), target, train_mode, tuple(sorted(settings.items())))
    if key not in _CACHE:
        reference = model is _REFERENCE and _REFERENCE is not None
        out = genkit.in_kernel(run_attack, None if attack is reference_attack else attack, None if reference else model,
                               reference_payload() if reference else None, images, target, train_mode,
                               settings["eps"], settings["step_size"], settings["steps"], not reference,
                               helpers=(kernel_reference, reference_attack))
        x = check_adversarial(out["x"], images, settings["eps"])
        read = (genkit.predict(copy.deepcopy(_REFERENCE), x).argmax(1) if reference
                else torch.as_tensor(out["read"]))
        success = float((read == target).float().mean())
        # the objects are kept alive with their result, so that their ids are never reused for other objects
        _CACHE[key] = {"x": x, "success": success, "buffers_changed": bool(out["changed"]),
                       "_keep": (attack, model, images)}
    return _CACHE[key]


def correctly_classified_fours(model, minimum: int = 20) -> torch.Tensor:
    """The held-out 4s that ``model`` classifies as 4 (all of them if it gets fewer than ``minimum`` right)."""
    fours = heldout()["fours"]
    keep = torch.as_tensor(genkit.in_kernel(read_digits, model, fours)) == SOURCE
    return fours[keep] if int(keep.sum()) >= minimum else fours


# --------------------------------------------------------------------------
# Judged outside the kernel (the tests run in otter's process, verdicts.py): the kernel runs the student's attack and
# fool against the reference CNN (rebuilt there from its weights) and sends back what they return; the test, with the
# autograder's own copies of the CNN and the held-out set, checks the budget, the range and the success.
# --------------------------------------------------------------------------
FOOL_STARTS = (("uniform noise", 9, 16, 0), ("the all-zero image", 9, 1, None), ("uniform noise", 3, 8, 1))


def fool_starts() -> list[tuple[str, int, torch.Tensor]]:
    """(what, target, start images) of the three fool() runs the tests make: 16 noise images and the zero image
    towards 9, 8 other noise images towards 3 (fixed seeds, so the autograder makes the same starts again)."""
    out = []
    for what, target, n, seed in FOOL_STARTS:
        start = (torch.zeros(n, 1, 28, 28) if seed is None
                 else torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)))
        out.append((what, target, start))
    return out


# fool must start from its start.  Each run is made twice, from its start and from the start nudged by uniform noise of
# up to NUDGE (nudged); the output must stay within FOOL_BUDGET of its start (the largest mean absolute change of a
# pixel over the images of a run) and move with it (follows: the mean correlation, over the images, of the change in
# the output with the change in the start).  Measured against the course's CNN (moved / follows for the runs from
# noise to 9, from the zero image to 9, from noise to 3): the solution 0.15 / 0.38, 0.035 / 0.30, 0.14 / 0.40; without
# its mask of finished images 0.16 / 0.34, 0.035 / 0.30, 0.15 / 0.37; steps along the normalised gradient instead of
# its sign 0.11 / 0.61, 0.026 / 0.32, 0.10 / 0.63; a stored real test digit of the target class for every start
# 0.50 / 0, 0.105 / 0, 0.50 / 0; the same with a twentieth of the start added 0.50 / 0.76, 0.10 / 0.32, 0.49 / 0.76;
# 0.7 of a stored digit plus 0.3 of the start 0.35 / 1, 0.074 / 1, 0.35 / 1.
NUDGE = 0.05
FOOL_BUDGET = 0.3
FOOL_FOLLOW = 0.15


def nudged(start: torch.Tensor) -> torch.Tensor:
    """``start`` plus uniform noise of up to NUDGE, in [0, 1] (a fixed seed: the kernel and the test make the same)."""
    noise = (torch.rand(start.shape, generator=torch.Generator().manual_seed(11)) * 2 - 1) * NUDGE
    return (start + noise).clamp(0, 1)


def follows(out: torch.Tensor, twin: torch.Tensor, start: torch.Tensor, twin_start: torch.Tensor) -> float:
    """The mean, over the images, of the correlation of twin - out with twin_start - start (1: the output moves with its
    start pixel by pixel; 0: it ignores its start)."""
    a, b = (twin - out).flatten(1).double(), (twin_start - start).flatten(1).double()
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    return float(((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1)).clamp_min(1e-12)).mean())


def run_fool(fool, reference, runs, confidence):
    """Where the student's code runs: ``fool`` from each (target, start) of ``runs`` against a fresh copy of the course's
    CNN (rebuilt from ``reference``); what it returned for each."""
    return [fool(kernel_reference(reference), start.clone(), target, confidence=confidence, step_size=0.01,
                 max_steps=300) for target, start in runs]


@dataclass(frozen=True)
class AttackDraw:
    """What the kernel sends back: ``func`` ("targeted_attack" or "fool") run against the reference CNN, rebuilt there
    from its weights (a white-box attack needs them); the test judges with the autograder's own copy."""
    name: str
    func: str
    checkpoint: str = ""
    assets: tuple = ()

    def preload(self) -> None:
        reference_cnn()
        heldout()

    def run(self, func) -> np.ndarray:
        if self.func == "targeted_attack":
            return attack_report(func, reference_cnn(), heldout()["fours"])["x"].numpy()
        starts = fool_starts()
        runs = [(t, s) for _, t, s in starts] + [(t, nudged(s)) for _, t, s in starts]
        outs = genkit.in_kernel(run_fool, func, reference_payload(), runs, BARS["fool_confidence"],
                                helpers=(kernel_reference,))
        xs = [check_adversarial(x, start, eps=1.0, name="fool", like="start") for x, (_, start) in zip(outs, runs)]
        return torch.cat(xs).numpy()

    def figures(self, x) -> dict:
        x = torch.as_tensor(np.asarray(x, dtype=np.float32))
        if self.func == "targeted_attack":
            fours = heldout()["fours"]
            x = check_adversarial(x, fours, ATTACK["eps"])
            read = genkit.predict(copy.deepcopy(reference_cnn()), x).argmax(1)
            return {"images": len(x), "success": float((read == TARGET).float().mean()),
                    "linf": float((x - fours).abs().amax())}
        starts = fool_starts()
        first = torch.cat([s for _, _, s in starts])
        x = check_adversarial(x, torch.cat([first, nudged(first)]), eps=1.0, name="fool", like="start")
        x, again = x[:len(first)], x[len(first):]
        p, i = [], 0
        for what, target, start in starts:
            out, twin = x[i:i + len(start)], again[i:i + len(start)]
            probs = genkit.predict(copy.deepcopy(reference_cnn()), out)
            p.append({"from": what, "target": target, "p_min": float(probs[:, target].min()),
                      "moved": float((out - start).abs().flatten(1).mean(1).max()),
                      "follows": follows(out, twin, start, nudged(start))})
            i += len(start)
        return {"runs": p}


@dataclass(frozen=True)
class AttackJudged:
    """``kind``: "budget" (the outputs stay within eps and [0, 1]: figures() raised otherwise), "success" (a share
    >= attack_bar() of the 4s read as 9), "fool_nines" / "fool_target" (fool's images come from their starts and reach
    the confidence)."""
    draw: AttackDraw
    kind: str

    def check(self, figures: dict) -> None:
        conf = BARS["fool_confidence"]
        if self.kind == "success" and figures["success"] < attack_bar():
            raise SubmissionError(
                f"against the course's CNN your attack (eps = {ATTACK['eps']}, step size {ATTACK['step_size']}, "
                f"{ATTACK['steps']} steps) turns {figures['success']:.0%} of {figures['images']} held-out 4s into 9s; "
                f"the bar is {attack_bar():.0%}. Lower the cross-entropy of the target class (not raise the loss of "
                "the true class) with the sign of its gradient, and project onto the L-infinity ball: clip each pixel "
                "of x - images to [-eps, eps] (an L2 ball of radius eps is far smaller), then x to [0, 1].")
        for run in figures.get("runs", []):
            wanted = self.kind == "fool_nines" and run["target"] == 9 or self.kind == "fool_target" and run["target"] == 3
            if wanted and (run.get("moved", 0) > FOOL_BUDGET or run.get("follows", 1) < FOOL_FOLLOW):
                raise SubmissionError(
                    f"fool's images from {run['from']} do not come from its start: a pixel moves by {run['moved']:.2f} "
                    f"on average (the budget is {FOOL_BUDGET}), and when the start moves a little the output follows "
                    f"it by {run['follows']:.2f} (a correlation; gradient steps from the start: about 1, the bar "
                    f"{FOOL_FOLLOW}). fool must take small signed-gradient steps from `start` itself, not return "
                    "other images.")
            if wanted and run["p_min"] < conf - 1e-4:
                fix = ("step up the gradient of log p(9 | x) until p(9) >= confidence" if run["target"] == 9
                       else "use `target`")
                raise SubmissionError(f"from {run['from']}, asked for class {run['target']}, the course's CNN gives "
                                      f"that class a probability of only {run['p_min']:.3f} (bar {conf}): {fix}.")


ATTACK_DRAW = AttackDraw("attack", "targeted_attack")
FOOL_DRAW = AttackDraw("fool", "fool")
JUDGED = {
    "attack_budget": AttackJudged(ATTACK_DRAW, "budget"),
    "attack_success": AttackJudged(ATTACK_DRAW, "success"),
    "fool_nines": AttackJudged(FOOL_DRAW, "fool_nines"),
    "fool_target": AttackJudged(FOOL_DRAW, "fool_target"),
}
