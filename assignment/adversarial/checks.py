"""The adversarial lab's own checks of its autograder pieces (held-out set, reference CNN, bars), collected by
tests/test_lab_checks.py."""
from __future__ import annotations

import pytest
import torch

from kit import labs


@pytest.fixture(scope="module")
def ga():
    """grading_adversarial; it finds its weights and held-out set in reference/ (grading.data_file)."""
    return labs.get("adversarial").grading


def test_heldout_set_is_fixed_and_small(ga):
    data = ga.heldout()
    assert data["images"].shape == (1000, 1, 28, 28) and data["labels"].shape == (1000,)
    assert data["fours"].shape == (200, 1, 28, 28)
    assert torch.bincount(data["labels"], minlength=10).min() >= 70, "every digit is in the accuracy subset"
    assert ga.data_file(ga.HELDOUT).stat().st_size < 1.5e6


def test_reference_cnn_reads_the_fours_and_train_mode_changes_it(ga):
    ref = ga.reference_cnn()
    fours = ga.heldout()["fours"]
    assert (ga.genkit.predict(ref, fours).argmax(1) == 4).all(), "the held-out 4s are those the reference CNN gets right"
    assert ga.accuracy(ref) >= 0.98
    ref.train()
    torch.manual_seed(0)
    with torch.no_grad():
        changed = (ref(fours) - ref.eval()(fours)).abs().max()
    assert changed > 0.1, "batch norm and dropout must make training mode differ from eval mode"


def test_solution_rate_and_bar_are_measured(ga):
    """The stored solution rate is what the kit's attack (the solution's algorithm) reaches on the held-out 4s."""
    rep = ga.attack_report(ga.reference_attack, ga.reference_cnn(), ga.heldout()["fours"])
    assert rep["success"] == ga.BARS["attack_solution_rate"]
    assert 0 < ga.attack_bar() < rep["success"]


def test_replacing_a_four_by_a_real_nine_scores_nothing(ga):
    test_images, test_labels = ga.genkit.load_tensors("mnist", train=False)
    nines = test_images[test_labels == 9]

    def swap_for_nines(model, images, target, eps, step_size, steps):
        return nines[:len(images)].clone()

    with pytest.raises(AssertionError, match="more than eps"):
        ga.attack_report(swap_for_nines, ga.reference_cnn(), ga.heldout()["fours"])
    with pytest.raises(AssertionError, match=r"\[0, 1\]"):
        ga.check_adversarial(ga.heldout()["fours"] - 0.1, ga.heldout()["fours"], eps=0.2)
