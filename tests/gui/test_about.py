"""Help ▸ About names the version (from its one place), the licence and the libraries."""

from __future__ import annotations

import pyqtgraph
import PySide6

import labelview
from labelview.gui.dialogs.about import about_text


def test_about_text_has_version_licence_and_library_versions() -> None:
    text = about_text()
    assert f"labelview {labelview.__version__}" in text
    assert "Licence: MIT" in text
    assert f"PySide6 {PySide6.__version__}" in text
    assert f"pyqtgraph {pyqtgraph.__version__}" in text


def test_help_menu_has_about(window) -> None:
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    assert "&Help" in menus
    assert [a.text() for a in menus["&Help"].actions()] == ["&About labelview"]
