"""Compare dock: a second export of the same images (predictions, another labeler) scored
against the open one with `labelview.evaluation` — per-class precision / recall / F1 and AP that
follow the Review dock's confidence slider, a clickable confusion matrix, a PR curve per class,
the errors to walk with E / Shift+E, and the images worst first.
"""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QSettings, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from labelview import formats, images
from labelview.evaluation import BACKGROUND, Evaluation, PictureResult, evaluate
from labelview.formats.base import ReadContext, TaskControl
from labelview.gui.panels.compare.charts import ConfusionView, PrCurve
from labelview.gui.panels.compare.models import (
    FN_COLOR,
    FP_COLOR,
    TP_COLOR,
    WRONG_COLOR,
    ClassesModel,
    CompareModel,
    ErrorRow,
    ErrorsModel,
    error_rows,
)
from labelview.gui.panels.compare.overlay import CompareOverlay
from labelview.gui.panels.tables import row_table
from labelview.gui.tasks import Task
from labelview.model import Dataset


def read_export(path: Path, control: TaskControl) -> Dataset:
    """Read the second export (runs on the worker)."""
    control.stage(f"Reading {path.name}")
    dataset = formats.read(path, ctx=ReadContext(file=path, control=control))
    images.resolve(dataset, cancel=control)
    return dataset


def _items(count: int) -> str:
    return f"{count:,} image" + ("s" if count != 1 else "")


def _stretch_first(table) -> None:
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, table.model().columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)


