"""Items panel: every item with its status, object count and labeler; filters narrow the list."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labelview.gui.session import Session
from labelview.model import Dataset

ANY = "(any)"


class ItemsModel(QAbstractTableModel):
    """Rows = dataset items."""

    HEADERS = ("Name", "Status", "Objects", "Labeler", "Issues")

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

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.dataset is None else len(self.dataset.items)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

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
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, ItemsModel.HEADERS.__len__()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
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
        self._apply_filters()

    def _issues_changed(self) -> None:
        self.model.issue_counts = self._issue_counts()
        if self.model.rowCount():
            self.model.dataChanged.emit(
                self.model.index(0, 4), self.model.index(self.model.rowCount() - 1, 4)
            )

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
        selection = self.table.selectionModel()
        selection.blockSignals(True)
        selection.setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        selection.blockSignals(False)
        self.table.viewport().update()
        self.table.scrollTo(index)

    def visible_rows(self) -> list[int]:
        """Source rows passing the filters, in view order (for tests and navigation)."""
        return [
            self.proxy.mapToSource(self.proxy.index(row, 0)).row()
            for row in range(self.proxy.rowCount())
        ]
