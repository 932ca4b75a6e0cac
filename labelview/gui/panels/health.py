"""The Statistics dock's Health section: `labelview check` in the window.

The rules of `labelview.health` run on a worker when asked (a million objects take a while);
the findings are listed errors first, and a click shows the item and selects the object.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from labelview import health
from labelview.formats.base import TaskControl
from labelview.gui.panels.tables import RowsModel, row_table
from labelview.gui.tasks import Task
from labelview.model import Dataset

LEVEL_COLORS = {"error": QColor(220, 50, 40), "warning": QColor(200, 120, 0), "info": None}


class FindingsModel(RowsModel):
    HEADERS = ("Level", "Where", "What")  # the rule is in each row's tooltip

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[health.Finding] = []

    def set_rows(self, rows: list[health.Finding]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        finding = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            where = finding.item_name or ""
            if finding.frame is not None:
                where += f" frame {finding.frame}"
            if finding.object is not None:
                where += f" object {finding.object}"
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{finding.rule}: {where.strip()}: {finding.message}"
            return (finding.level, where.strip(), finding.message)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 0:
            return LEVEL_COLORS[finding.level]
        return None


def _check(dataset: Dataset, control: TaskControl) -> list[health.Finding]:
    control.stage("Checking the export's health")
    return health.check(dataset)


class HealthPanel(QWidget):
    """A Check button, the counts per level and the findings; a click asks for the finding."""

    finding_requested = Signal(object)  # health.Finding

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.task: Task | None = None
        self.button = QPushButton("Check health")
        self.button.setToolTip(
            "Boxes outside the image, duplicates, degenerate polygons, missing images, declared "
            "sizes that differ from the files… (the same rules as `labelview check`)"
        )
        self.button.clicked.connect(lambda: self.run())
        self.summary = QLabel("Not checked yet.")
        self.summary.setWordWrap(True)
        self.model = FindingsModel(self)
        self.table = row_table(self.model)
        header = self.table.horizontalHeader()
        # Where and What share the narrow dock; long item names are cut in the middle.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.selectionModel().currentRowChanged.connect(self._chosen)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Health</b>"))
        top.addStretch(1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def set_dataset(self, dataset: Dataset | None) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self.dataset = dataset
        self.model.set_rows([])
        self.summary.setText("Not checked yet." if dataset is not None else "")
        self.button.setEnabled(dataset is not None)

    def run(self, *, wait: bool = False) -> None:
        """Check the dataset on a worker (here with wait=True)."""
        if self.dataset is None:
            return
        dataset = self.dataset
        task = Task(lambda control: _check(dataset, control), self)
        task.finished.connect(self._done)
        task.failed.connect(lambda message: self.summary.setText(f"⚠ Check failed: {message}"))
        self.task = task
        self.summary.setText("Checking…")
        self.button.setEnabled(False)
        task.start(wait=wait)

    def _done(self, findings: list[health.Finding]) -> None:
        if self.sender() is not None and self.sender() is not self.task:
            return
        self.task = None
        self.button.setEnabled(True)
        self.model.set_rows(findings)
        self.summary.setText(
            health.counts_text(findings) + ("" if findings else " — nothing to report")
        )

    def _chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.finding_requested.emit(self.model.rows[current.row()])