class ComparePanel(QWidget):
    """Second export, IoU threshold, scores per class, confusion, errors and images."""

    item_requested = Signal(int)  # reference dataset item index
    picture_requested = Signal(int, object)  # reference item index, frame (or None)
    object_requested = Signal(object)  # an ObjectLabel of the open export to select and zoom to
    comparison_changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, settings: QSettings | None = None):
        super().__init__(parent)
        self.settings = settings
        self.reference: Dataset | None = None
        self.candidate: Dataset | None = None
        self.evaluation: Evaluation | None = None
        self.score = 0.0
        self.overlay: CompareOverlay | None = None
        self.task: Task | None = None
        self._index_of: dict[int, int] = {}  # id(reference item) → its index
        self._ap_cache: tuple[int, int, object] | None = None
        self._cell: tuple[str, str] | None = None

        self.load_button = QPushButton("Load second export…")
        self.load_button.setToolTip(
            "Predictions or another labeler's export of the same images (paired by file name, "
            "frame by frame for videos)"
        )
        self.load_button.clicked.connect(self._choose)
        self.source_label = QLabel("Nothing to compare yet.")
        self.source_label.setWordWrap(True)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.05, 0.95)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setValue(0.5)
        self.threshold.setToolTip(
            "Objects match when their IoU (OKS for keypoints) is at least this"
        )
        self.threshold.valueChanged.connect(self.recompute)
        self.progress = QProgressBar()
        self.progress.hide()
        self.totals_label = QLabel()
        self.totals_label.setWordWrap(True)
        self.score_label = QLabel()
        self.score_label.setWordWrap(True)
        self.legend = QLabel(
            f"<span style='color:{TP_COLOR.name()}'>━ match</span> &nbsp; "
            f"<span style='color:{FP_COLOR.name()}'>╌ FP extra</span> &nbsp; "
            f"<span style='color:{FN_COLOR.name()}'>┈ FN missed</span> &nbsp; "
            f"<span style='color:{WRONG_COLOR.name()}'>-· wrong class</span>"
        )
        self.legend.setWordWrap(True)
        # Typing in the IoU box or dragging the slider: score once the value settles.
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(120)
        self._pending.timeout.connect(self.recompute)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._classes_tab(), "Classes")
        self.tabs.addTab(self._confusion_tab(), "Confusion")
        self.tabs.addTab(self._errors_tab(), "Errors")
        self.tabs.addTab(self._images_tab(), "Images")

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
        layout.addWidget(self.score_label)
        layout.addWidget(self.legend)
        layout.addWidget(self.tabs, 1)
        self._show_score()

    # --- tabs ----------------------------------------------------------------------------------

    def _classes_tab(self) -> QWidget:
        self.classes_model = ClassesModel(self)
        self.classes_table = row_table(self.classes_model)
        _stretch_first(self.classes_table)
        self.classes_table.horizontalHeader().setMinimumSectionSize(28)
        self.classes_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.classes_table.selectionModel().currentRowChanged.connect(self._class_chosen)
        self.pr_curve = PrCurve()
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.classes_table, 2)
        layout.addWidget(self.pr_curve, 1)
        return page

    def _confusion_tab(self) -> QWidget:
        self.confusion = ConfusionView()
        self.confusion.cell_clicked.connect(self.filter_errors)
        hint = QLabel("Click a cell to list its objects in Errors.")
        hint.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.confusion, 1)
        layout.addWidget(hint)
        return page

    def _errors_tab(self) -> QWidget:
        self.errors_model = ErrorsModel(self)
        self.errors_table = row_table(self.errors_model)
        self.errors_table.setSortingEnabled(True)
        self.errors_table.horizontalHeader().setSortIndicatorShown(False)
        _stretch_first(self.errors_table)
        header = self.errors_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.errors_table.selectionModel().currentRowChanged.connect(self._error_chosen)
        self.errors_label = QLabel()
        self.errors_label.setWordWrap(True)
        self.all_errors = QPushButton("All errors")
        self.all_errors.setToolTip("Undo the confusion-matrix filter")
        self.all_errors.clicked.connect(lambda: self.filter_errors(None, None))
        self.all_errors.hide()
        row = QHBoxLayout()
        row.addWidget(self.errors_label, 1)
        row.addWidget(self.all_errors)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.errors_table, 1)
        return page

    def _images_tab(self) -> QWidget:
        self.both_only = QCheckBox("Only images both exports have")
        self.both_only.setChecked(True)
        self.both_only.setToolTip(
            "Images missing from one export count all their objects as FN or FP; "
            "list them too by unticking this"
        )
        self.both_only.toggled.connect(self._fill_images)
        self.model = CompareModel(self)
        self.table = row_table(self.model)
        _stretch_first(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.one_sided_label = QLabel()
        self.one_sided_label.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.both_only)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.one_sided_label)
        return page

    # --- inputs --------------------------------------------------------------------------------

    def attach(self, view: pg.ViewBox) -> None:
        """Draw the match outlines into `view` (the canvas's ViewBox)."""
        self.overlay = CompareOverlay(view)

    def set_reference(self, dataset: Dataset | None) -> None:
        """The open export (ground truth, or the first labeler)."""
        self.reference = dataset
        items = dataset.items if dataset is not None else []
        self._index_of = {id(item): index for index, item in enumerate(items)}
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

    def set_score(self, score: float) -> None:
        """The confidence threshold (the Review dock's slider): candidates below it do not count."""
        if score != self.score:
            self.score = score
            self._show_score()
            if self.evaluation is not None:
                self._pending.start()

    def _show_score(self) -> None:
        self.score_label.setText(
            f"Candidates with confidence ≥ {self.score:.2f} count (the Review dock's slider); "
            "AP uses them all."
        )

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

    # --- scoring -------------------------------------------------------------------------------

    def recompute(self) -> None:
        """Score again (after a new export, IoU threshold or confidence threshold)."""
        self._pending.stop()
        if self.reference is None or self.candidate is None:
            self.evaluation = None
            self._show(None)
            return
        key = (id(self.reference), id(self.candidate))
        cached = self._ap_cache is not None and self._ap_cache[:2] == key
        evaluation = evaluate(
            self.reference,
            self.candidate,
            iou=self.threshold.value(),
            score=self.score,
            average_precision=not cached,
        )
        if cached:
            evaluation.ap = self._ap_cache[2]  # AP does not depend on either threshold
        else:
            self._ap_cache = (*key, evaluation.ap)
        self.evaluation = evaluation
        self._show(evaluation)
        self.comparison_changed.emit()

    def _show(self, evaluation: Evaluation | None) -> None:
        self.classes_model.set_evaluation(evaluation)
        self.confusion.set_evaluation(evaluation)
        self._fill_images()
        self.filter_errors(*(self._cell or (None, None)))
        selected = self.classes_table.currentIndex()
        self._class_chosen(selected, QModelIndex())
        if evaluation is None:
            self.totals_label.setText("")
            if self.overlay is not None:
                self.overlay.clear()
            return
        t = evaluation.totals
        text = (
            f"<b style='color:{TP_COLOR.name()}'>TP {t.tp:,}</b> &nbsp; "
            f"<b style='color:{FP_COLOR.name()}'>FP {t.fp:,}</b> &nbsp; "
            f"<b style='color:{FN_COLOR.name()}'>FN {t.fn:,}</b> &nbsp; "
            f"precision {t.precision or 0:.3f}, recall {t.recall or 0:.3f}"
        )
        if evaluation.wrong_class:
            text += f", {evaluation.wrong_class:,} wrong class"
        if evaluation.ap is not None:
            text += f"<br>mAP@[.5:.95] {evaluation.ap.mean_ap:.3f}, AP50 "
            text += f"{evaluation.ap.stats['AP50']:.3f} ({evaluation.ap.iou_type})"
        self.totals_label.setText(text)

    def _fill_images(self) -> None:
        rows = self.evaluation.worst(len(self.evaluation.pictures)) if self.evaluation else []
        rows += [p for p in (self.evaluation.pictures if self.evaluation else []) if not p.errors]
        only_ref = sum(1 for row in rows if row.pair.candidate is None)
        only_cand = sum(1 for row in rows if row.pair.reference is None)
        if self.both_only.isChecked():
            rows = [
                r for r in rows if r.pair.reference is not None and r.pair.candidate is not None
            ]
        self.model.set_rows(rows)
        notes = []
        if only_ref:
            notes.append(f"{_items(only_ref)} only in the open export (their objects are FN)")
        if only_cand:
            notes.append(f"{_items(only_cand)} only in the second (their objects are FP)")
        self.one_sided_label.setText("; ".join(notes))

    # --- errors --------------------------------------------------------------------------------

    def filter_errors(self, reference: str | None, candidate: str | None) -> None:
        """List the errors of one confusion cell (both None: every error)."""
        rows = error_rows(self.evaluation)
        self._cell = (reference, candidate) if reference is not None else None
        if self._cell is not None:
            rows = [row for row in rows if _in_cell(row, reference, candidate)]
            self.errors_label.setText(
                f"{len(rows):,} in reference {reference} × candidate {candidate}"
            )
            self.all_errors.show()
            self.tabs.setCurrentIndex(2)
        else:
            self.errors_label.setText(f"{len(rows):,} errors; E / Shift+E: next / previous")
            self.all_errors.hide()
        self.errors_model.set_rows(rows)
        if self._cell is not None and rows:
            self.errors_table.selectRow(0)

    def step_error(self, step: int) -> None:
        """Show the next (+1) or previous (-1) error of the list."""
        count = self.errors_model.rowCount()
        if not count:
            return
        current = self.errors_table.currentIndex().row()
        row = (current + step) % count if current >= 0 else (0 if step > 0 else count - 1)
        self.errors_table.selectRow(row)

    def _error_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        error: ErrorRow = self.errors_model.rows[current.row()]
        self._request(error.picture)
        shown = error.reference if error.reference is not None else None
        if shown is not None and error.picture.pair.reference is not None:
            self.object_requested.emit(shown)
        elif error.candidate is not None:
            self.object_requested.emit(error.candidate)

    # --- following the window ------------------------------------------------------------------

    def of_item(self, index: int, frame: int | None = None) -> PictureResult | None:
        """The scoring of reference item `index` (at `frame`, or its first picture)."""
        if self.evaluation is None or self.reference is None:
            return None
        if not 0 <= index < len(self.reference.items):
            return None
        item = self.reference.items[index]
        first = None
        for result in self.evaluation.pictures:
            picture = result.pair.reference
            if picture is not None and picture.item is item:
                if picture.frame == frame:
                    return result
                first = first or result
        return first if frame is None else None

    def show_item(self, index: int, frame: int | None = None) -> None:
        """Outline the matches of reference item `index` (at `frame`) on the attached canvas."""
        if self.overlay is not None:
            self.overlay.show(self.of_item(index, frame), frame)

    def _request(self, result: PictureResult) -> None:
        picture = result.pair.reference
        if picture is None:
            return
        index = self._index_of.get(id(picture.item))
        if index is not None:
            self.item_requested.emit(index)
            self.picture_requested.emit(index, picture.frame)

    def _row_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._request(self.model.rows[current.row()])

    def _class_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rows = self.classes_model.rows
        name = None
        if current.isValid() and current.row() < len(rows) - 1:
            name = rows[current.row()][0].name
        elif self.evaluation is not None and self.evaluation.classes:
            name = self.evaluation.classes[0]
        self.pr_curve.show_class(self.evaluation, name)


def _in_cell(row: ErrorRow, reference: str, candidate: str) -> bool:
    """Whether an error belongs to the confusion cell (reference class, candidate class)."""
    if row.kind == "FP":
        return reference == BACKGROUND and row.candidate.category == candidate  # type: ignore[union-attr]
    if row.kind == "FN":
        return candidate == BACKGROUND and row.reference.category == reference  # type: ignore[union-attr]
    ref, cand = row.reference.category, row.candidate.category  # type: ignore[union-attr]
    return ref == reference and cand == candidate
