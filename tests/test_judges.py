"""The judges the release ships reach their stated accuracy on the real test sets."""
import pytest

from conftest import ROOT  # noqa: F401  (puts the kit on sys.path)
from kit import judges


@pytest.mark.parametrize("name", sorted(judges.SPECS))
def test_shipped_judge_reaches_its_accuracy(name):
    _, _, _, minimum = judges.SPECS[name]
    assert judges.check(name) >= minimum


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_copy_bank_flags_training_images_and_spares_new_ones(dataset):
    """grading.near_copy_share: banked training images (also with a little noise) are copies; real test
    images, which the model has never seen, are not."""
    import torch

    import genkit
    import grading

    train, _ = genkit.load_tensors(dataset, train=True)
    test, _ = genkit.load_tensors(dataset, train=False)
    banked = torch.load(judges.bank_path(dataset), weights_only=True)["indices"][:500]
    copies = train[banked]
    noisy = (copies + 0.01 * torch.randn(copies.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    assert grading.near_copy_share(copies.numpy(), dataset) == 1.0
    assert grading.near_copy_share(noisy.numpy(), dataset) == 1.0
    assert grading.near_copy_share(test[:2000].numpy(), dataset) == 0.0


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_hidden_judge_accuracy_is_read_from_its_checkpoint(dataset):
    """grading.judge_real_accuracy (the wgan bar's denominator) is the accuracy kit.judges measured and stored."""
    import grading

    stored = grading.judge_real_accuracy(dataset)
    assert stored == pytest.approx(judges.check(f"{dataset}_hidden"), abs=1e-6)
