"""Each lab's own checks of its autograder pieces: the test functions and fixtures of assignment/<lab>/checks.py,
collected here with the lab's name in front (test_<lab>__<name>)."""
from __future__ import annotations

import pytest

from conftest import TESTED_LABS

for _lab in TESTED_LABS:
    _checks = _lab.module("checks")
    for _name, _obj in (vars(_checks) if _checks else {}).items():
        if _name.startswith("test_") and callable(_obj):
            globals()[f"test_{_lab.name}__{_name[5:]}"] = _obj
        elif hasattr(_obj, "_pytestfixturefunction") or type(_obj).__name__ == "FixtureFunctionDefinition":
            globals()[_name] = _obj


def test_some_lab_has_checks():
    """The collection above can fail: with no checks found, this file would test nothing."""
    if not any(lab.module("checks") for lab in TESTED_LABS):
        pytest.skip("none of the tested labs has a checks.py")
    assert any(name.startswith("test_") and "__" in name for name in globals())
