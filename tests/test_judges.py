"""The judges the release ships reach their stated accuracy on the real test sets."""
import pytest

from conftest import ROOT  # noqa: F401  (puts the kit on sys.path)
from kit import judges


@pytest.mark.parametrize("name", sorted(judges.SPECS))
def test_shipped_judge_reaches_its_accuracy(name):
    _, _, _, minimum = judges.SPECS[name]
    assert judges.check(name) >= minimum
