"""The Compare dock's tables: images worst first, the per-class scores, the errors to walk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from labelview.evaluation import Evaluation, PictureResult
from labelview.gui.panels.tables import RowsModel
from labelview.model import ObjectLabel

TP_COLOR = QColor(40, 200, 90)
FP_COLOR = QColor(235, 60, 50)
FN_COLOR = QColor(255, 170, 0)
WRONG_COLOR = QColor(190, 90, 255)
LOOSE_IOU = 0.75  # a match below this IoU is listed as a loose one: right class, sloppy outline

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or value < 0 else f"{value:.{digits}f}"


class CompareModel(RowsModel):
    """Pictures (images, or frames of a video) of a comparison, worst first."""

    HEADERS = ("Image", "TP", "FP", "FN")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[PictureResult] = []

    def set_rows(self, rows: list[PictureResult]) -> None:
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
        counts = _counts(row)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                pair = row.pair
                side = (
                    " (only in the second)"
                    if pair.reference is None
                    else " (missing in the second)"
                    if pair.candidate is None
                    else ""
                )
                return pair.name + side
            return counts[column - 1]
        if role == Qt.ItemDataRole.ForegroundRole and column > 0 and counts[column - 1]:
            return (TP_COLOR, FP_COLOR, FN_COLOR)[column - 1]
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return _RIGHT
        return None


def _counts(row: PictureResult) -> tuple[int, int, int]:
    m = row.matches
    return (
        len(m.true_positives),
        len(m.false_positives) + len(m.wrong_class),
        len(m.false_negatives) + len(m.wrong_class),
    )


class ClassesModel(RowsModel):
    """Per-class TP / FP / FN, precision, recall, F1 and AP; the totals last."""

    HEADERS = ("Class", "TP", "FP", "FN", "Precision", "Recall", "F1", "AP@[.5:.95]")
    TITLES = ("Class", "TP", "FP", "FN", "P", "R", "F1", "AP")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[Any, float | None, float | None]] = []

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        self.beginResetModel()
        self.rows = []
        if evaluation is not None:
            ap = evaluation.ap
            for name in evaluation.classes:
                values = (ap.per_class.get(name), ap.per_class_50.get(name)) if ap else (None,) * 2
                self.rows.append((evaluation.rows[name], *values))
            overall = (ap.stats["AP"], ap.stats["AP50"]) if ap else (None, None)
            self.rows.append((evaluation.totals, *overall))
        self.endResetModel()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return self.HEADERS[section]
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, ap, ap50 = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            # Two decimals: the dock is narrow; the tooltip has the rest.
            values = (
                row.name,
                row.tp,
                row.fp,
                row.fn,
                _num(row.precision, 2),
                _num(row.recall, 2),
                _num(row.f1, 2),
                _num(ap, 2),
            )
            return values[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{row.name}: {row.references:,} reference, {row.candidates:,} candidate objects\n"
                f"precision {_num(row.precision)}, recall {_num(row.recall)}, F1 {_num(row.f1)}\n"
                f"AP@[.5:.95] {_num(ap)}, AP50 {_num(ap50)}"
            )
        if role == Qt.ItemDataRole.FontRole and index.row() == len(self.rows) - 1:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return _RIGHT
        return None


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """One thing a reviewer should look at: a FP, a FN, a wrong class or a loose match."""

    kind: str  # "FP", "FN", "wrong class", "loose"
    picture: PictureResult
    reference: ObjectLabel | None
    candidate: ObjectLabel | None
    iou: float | None

    @property
    def shown(self) -> ObjectLabel:
        """The object to select on the canvas: the reference's where there is one."""
        return self.reference or self.candidate  # type: ignore[return-value]

    @property
    def classes(self) -> str:
        if self.kind == "wrong class":
            return f"{self.reference.category} → {self.candidate.category}"  # type: ignore[union-attr]
        return self.shown.category

    @property
    def confidence(self) -> float | None:
        return self.candidate.confidence if self.candidate is not None else None


def error_rows(evaluation: Evaluation | None) -> list[ErrorRow]:
    """Every error of an evaluation: the most confident wrong answers first, misses last."""
    if evaluation is None:
        return []
    rows: list[ErrorRow] = []
    for picture in evaluation.pictures:
        m = picture.matches
        rows += [ErrorRow("FP", picture, None, c, None) for c in m.false_positives]
        rows += [ErrorRow("wrong class", picture, r, c, iou) for r, c, iou in m.wrong_class]
        rows += [
            ErrorRow("loose", picture, r, c, iou)
            for r, c, iou in m.true_positives
            if iou < LOOSE_IOU
        ]
        rows += [ErrorRow("FN", picture, r, None, None) for r in m.false_negatives]

    def key(row: ErrorRow) -> tuple:
        confidence = row.confidence if row.confidence is not None else -1.0
        return (-confidence, row.iou if row.iou is not None else 2.0, row.picture.pair.name)

    return sorted(rows, key=key)


KIND_COLORS = {"FP": FP_COLOR, "FN": FN_COLOR, "wrong class": WRONG_COLOR, "loose": TP_COLOR}


class ErrorsModel(RowsModel):
    """The errors to walk with E / Shift+E; sortable by confidence or IoU."""

    HEADERS = ("Kind", "Class", "Confidence", "IoU", "Image")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[ErrorRow] = []

    def set_rows(self, rows: list[ErrorRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        keys = {
            0: lambda r: r.kind,
            1: lambda r: r.classes,
            2: lambda r: r.confidence if r.confidence is not None else -1.0,
            3: lambda r: r.iou if r.iou is not None else -1.0,
            4: lambda r: r.picture.pair.name,
        }
        self.beginResetModel()
        self.rows.sort(key=keys[column], reverse=order == Qt.SortOrder.DescendingOrder)
        self.endResetModel()

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                row.kind,
                row.classes,
                _num(row.confidence),
                _num(row.iou),
                row.picture.pair.name,
            )
            return values[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return KIND_COLORS[row.kind]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (2, 3):
            return _RIGHT
        return None
