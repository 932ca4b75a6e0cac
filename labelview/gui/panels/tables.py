"""What the panels' tables share: a model over a list of rows, a read-only row-select view, quiet
row selection, and column fitting when the table resizes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QTableView


class RowsModel(QAbstractTableModel):
    """A flat table model: `row_count()` rows, one column per HEADERS entry.

    The header shows TITLES when a subclass sets them (narrow titles), else HEADERS; subclasses
    add header roles by overriding headerData and falling back to this one.
    """

    HEADERS: tuple[str, ...] = ()
    TITLES: tuple[str, ...] = ()
    rows: list[Any]

    def row_count(self) -> int:
        """How many rows the model holds (`len(self.rows)`; override when they live elsewhere)."""
        return len(self.rows)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self.TITLES or self.HEADERS)[section]
        return None


def row_table(model: QAbstractItemModel, *, single: bool = True) -> QTableView:
    """A read-only table of `model` that selects whole rows (one at a time unless single=False),
    with 22-pixel rows and no row numbers.
    """
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    return table


def select_quietly(table: QTableView, index: QModelIndex) -> None:
    """Select (and scroll to) the row of `index` without emitting selection signals, so following
    the session does not echo back into it; an invalid index clears the selection.
    """
    selection = table.selectionModel()
    selection.blockSignals(True)
    if index.isValid():
        selection.setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        table.scrollTo(index)
    else:
        selection.clear()
    selection.blockSignals(False)
    table.viewport().update()  # blocked signals skip the repaint of the selection


class _ResizeWatcher(QObject):
    def __init__(self, table: QTableView, fit: Callable[[], None]) -> None:
        super().__init__(table)
        self.fit = fit
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False


def fit_on_resize(table: QTableView, fit: Callable[[], None]) -> None:
    """Call `fit()` whenever the table's viewport changes size (to share out column widths)."""
    _ResizeWatcher(table, fit)
