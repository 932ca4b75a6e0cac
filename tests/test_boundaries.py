"""The core never loads Qt: conversion must run headless, in scripts and CI."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_leave_qt_out() -> None:
    code = (
        "import sys, labelview.cli, labelview.convert, labelview.formats, labelview.images;"
        "labelview.formats.FORMATS;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')"
        " or m.startswith('labelview.gui')];"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"core imported GUI modules: {result.stdout}"
