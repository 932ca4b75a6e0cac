"""Issues panel: every located warning and error; a click jumps to the item/object."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QVBoxLayout, QWidget

from labelview.errors import Issue
from labelview.gui.panels.items import MiddleElided
from labelview.gui.panels.tables import RowsModel, row_table
from labelview.gui.session import Session

CAPS = {1: 220, 2: 240, 4: 200}  # widest the File, Where and Item columns grow (pixels)


class IssuesModel(RowsModel):
    HEADERS = ("Level", "File", "Where", "Message", "Item")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.issues: list[Issue] = []
        self.names: dict[str, str] = {}

    def set_issues(self, issues: list[Issue], names: dict[str, str] | None = None) -> None:
        """Show `issues`; `names` maps item ids to the names the Items panel shows."""
        self.beginResetModel()
        self.issues = list(issues)
        self.names = names or {}
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.issues)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        issue = self.issues[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            item = self.names.get(issue.item, issue.item) if issue.item else ""
            return (issue.level, issue.file, issue.where, issue.message, item)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(issue) + (f"\nitem id {issue.item}" if issue.item else "")
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            return QColor(200, 40, 40) if issue.level == "error" else QColor(190, 120, 0)
        return None


class IssuesPanel(QWidget):
    """A table of issues (reader warnings, load failures, display problems)."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = IssuesModel(self)
        self.table = row_table(self.model, single=False)
        self.table.setWordWrap(False)
        # A long file name or item id must not squeeze the message: they elide in the middle.
        self._middle = MiddleElided(self.table)
        for column in CAPS:
            self.table.setItemDelegateForColumn(column, self._middle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.table)
        self.table.clicked.connect(self._jump)
        self.table.activated.connect(self._jump)
        session.issues_changed.connect(self.refresh)

    def refresh(self) -> None:
        """Show the session's issues; file, where and item columns fit their text up to a cap."""
        dataset = self.session.dataset
        names = {item.id: item.name for item in dataset.items} if dataset is not None else {}
        self.model.set_issues(self.session.issues, names)
        for column, cap in CAPS.items():
            self.table.resizeColumnToContents(column)
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), cap))

    def _jump(self, index: QModelIndex) -> None:
        if index.isValid():
            self.session.jump_to(self.model.issues[index.row()])
