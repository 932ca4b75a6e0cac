"""A toolbar button with a menu of checkable values: the Review dock's multi-choice filters."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import (
    Signal,
)
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QMenu,
    QToolButton,
    QWidget,
)


class ChoiceFilter(QToolButton):
    """A drop-down of checkable values; nothing unchecked means "all"."""

    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(QMenu(self))
        self.values: list[str] = []
        self.actions_by_value: dict[str, QAction] = {}
        self.set_values([])

    def set_values(self, values: Iterable[str], labels: dict[str, str] | None = None) -> None:
        menu = self.menu()
        menu.clear()
        self.values = list(values)
        self.actions_by_value = {}
        every = menu.addAction("All")
        every.triggered.connect(self.clear)
        menu.addSeparator()
        for value in self.values:
            action = menu.addAction((labels or {}).get(value, value or "(none)"))
            action.setCheckable(True)
            action.toggled.connect(self._toggled)
            self.actions_by_value[value] = action
        self.setEnabled(bool(self.values))
        self._caption()

    def chosen(self) -> frozenset[str] | None:
        """The ticked values, or None for all."""
        ticked = frozenset(v for v, a in self.actions_by_value.items() if a.isChecked())
        return ticked or None

    def set_chosen(self, values: Iterable[str] | None) -> None:
        wanted = set(values or ())
        for value, action in self.actions_by_value.items():
            action.blockSignals(True)
            action.setChecked(value in wanted)
            action.blockSignals(False)
        self._caption()
        self.changed.emit()

    def clear(self) -> None:
        self.set_chosen(None)

    def _toggled(self) -> None:
        self._caption()
        self.changed.emit()

    def _caption(self) -> None:
        chosen = self.chosen()
        if chosen is None:
            text = "all"
        elif len(chosen) == 1:
            text = next(iter(chosen)) or "(none)"
        else:
            text = f"{len(chosen)} of {len(self.values)}"
        self.setText(f"{self.title}: {text}")
