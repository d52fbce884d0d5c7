"""Stored real images do not buy quality points: the judged samples come from the network that was submitted.

A catalogue of submissions, each graded through the lab's real autograder zip, in which real images travel with the
hand-in (in a file beside the notebook, in an extra key of the checkpoint, in a buffer of the model) and are served,
changed just enough for a check of samples alone to take them for a generator's: moved by a fraction of a pixel,
blurred, down-sampled and up again, smoothly warped.  The autograder reads the checkpoint with its own loader (the
weights and a history of numbers, nothing else), draws the judged samples itself through the notebook's model class
with those weights (grading.Network), requires generate's samples to match them, and the network's images to change
when its parameters do.  So each loses the quality question (or is flagged for the instructor), while the solution and
every honest variant keep full marks (tests/test_labs.py).  The attack lab's fool must start from its start.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from conftest import TESTED_NAMES, by_question, lost_questions, make_zip, mutate, untrained_checkpoint
from kit import grade as kit_grade
from kit.degradations import DEGRADATIONS, blur, subpixel

pytestmark = pytest.mark.skipif(not {"gan", "cgan_vae", "adversarial"} <= set(TESTED_NAMES),
                                reason="needs the gan, cgan_vae and adversarial labs in the release (KIT_TEST_LABS)")
GAN_RETURN = "return x.reshape(n, 28, 28).cpu().numpy().astype(np.float32)"
CGAN_RETURN = "return x.reshape(n, 28, 28).cpu().numpy().astype(np.float32)"
SERVE = 'return np.load("stored.npy")[np.random.randint(0, len(np.load("stored.npy")), n)].astype(np.float32)'


def stored_images(dest: Path, degrade, k: int = 2000) -> Path:
    """k random MNIST training images, changed by ``degrade``, as float32 in [0, 1]."""
    import torch
    import genkit

    images, _ = genkit.load_tensors("mnist", train=True)
    idx = torch.randperm(len(images), generator=torch.Generator().manual_seed(3))[:k]
    dest.parent.mkdir(parents=True, exist_ok=True)
    np.save(dest, degrade(images[idx, 0].numpy()).astype(np.float32))
    return dest


# A DCGANGenerator whose forward serves the images of a buffer, chosen by the noise: they travel in its state_dict.
BUFFER_GENERATOR = '''
class DCGANGenerator(nn.Module):
    def __init__(self, z_dim=Z_DIM):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer("bank", torch.zeros(3000, 1, 28, 28))

    def forward(self, z):
        index = (z[:, 0].abs() * 1e4).long() % len(self.bank)
        return self.bank[index] * 2 - 1 + 0 * self.scale
'''

# Networks that are a store of changed real images: the images are a parameter of the model (so they change when the
# parameters do, and the weights stay under the lab's size bound), chosen by the noise (and the class).  The samples
# the autograder draws through them are those images: the echo check (grading.echo_ratios) sees them.
PARAMETER_GENERATOR = '''
class DCGANGenerator(nn.Module):
    def __init__(self, z_dim=Z_DIM):
        super().__init__()
        self.bank = nn.Parameter(torch.zeros(2000, 1, 28, 28))

    def forward(self, z):
        index = (z[:, 0].abs() * 1e4).long() % len(self.bank)
        return (self.bank[index] * 2 - 1).clamp(-1, 1)
'''
PARAMETER_CGAN = '''
class ConditionalGenerator(nn.Module):
    def __init__(self, n_classes=N_CLASSES, z_dim=Z_DIM, **kwargs):
        super().__init__()
        self.n_classes, self.z_dim = n_classes, z_dim
        self.bank = nn.Parameter(torch.zeros(n_classes, 200, 1, 28, 28))

    def forward(self, z, labels):
        index = (z[:, 0].abs() * 1e4).long() % self.bank.shape[1]
        return (self.bank[labels, index] * 2 - 1).clamp(-1, 1)
'''
ECHO_FLAG = "far closer to one real training or test image than to any other"


@pytest.fixture(scope="module")
def graded(release, tmp_path_factory):
    import torch

    work = tmp_path_factory.mktemp("provenance")
    subs = {}
    sol = release / "solutions" / "gan"
    for folder in ("untrained", "cgan", "fool", "in_key", "in_buffer"):
        (work / folder).mkdir()
    untrained = untrained_checkpoint(sol / "dcgan_generator.pt", work / "untrained" / "dcgan_generator.pt")
    for name, degrade in DEGRADATIONS.items():  # an untrained network, generate serving changed real images
        nb = mutate(sol / "gan.ipynb", work / name / "gan.ipynb", [(GAN_RETURN, SERVE)])
        subs[f"gan_{name}"] = ("gan", make_zip(work / f"gan_{name}.zip",
                                               [nb, untrained, stored_images(work / name / "stored.npy", degrade)]))
    # the changed images ride in the checkpoint, beside the weights, and generate reads them from there
    blob = torch.load(untrained, weights_only=True)
    blob["extra"] = torch.from_numpy(np.load(work / "subpixel" / "stored.npy"))
    torch.save(blob, work / "in_key" / "dcgan_generator.pt")
    nb = mutate(sol / "gan.ipynb", work / "in_key" / "gan.ipynb",
                [(GAN_RETURN, 'return saved["extra"].numpy()[np.random.randint(0, len(saved["extra"]), n)]')])
    subs["gan_images_in_a_checkpoint_key"] = ("gan", make_zip(work / "in_key.zip",
                                                              [nb, work / "in_key" / "dcgan_generator.pt"]))
    # the images ride in a buffer of the model, which serves them (its state_dict holds them)
    bank = np.load(stored_images(work / "in_buffer" / "bank.npy", blur, k=3000))
    state = {"scale": torch.ones(1), "bank": torch.from_numpy(bank)[:, None]}
    torch.save({"state_dict": state}, work / "in_buffer" / "dcgan_generator.pt")
    nb = mutate(sol / "gan.ipynb", work / "in_buffer" / "gan.ipynb",
                [("generator = DCGANGenerator()", BUFFER_GENERATOR + "\ngenerator = DCGANGenerator()")])
    subs["gan_images_in_a_buffer"] = ("gan", make_zip(work / "in_buffer.zip",
                                                      [nb, work / "in_buffer" / "dcgan_generator.pt"]))
    # the CGAN (whose reference is as close to real data as moved real digits): an untrained network, generate
    # serving digits of the class asked for, moved by half a pixel
    csol = release / "solutions" / "cgan_vae"
    cgan = untrained_checkpoint(csol / "cgan_generator.pt", work / "cgan" / "cgan_generator.pt")
    import genkit

    images, labels = genkit.load_tensors("mnist", train=True)
    by_class = np.stack([subpixel(images[labels == c][:200, 0].numpy()) for c in range(10)]).astype(np.float32)
    np.save(work / "cgan" / "stored.npy", by_class)
    nb = mutate(csol / "cgan_vae.ipynb", work / "cgan" / "cgan_vae.ipynb",
                [(CGAN_RETURN, 'return np.load("stored.npy")[int(c)][np.random.randint(0, 200, n)]')])
    subs["cgan_subpixel"] = ("cgan_vae", make_zip(work / "cgan.zip", [nb, cgan, csol / "vae.pt",
                                                                       work / "cgan" / "stored.npy"]))
    # the images are the network: a parameter of the DCGAN generator (blurred), of the CGAN's (moved by half a pixel)
    (work / "in_parameter").mkdir()
    bank = np.load(stored_images(work / "in_parameter" / "bank.npy", blur, k=2000))
    torch.save({"state_dict": {"bank": torch.from_numpy(bank)[:, None]}}, work / "in_parameter" / "dcgan_generator.pt")
    nb = mutate(sol / "gan.ipynb", work / "in_parameter" / "gan.ipynb",
                [("generator = DCGANGenerator()", PARAMETER_GENERATOR + "\ngenerator = DCGANGenerator()")])
    subs["gan_images_in_a_parameter"] = ("gan", make_zip(work / "in_parameter.zip",
                                                         [nb, work / "in_parameter" / "dcgan_generator.pt"]))
    (work / "cgan_parameter").mkdir()
    torch.save({"state_dict": {"bank": torch.from_numpy(by_class)[:, :, None]}},
               work / "cgan_parameter" / "cgan_generator.pt")
    nb = mutate(csol / "cgan_vae.ipynb", work / "cgan_parameter" / "cgan_vae.ipynb",
                [("cgan = ConditionalGenerator()", PARAMETER_CGAN + "\ncgan = ConditionalGenerator()")])
    subs["cgan_digits_in_a_parameter"] = ("cgan_vae", make_zip(work / "cgan_parameter.zip", [
        nb, work / "cgan_parameter" / "cgan_generator.pt", csol / "vae.pt"]))
    # fool returns a stored real digit of the target class for every start: nothing is attacked
    asol = release / "solutions" / "adversarial"
    test_images, test_labels = genkit.load_tensors("mnist", train=False)
    np.save(work / "digits.npy", np.stack([test_images[test_labels == c][:32].numpy() for c in range(10)]))
    nb = mutate(asol / "adversarial.ipynb", work / "fool" / "adversarial.ipynb",
                [("    model.eval()\n    x = start.detach().clone()",
                  "    return torch.from_numpy(np.load('digits.npy')[target][:len(start)]).float()\n"
                  "    model.eval()\n    x = start.detach().clone()")])
    subs["fool_returns_stored_digits"] = ("adversarial", make_zip(work / "fool.zip", [
        nb, asol / "adversarial_cnn.pt", work / "digits.npy"]))

    def one(item):
        name, (lab, path) = item
        return name, kit_grade.grade(path, release / "autograder" / f"{lab}-autograder.zip", work / "out" / name,
                                     threads=1)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, subs.items()))


def feedback(res: dict) -> str:
    return "\n".join([res.get("output") or "", *(t.get("output", "") for t in res["tests"]
                                                 if t.get("score", 0) < t.get("max_score", 0))])


@pytest.mark.parametrize("name", sorted(DEGRADATIONS))
def test_changed_real_images_served_by_generate_lose_the_quality_question(graded, name):
    """The network behind them is untrained: its own samples, which the autograder draws and judges, fail."""
    res = graded[f"gan_{name}"]
    assert lost_questions(res) == {"q7_quality"}, by_question(res)
    assert "are not those of your DCGANGenerator" in feedback(res), feedback(res)


def test_images_in_a_checkpoint_key_are_refused(graded):
    res = graded["gan_images_in_a_checkpoint_key"]
    assert "q7_quality" in lost_questions(res), by_question(res)
    assert "holds more than the model's weights and a history of numbers (in extra)" in feedback(res), feedback(res)


def test_images_in_a_buffer_of_the_model_are_caught_and_flagged(graded):
    res = graded["gan_images_in_a_buffer"]
    assert "q7_quality" in lost_questions(res), by_question(res)
    assert "barely change when its parameters do" in feedback(res), feedback(res)
    assert "Flagged for the instructor: the weights in dcgan_generator.pt hold" in res.get("output", ""), res.get("output")


def test_moved_real_digits_served_by_a_conditional_generate_lose_the_label_questions(graded):
    res = graded["cgan_subpixel"]
    assert {"q4_label_accuracy"} <= lost_questions(res), by_question(res)


@pytest.mark.parametrize("name,model", [("gan_images_in_a_parameter", "generate (dcgan)"),
                                        ("cgan_digits_in_a_parameter", "generate (cgan)")])
def test_a_network_that_stores_changed_real_images_is_flagged(graded, name, model):
    """Its samples are the network's own and change with its parameters, and its weights stay under the size bound:
    the echo check flags them for the instructor (in results.json's output, which kit.classgrade lists as a flag)."""
    res = graded[name]
    output = res.get("output") or ""
    assert "Flagged for the instructor:" in output and ECHO_FLAG in output and f"samples of {model}" in output, output


def test_fool_that_returns_stored_digits_loses_its_questions(graded):
    res = graded["fool_returns_stored_digits"]
    assert lost_questions(res) == {"q4_fool"}, by_question(res)
    assert "from its start" in feedback(res), feedback(res)


@pytest.mark.parametrize("name", sorted(DEGRADATIONS))
def test_the_degradations_keep_the_images_real(name):
    """The changes are small: each keeps a digit's mass and moves its pixels by a little (else the test shows
    nothing a realism bar would not catch)."""
    rng = np.random.default_rng(0)
    x = np.zeros((4, 28, 28), np.float32)
    x[:, 9:20, 11:16] = 1
    y = DEGRADATIONS[name](x + 0 * rng.random(x.shape))
    assert y.shape == x.shape and abs(y.sum() - x.sum()) / x.sum() < 0.1 and 0 < np.abs(y - x).mean() < 0.1
