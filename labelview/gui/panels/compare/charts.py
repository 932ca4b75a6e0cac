"""The Compare dock's pictures: the confusion matrix as a clickable heat map, a PR curve."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal

from labelview.evaluation import BACKGROUND, Evaluation

_COLOURS = pg.ColorMap([0.0, 0.15, 1.0], [(250, 250, 250), (255, 200, 140), (200, 40, 30)])


class ConfusionView(pg.GraphicsLayoutWidget):
    """Rows: the reference's classes, columns: the candidate's, background last. Clicking a cell
    emits its (reference class, candidate class); the diagonal is right, the rest are errors.
    """

    cell_clicked = Signal(str, str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setMinimumHeight(220)
        self.plot = self.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setLabel("left", "reference")
        self.plot.setLabel("bottom", "candidate")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.labels: list[str] = []
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self._texts: list[pg.TextItem] = []
        self.scene().sigMouseClicked.connect(self._clicked)

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        for text in self._texts:
            self.plot.removeItem(text)
        self._texts = []
        if evaluation is None:
            self.labels, self.matrix = [], np.zeros((0, 0), dtype=np.int64)
            self.image.clear()
            return
        self.labels = [*evaluation.classes, BACKGROUND]
        self.matrix = evaluation.confusion
        shown = self.matrix.astype(np.float64)
        top = shown.max() if shown.size else 0
        self.image.setImage(
            shown / top if top else shown, levels=(0, 1), lut=_COLOURS.getLookupTable()
        )
        self.image.setRect(0, 0, len(self.labels), len(self.labels))
        ticks = [(i + 0.5, _short(label)) for i, label in enumerate(self.labels)]
        self.plot.getAxis("left").setTicks([ticks])
        self.plot.getAxis("bottom").setTicks([ticks])
        if len(self.labels) <= 16:
            for (row, column), count in np.ndenumerate(self.matrix):
                if count:
                    text = pg.TextItem(str(int(count)), color=(30, 30, 30), anchor=(0.5, 0.5))
                    text.setPos(column + 0.5, row + 0.5)
                    self.plot.addItem(text)
                    self._texts.append(text)
        self.plot.setRange(xRange=(0, len(self.labels)), yRange=(0, len(self.labels)), padding=0)

    def cell_at(self, x: float, y: float) -> tuple[str, str] | None:
        """The (reference, candidate) classes of the cell at view coordinates (x, y)."""
        column, row = int(np.floor(x)), int(np.floor(y))
        if 0 <= row < len(self.labels) and 0 <= column < len(self.labels):
            return self.labels[row], self.labels[column]
        return None

    def _clicked(self, event) -> None:
        point = self.plot.vb.mapSceneToView(event.scenePos())
        cell = self.cell_at(point.x(), point.y())
        if cell is not None:
            self.cell_clicked.emit(*cell)


def _short(label: str, width: int = 12) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


class PrCurve(pg.PlotWidget):
    """Precision against recall at IoU 0.5 for one class (COCO's 101 recall points)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(160)
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.setLabel("bottom", "recall")
        self.setLabel("left", "precision")
        self.setXRange(0, 1, padding=0.02)
        self.setYRange(0, 1, padding=0.02)
        self.curve = self.plot([], [], pen=pg.mkPen((40, 120, 220), width=2))
        self.title = ""

    def show_class(self, evaluation: Evaluation | None, name: str | None) -> None:
        curve = None
        if evaluation is not None and evaluation.ap is not None and name is not None:
            curve = evaluation.ap.pr_curves.get(name)
        if not curve:
            self.curve.setData([], [])
            self.title = f"{name}: no PR curve" if name else ""
        else:
            recall = np.linspace(0, 1, len(curve))
            precision = np.asarray(curve, dtype=np.float64)
            keep = precision >= 0
            self.curve.setData(recall[keep], precision[keep])
            ap50 = evaluation.ap.per_class_50.get(name)  # type: ignore[union-attr]
            self.title = f"{name}: AP50 {ap50:.3f}" if ap50 is not None else name
        self.setTitle(self.title, size="9pt")
