"""Objects panel: the objects of the shown item/frame; selection follows the canvas both ways."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QVBoxLayout, QWidget

from labelview.gui.canvas.palette import color_for, swatch
from labelview.gui.panels.tables import RowsModel, fit_on_resize, row_table, select_quietly
from labelview.gui.session import Session
from labelview.model import Dataset, ObjectLabel

SCAN_LIMIT = 200_000  # objects looked at to learn which columns the dataset fills
PADDING = 12
CATEGORY_MIN = 70


def shape_text(kind: str) -> str:
    """A geometry kind as the Shape column shows it."""
    return "(no shape)" if kind == "none" else kind.replace("_", " ")


def filled_columns(dataset: Dataset | None) -> dict[int, set[str]]:
    """For the Shape/Confidence/Source/Track/ID columns: sample texts of what the dataset holds
    (an empty set = nobody fills it); scans at most SCAN_LIMIT objects.
    """
    found: dict[int, set[str]] = {1: set(), 2: set(), 3: set(), 4: set(), 5: set()}
    if dataset is None:
        return found
    seen = 0
    for item in dataset.items:
        for obj in item.objects:
            found[1].add(obj.kind)
            if obj.confidence is not None and not found[2]:
                found[2].add("0.000")
            if obj.source:
                found[3].add(obj.source)
            if obj.track and len(found[4]) < 50:
                found[4].add(obj.track)
            if obj.id and len(found[5]) < 50:
                found[5].add(obj.id)
        seen += len(item.objects)
        if seen > SCAN_LIMIT:
            break
    found[1] = {shape_text(kind) for kind in found[1]}
    return found


class ObjectsModel(RowsModel):
    """Rows = objects on the current frame."""

    HEADERS = ("Category", "Shape", "Confidence", "Source", "Track", "ID")
    TITLES = ("Category", "Shape", "Score", "Source", "Track", "ID")  # narrow titles

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

    def row_count(self) -> int:
        return len(self.objects)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return self.HEADERS[section]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        obj = self.objects[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return obj.category
            if column == 1:
                return shape_text(obj.kind)
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
        if role == Qt.ItemDataRole.ToolTipRole and column in (0, 4, 5):
            return (obj.category, obj.track, obj.id)[(0, 4, 5).index(column)] or None
        if role == Qt.ItemDataRole.ForegroundRole and (
            obj.category in self.session.hidden or (column == 1 and obj.geometry is None)
        ):
            return QColor(140, 140, 140)
        return None


class ObjectsPanel(QWidget):
    """A table of the shown objects; clicking a row selects the object on the canvas."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = ObjectsModel(session, self)
        # No row numbers (row_table): they cost 20-40 pixels the category column needs more.
        self.table = row_table(self.model)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setMinimumSectionSize(24)
        # Widths come from what the dataset holds, not ResizeToContents: that would measure
        # every row of a 20k-object item.
        self._natural: dict[int, int] = {}
        fit_on_resize(self.table, self._fit_columns)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        session.item_changed.connect(self._reset)
        session.objects_filtered.connect(self._reset)
        session.loaded.connect(self._measure)
        session.loaded.connect(self._reset)
        session.visibility_changed.connect(self._restyle)
        session.selection_changed.connect(self._follow_selection)

    def _measure(self) -> None:
        """Natural column widths from the dataset's categories and values; unfilled columns hide."""
        dataset = self.session.dataset
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader().fontMetrics()

        def natural(column: int, texts: set[str] | list[str], extra: int = 0) -> int:
            if not texts:
                return 0
            title = header.horizontalAdvance(ObjectsModel.TITLES[column]) + 10
            return max(max(metrics.horizontalAdvance(t) for t in texts) + PADDING + extra, title)

        found = filled_columns(dataset)
        names = list(dataset.categories) if dataset is not None else []
        self._natural = {0: natural(0, names or ["Category"], extra=18)}  # 18: the swatch
        found[1] = found[1] or {"polygon"}  # the shape column always shows
        for column, texts in found.items():
            self._natural[column] = min(natural(column, texts), 160)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Shape, score and source at their width; the category takes the rest (it elides)."""
        if not self._natural:
            return
        for column, width in self._natural.items():
            self.table.setColumnHidden(column, column > 0 and not width)
        for column in range(1, len(ObjectsModel.HEADERS)):
            if self._natural[column]:
                self.table.setColumnWidth(column, self._natural[column])
        first = sum(self._natural[c] for c in (1, 2, 3))
        room = self.table.viewport().width() - first
        self.table.setColumnWidth(0, max(CATEGORY_MIN, min(self._natural[0], room)))

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
        select_quietly(self.table, self.model.index(self.model.row_of(obj), 0))

    def selected_row(self) -> int:
        """The selected row, or -1."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1
