"""Objects panel: the objects of the shown item/frame; selection follows the canvas both ways."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from labelview.gui.canvas.palette import color_for, swatch
from labelview.gui.session import Session
from labelview.model import ObjectLabel


class ObjectsModel(QAbstractTableModel):
    """Rows = objects on the current frame."""

    HEADERS = ("Category", "Shape", "Confidence", "Source", "Track", "ID")

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.objects: list[ObjectLabel] = []
        self._rows: dict[int, int] = {}

    def set_objects(self, objects: list[ObjectLabel]) -> None:
        self.beginResetModel()
        self.objects = objects
        self._rows = {id(obj): row for row, obj in enumerate(objects)}
        self.endResetModel()

    def row_of(self, obj: ObjectLabel | None) -> int:
        return -1 if obj is None else self._rows.get(id(obj), -1)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.objects)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        obj = self.objects[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return obj.category
            if column == 1:
                return obj.kind.replace("_", " ")
            if column == 2:
                return "" if obj.confidence is None else f"{obj.confidence:.3f}"
            if column == 3:
                return obj.source or ""
            if column == 4:
                return obj.track or ""
            return obj.id or ""
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            dataset = self.session.dataset
            category = dataset.categories.get(obj.category) if dataset else None
            return swatch(color_for(category, obj.category))
        if role == Qt.ItemDataRole.ForegroundRole and obj.category in self.session.hidden:
            return QColor(140, 140, 140)
        return None


class ObjectsPanel(QWidget):
    """A table of the shown objects; clicking a row selects the object on the canvas."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = ObjectsModel(session, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # Fixed widths: ResizeToContents would measure every row of a 20k-object item.
        for column, width in enumerate((150, 90, 80, 60, 60)):
            self.table.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        session.item_changed.connect(self._reset)
        session.loaded.connect(self._reset)
        session.visibility_changed.connect(self._restyle)
        session.selection_changed.connect(self._follow_selection)

    def _reset(self) -> None:
        self.model.set_objects(self.session.shown_objects())
        self._follow_selection(self.session.selected)

    def _restyle(self) -> None:
        if self.model.rowCount():
            last = self.model.index(self.model.rowCount() - 1, self.model.columnCount() - 1)
            self.model.dataChanged.emit(self.model.index(0, 0), last)

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.session.select(self.model.objects[current.row()])

    def _follow_selection(self, obj: ObjectLabel | None) -> None:
        row = self.model.row_of(obj)
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        if row < 0:
            selection.clear()
        else:
            index = self.model.index(row, 0)
            selection.setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(index)
        selection.blockSignals(False)
        self.table.viewport().update()

    def selected_row(self) -> int:
        """The selected row, or -1."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1
