"""Items panel: every item with its status, object count and labeler; filters narrow the list."""

from __future__ import annotations

import heapq
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from labelview.gui.panels.tables import RowsModel, fit_on_resize, row_table, select_quietly
from labelview.gui.session import Session
from labelview.model import Dataset

ANY = "(any)"
NAME_MIN = 72  # the name column never gets narrower than this (it elides in the middle)
# column -> (narrowest it may be squeezed to, widest it grows to), for the columns after Name.
# Status and labeler elide; below ~64 pixels they would read "L…d", so they hide instead
# (labeler first), and their values stay in the tooltip and the status filter.
SQUEEZE = {1: (64, 110), 2: (999, 90), 3: (64, 130), 4: (999, 60)}  # counts never squeeze
HIDE_ORDER = (3, 1)
PADDING = 12  # cell margins + a little air, in pixels
MIN_SECTION = 24


def share_width(available: int, name: int, others: dict[int, int]) -> dict[int, int]:
    """Column widths (0 = hidden) for `available` pixels. The name wants its own width, up to 45%
    of the room; the other columns give way first (down to their SQUEEZE minimum), then the
    labeler and status columns hide. The name takes what is left (at least NAME_MIN).
    """
    wanted = max(NAME_MIN, min(name, int(available * 0.45)))
    widths = {column: min(width, SQUEEZE[column][1]) for column, width in others.items()}
    excess = wanted + sum(widths.values()) - available
    slack = {c: max(0, w - SQUEEZE[c][0]) for c, w in widths.items()}
    total = sum(slack.values())
    cut = min(max(excess, 0), total)
    for column, room in slack.items():
        if total:
            widths[column] -= -(-cut * room // total)  # round up: never leave the name short
    if excess - cut > 0:
        for column in HIDE_ORDER:
            if others.get(column):
                fewer = {c: w for c, w in others.items() if c != column}
                return {column: 0, **share_width(available, name, fewer)}
    widths[0] = max(NAME_MIN, available - sum(widths.values()))
    return widths


class ItemsModel(RowsModel):
    """Rows = dataset items."""

    HEADERS = ("Name", "Status", "Objects", "Labeler", "Issues")
    TITLES = ("Name", "Status", "Objs", "Labeler", "⚠")  # narrow titles for the counts

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.issue_counts: dict[str, int] = {}
        self._categories: list[set[str]] | None = None

    def set_dataset(self, dataset: Dataset | None, issue_counts: dict[str, int]) -> None:
        self.beginResetModel()
        self.dataset = dataset
        self.issue_counts = issue_counts
        self._categories = None
        self.endResetModel()

    def categories_of(self, row: int) -> set[str]:
        """Categories present in item `row` (computed once, on the first category filter)."""
        if self._categories is None:
            items = self.dataset.items if self.dataset else []
            self._categories = [{obj.category for obj in item.objects} for item in items]
        return self._categories[row]

    def row_count(self) -> int:
        return 0 if self.dataset is None else len(self.dataset.items)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return {2: "Objects on the item", 4: "Issues (warnings and errors) on the item"}.get(
                section
            )
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.dataset is None:
            return None
        item = self.dataset.items[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole):
            if column == 0:
                return item.name
            if column == 1:
                return item.status or ""
            if column == 2:
                return len(item.objects)
            if column == 3:
                return item.labeler or ""
            if column == 4:
                return self.issue_counts.get(item.id, 0) or (
                    "" if role != Qt.ItemDataRole.UserRole else 0
                )
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return f"{item.name}\n{item.kind}, id {item.id}"
        if role == Qt.ItemDataRole.ToolTipRole and column in (1, 3):
            return (item.status if column == 1 else item.labeler) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (2, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ItemsFilter(QSortFilterProxyModel):
    """Name text, category, status and has-issues filters."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.text = ""
        self.category = ""
        self.status = ""
        self.issues_only = False
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_filters(self, *, text: str, category: str, status: str, issues_only: bool) -> None:
        # Qt 6.10 replaced invalidateFilter() with a begin/end pair.
        begin = getattr(self, "beginFilterChange", None)
        if begin is not None:
            begin()
        self.text = text.lower()
        self.category = category
        self.status = status
        self.issues_only = issues_only
        if begin is not None:
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        model: ItemsModel = self.sourceModel()  # type: ignore[assignment]
        if model.dataset is None:
            return False
        item = model.dataset.items[row]
        if self.text and self.text not in item.name.lower() and self.text not in item.id.lower():
            return False
        if self.status and (item.status or "") != self.status:
            return False
        if self.issues_only and not model.issue_counts.get(item.id):
            return False
        return not self.category or self.category in model.categories_of(row)


class MiddleElided(QStyledItemDelegate):
    """Elides the text in the middle (keeps a name's distinctive end and its extension)."""

    def initStyleOption(self, option, index) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class ItemsPanel(QWidget):
    """The list of items; selecting a row shows that item."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = ItemsModel(self)
        self.proxy = ItemsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.filter_box = QLineEdit(placeholderText="Filter items by name (Ctrl+F)")
        self.filter_box.setClearButtonEnabled(True)
        self.category_box = QComboBox()
        self.category_box.setToolTip("Only items holding this category")
        self.status_box = QComboBox()
        self.status_box.setToolTip("Only items with this status")
        self.issues_box = QCheckBox("with issues")
        self.table = row_table(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        # Names like 2024-06-28-…-ForetMontmorency-5_0012.jpg differ at the end, not the start.
        self.table.setItemDelegateForColumn(0, MiddleElided(self.table))
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(MIN_SECTION)
        self._natural: dict[int, int] = {}
        self._name_width = 0
        fit_on_resize(self.table, self._fit_columns)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addWidget(self.category_box, 1)
        filters.addWidget(self.status_box, 1)
        filters.addWidget(self.issues_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.filter_box)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        self.filter_box.textChanged.connect(self._apply_filters)
        self.category_box.currentIndexChanged.connect(self._apply_filters)
        self.status_box.currentIndexChanged.connect(self._apply_filters)
        self.issues_box.toggled.connect(self._apply_filters)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        session.loaded.connect(self._reset)
        session.issues_changed.connect(self._issues_changed)
        session.item_changed.connect(self._follow_session)

    def _measure(self) -> None:
        """Natural widths of the columns after Name, from the values they hold (empty = hidden)."""
        dataset = self.session.dataset
        items = dataset.items if dataset is not None else []
        metrics = self.table.fontMetrics()
        header_metrics = self.table.horizontalHeader().fontMetrics()

        def natural(column: int, texts: set[str]) -> int:
            if not texts:
                return 0
            widest = max(metrics.horizontalAdvance(text) for text in texts)
            title = header_metrics.horizontalAdvance(ItemsModel.TITLES[column]) + 10
            return max(widest + PADDING, title, MIN_SECTION)

        counts = self.model.issue_counts
        longest = heapq.nlargest(20, (item.name for item in items), key=len)
        self._name_width = max((metrics.horizontalAdvance(n) for n in longest), default=0)
        self._name_width += PADDING
        self._natural = {
            1: natural(1, {item.status for item in items if item.status}),
            2: natural(2, {f"{max((len(i.objects) for i in items), default=0)}"}) if items else 0,
            3: natural(3, {item.labeler for item in items if item.labeler}),
            4: natural(4, {str(max(counts.values()))} if counts else set()),
        }

    def _fit_columns(self) -> None:
        """Hide the columns nobody filled; share the width so the name stays readable."""
        if not self._natural:
            return
        shown = {column: width for column, width in self._natural.items() if width}
        widths = share_width(max(self.table.viewport().width(), 1), self._name_width, shown)
        for column in range(1, len(ItemsModel.HEADERS)):
            self.table.setColumnHidden(column, not widths.get(column))
        for column, width in widths.items():
            if width:
                self.table.setColumnWidth(column, width)

    def _issue_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for issue in self.session.issues:
            if issue.item is not None:
                counts[issue.item] = counts.get(issue.item, 0) + 1
        return counts

    def _reset(self) -> None:
        dataset = self.session.dataset
        self.model.set_dataset(dataset, self._issue_counts())
        for box, values in (
            (self.category_box, sorted(dataset.categories) if dataset else []),
            (
                self.status_box,
                sorted({i.status for i in dataset.items if i.status}) if dataset else [],
            ),
        ):
            box.blockSignals(True)
            box.clear()
            box.addItem(ANY, "")
            for value in values:
                box.addItem(value, value)
            box.blockSignals(False)
        self._measure()
        self._fit_columns()
        self._apply_filters()

    def _issues_changed(self) -> None:
        self.model.issue_counts = self._issue_counts()
        if self.model.rowCount():
            self.model.dataChanged.emit(
                self.model.index(0, 4), self.model.index(self.model.rowCount() - 1, 4)
            )
        self._measure()
        self._fit_columns()

    def _apply_filters(self) -> None:
        self.proxy.set_filters(
            text=self.filter_box.text(),
            category=self.category_box.currentData() or "",
            status=self.status_box.currentData() or "",
            issues_only=self.issues_box.isChecked(),
        )

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.session.set_item(self.proxy.mapToSource(current).row())

    def _follow_session(self) -> None:
        row = self.session.item_index
        if row < 0 or row >= self.model.rowCount():
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid() or index == self.table.currentIndex().siblingAtColumn(0):
            return
        select_quietly(self.table, index)

    def visible_rows(self) -> list[int]:
        """Source rows passing the filters, in view order (for tests and navigation)."""
        return [
            self.proxy.mapToSource(self.proxy.index(row, 0)).row()
            for row in range(self.proxy.rowCount())
        ]
