"""Compare dock: load a second export of the same images (predictions, another labeler), match
objects by IoU, list items worst first and outline true positives, false positives and false
negatives on the canvas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labelview import formats, images
from labelview.compare import Comparison, ItemComparison, compare, item_key
from labelview.formats.base import ReadContext, TaskControl
from labelview.gui.canvas import layers
from labelview.gui.panels.tables import RowsModel, row_table
from labelview.gui.tasks import Task
from labelview.model import Dataset, ObjectLabel

TP_COLOR = QColor(40, 200, 90)
FP_COLOR = QColor(235, 60, 50)
FN_COLOR = QColor(255, 170, 0)
Z_COMPARE = (layers.Z_POINT + layers.Z_TEXT) / 2  # over the labels, under their names


def read_export(path: Path, control: TaskControl) -> Dataset:
    """Read the second export (runs on the worker)."""
    control.stage(f"Reading {path.name}")
    dataset = formats.read(path, ctx=ReadContext(file=path, control=control))
    images.resolve(dataset, cancel=control)
    return dataset


class CompareModel(RowsModel):
    """Items of a comparison, worst first."""

    HEADERS = ("Item", "TP", "FP", "FN")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[ItemComparison] = []

    def set_rows(self, rows: list[ItemComparison]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ForegroundRole:
            return (None, TP_COLOR, FP_COLOR, FN_COLOR)[section]
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                missing = (
                    " (only in the second)"
                    if row.reference is None
                    else " (missing in the second)"
                    if row.candidate is None
                    else ""
                )
                return row.name + missing
            return (
                len(row.true_positives),
                len(row.false_positives),
                len(row.false_negatives),
            )[column - 1]
        if role == Qt.ItemDataRole.ForegroundRole and column > 0:
            counts = (row.true_positives, row.false_positives, row.false_negatives)
            if counts[column - 1]:
                return (TP_COLOR, FP_COLOR, FN_COLOR)[column - 1]
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class CompareOverlay:
    """TP / FP / FN outlines drawn into a pyqtgraph ViewBox (the canvas's) on top of the labels."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.items = {}
        for key, color, style in (
            ("tp", TP_COLOR, Qt.PenStyle.SolidLine),
            ("fp", FP_COLOR, Qt.PenStyle.DashLine),
            ("fn", FN_COLOR, Qt.PenStyle.DotLine),
        ):
            item = layers.path_item(
                QPainterPath(), layers.cosmetic_pen(color, 2.5, style), None, Z_COMPARE
            )
            view.addItem(item)
            self.items[key] = item
        self.paths: dict[str, int] = {}

    def show(self, comparison: ItemComparison | None, frame: int | None = None) -> None:
        """Outline the matches of one item (None clears)."""
        groups: dict[str, list[ObjectLabel]] = {"tp": [], "fp": [], "fn": []}
        if comparison is not None:
            groups["tp"] = [cand for _ref, cand, _iou in comparison.true_positives]
            groups["fp"] = list(comparison.false_positives)
            groups["fn"] = list(comparison.false_negatives)
        for key, objects in groups.items():
            path = QPainterPath()
            shown = 0
            for obj in objects:
                if frame is not None and obj.frame not in (None, frame):
                    continue
                outline = _outline(obj)
                if not outline.isEmpty():
                    path.addPath(outline)
                    shown += 1
            self.items[key].setPath(path)
            self.paths[key] = shown

    def clear(self) -> None:
        self.show(None)

    def remove(self) -> None:
        for item in self.items.values():
            self.view.removeItem(item)


def _items(count: int) -> str:
    return f"{count:,} item" + ("s" if count != 1 else "")


def _outline(obj: ObjectLabel) -> QPainterPath:
    outline = layers.outline_path(obj.geometry)
    if outline.isEmpty() and obj.geometry is not None:
        # Points and keypoints: a small box around them, so a miss is visible too.
        try:
            x0, y0, x1, y1 = obj.geometry.bounds()
        except (AttributeError, ValueError, TypeError):
            return outline
        outline.addRect(x0 - 3, y0 - 3, x1 - x0 + 6, y1 - y0 + 6)
    return outline


class ComparePanel(QWidget):
    """Second export, IoU threshold, per-item disagreements worst first."""

    item_requested = Signal(int)  # reference dataset item index
    comparison_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings
        self.reference: Dataset | None = None
        self.candidate: Dataset | None = None
        self.comparison: Comparison | None = None
        self.overlay: CompareOverlay | None = None
        self.task: Task | None = None
        self._index_of: dict[str, int] = {}

        self.load_button = QPushButton("Load second export…")
        self.load_button.setToolTip(
            "Predictions or another labeler's export of the same images (matched by file name)"
        )
        self.load_button.clicked.connect(self._choose)
        self.source_label = QLabel("Nothing to compare yet.")
        self.source_label.setWordWrap(True)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.05, 0.95)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(0.5)
        self.threshold.setToolTip("Objects of one category match when their IoU is at least this")
        self.threshold.valueChanged.connect(self.recompute)
        self.both_only = QCheckBox("Only items both exports have")
        self.both_only.setChecked(True)
        self.both_only.setToolTip(
            "Items missing from one export count all their objects as FN or FP; "
            "list them too by unticking this"
        )
        self.both_only.toggled.connect(self._fill)
        self.one_sided_label = QLabel()
        self.one_sided_label.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.hide()
        self.totals_label = QLabel()
        self.totals_label.setWordWrap(True)
        self.legend = QLabel(
            f"<span style='color:{TP_COLOR.name()}'>━ TP match</span> &nbsp; "
            f"<span style='color:{FP_COLOR.name()}'>╌ FP only in the second</span> &nbsp; "
            f"<span style='color:{FN_COLOR.name()}'>┈ FN missed by the second</span>"
        )
        self.model = CompareModel(self)
        self.table = row_table(self.model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)

        top = QHBoxLayout()
        top.addWidget(self.load_button)
        top.addStretch(1)
        top.addWidget(QLabel("IoU ≥"))
        top.addWidget(self.threshold)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.source_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.totals_label)
        layout.addWidget(self.legend)
        layout.addWidget(self.both_only)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.one_sided_label)

    # --- inputs --------------------------------------------------------------------------------

    def attach(self, view: pg.ViewBox) -> None:
        """Draw TP/FP/FN outlines into `view` (the canvas's ViewBox)."""
        self.overlay = CompareOverlay(view)

    def set_reference(self, dataset: Dataset | None) -> None:
        """The open export (ground truth, or the first labeler)."""
        self.reference = dataset
        self._index_of = (
            {item_key(item): index for index, item in enumerate(dataset.items)}
            if dataset is not None
            else {}
        )
        self.recompute()

    def set_candidate(self, dataset: Dataset | None) -> None:
        """The export compared against the open one."""
        self.candidate = dataset
        if dataset is not None and dataset.source is not None:
            self.source_label.setText(
                f"Comparing with {Path(dataset.source).name} ({dataset.format}): "
                f"{len(dataset.items):,} items, {dataset.object_count:,} objects"
            )
        self.recompute()

    def load(self, path: Path, *, wait: bool = False) -> None:
        """Read the second export on a worker (here with wait=True), then compare."""
        if self.task is not None:
            self.task.cancel()
        task = Task(lambda control: read_export(Path(path), control), self)
        task.progress.connect(self._progress)
        task.finished.connect(self._loaded)
        task.failed.connect(self._failed)
        self.task = task
        self.progress.setRange(0, 0)
        self.progress.show()
        self.source_label.setText(f"Reading {Path(path).name}…")
        task.start(wait=wait)

    def _choose(self) -> None:
        start = str(self.settings.value("compare/last", "") or "") if self.settings else ""
        name, _ = QFileDialog.getOpenFileName(self, "Export to compare with", start)
        if name:
            if self.settings is not None:
                self.settings.setValue("compare/last", str(Path(name).parent))
            self.load(Path(name))

    def _progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))

    def _loaded(self, dataset: Dataset) -> None:
        if self.sender() is not None and self.sender() is not self.task:
            return
        self.task = None
        self.progress.hide()
        self.set_candidate(dataset)

    def _failed(self, message: str) -> None:
        if self.sender() is not None and self.sender() is not self.task:
            return
        self.task = None
        self.progress.hide()
        self.source_label.setText(f"⚠ Could not read: {message}")

    # --- comparing -----------------------------------------------------------------------------

    def recompute(self) -> None:
        """Match again (after a new export or threshold)."""
        if self.reference is None or self.candidate is None:
            self.comparison = None
            self.model.set_rows([])
            self.totals_label.setText("")
            self.one_sided_label.setText("")
            if self.overlay is not None:
                self.overlay.clear()
            return
        self.comparison = compare(self.reference, self.candidate, threshold=self.threshold.value())
        self._fill()
        totals = self.comparison.totals
        tp, fp, fn = totals["tp"], totals["fp"], totals["fn"]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        self.totals_label.setText(
            f"<b style='color:{TP_COLOR.name()}'>TP {tp:,}</b> &nbsp; "
            f"<b style='color:{FP_COLOR.name()}'>FP {fp:,}</b> &nbsp; "
            f"<b style='color:{FN_COLOR.name()}'>FN {fn:,}</b> &nbsp; "
            f"precision {precision:.3f}, recall {recall:.3f}"
        )
        self.comparison_changed.emit()

    def _fill(self) -> None:
        if self.comparison is None:
            return
        rows = self.comparison.worst_first()
        only_ref = sum(1 for row in rows if row.candidate is None)
        only_cand = sum(1 for row in rows if row.reference is None)
        if self.both_only.isChecked():
            rows = [row for row in rows if row.reference is not None and row.candidate is not None]
        self.model.set_rows(rows)
        notes = []
        if only_ref:
            notes.append(f"{_items(only_ref)} only in the open export (their objects are FN)")
        if only_cand:
            notes.append(f"{_items(only_cand)} only in the second (their objects are FP)")
        self.one_sided_label.setText("; ".join(notes))

    def of_item(self, index: int) -> ItemComparison | None:
        """The comparison of reference item `index`."""
        if self.comparison is None or self.reference is None:
            return None
        if not 0 <= index < len(self.reference.items):
            return None
        item = self.reference.items[index]
        for row in self.comparison.items:
            if row.reference is item:
                return row
        return None

    def show_item(self, index: int, frame: int | None = None) -> None:
        """Outline the matches of reference item `index` on the attached canvas."""
        if self.overlay is not None:
            self.overlay.show(self.of_item(index), frame)

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        row = self.model.rows[current.row()]
        if row.reference is not None:
            index = self._index_of.get(item_key(row.reference))
            if index is not None:
                self.item_requested.emit(index)
