"""Shared fixtures: where the real samples are, and isolated Qt settings for GUI tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
SAMPLES = TESTS.parent.parent / "shared" / "samples"


@pytest.fixture
def samples() -> Path:
    """../shared/samples beside the project; the test is skipped (with the reason) when it is
    absent.
    """
    if not SAMPLES.is_dir():
        pytest.skip(f"real samples not available: {SAMPLES} does not exist")
    return SAMPLES


@pytest.fixture
def data() -> Path:
    """tests/data: the project's own small hand-made fixtures."""
    return DATA
