"""GUI fixtures: isolated settings, a window, datasets built from the model, pixel probes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from labelview import formats
from labelview.formats.base import Confidence, Detection, Format
from labelview.gui.main_window import MainWindow
from labelview.model import (
    Answer,
    ArrayMask,
    Box,
    Dataset,
    Ellipse,
    Frame,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Skeleton,
    StageEvent,
)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
YELLOW, MAGENTA, CYAN = (255, 255, 0), (255, 0, 255), (0, 255, 255)
ORANGE, WHITE, PURPLE = (255, 128, 0), (255, 255, 255), (128, 0, 255)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path):
    """Every QSettings of the test lives in tmp_path (never the user's real settings)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    return tmp_path


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "labelview.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings) -> MainWindow:
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    return win


def shapes_dataset() -> Dataset:
    """One 200×100 item holding every shape kind, each category a pure colour."""
    ds = Dataset(format="test")
    for name, color in (
        ("box", RED),
        ("rotated", GREEN),
        ("polygon", BLUE),
        ("line", YELLOW),
        ("ellipse", MAGENTA),
        ("mask", CYAN),
        ("point", ORANGE),
    ):
        ds.category(name, color=color)
    ds.category("person", color=PURPLE, skeleton=Skeleton(names=("a", "b", "c"), edges=((0, 1),)))
    mask = np.zeros((100, 200), dtype=bool)
    mask[70:95, 160:195] = True
    objects = [
        ObjectLabel("box", Box(0, 0, 50, 25), id="box"),
        ObjectLabel("rotated", RotatedBox(30, 70, 40, 16, 90), id="rotated"),
        ObjectLabel(
            "polygon",
            Polygon.from_points(
                [[60, 5], [120, 5], [120, 55], [60, 55]],
                holes=[[[80, 20], [100, 20], [100, 40], [80, 40]]],
            ),
            id="polygon",
        ),
        ObjectLabel("line", Polyline.from_points([[60, 80], [140, 80]]), id="line"),
        ObjectLabel("ellipse", Ellipse(150, 30, 12, 6, 0), id="ellipse"),
        ObjectLabel("mask", Mask(100, 200, ArrayMask(mask)), id="mask"),
        ObjectLabel("point", Point(190, 8), id="point"),
        ObjectLabel(
            "person",
            Keypoints.from_lists([[10, 40], [40, 40], [20, 45]], [2, 2, 0]),
            id="person",
            attributes=[Answer("pose", "standing", children=[Answer("arms", "up")])],
        ),
    ]
    item = Item(
        id="shapes",
        name="shapes.png",
        width=200,
        height=100,
        objects=objects,
        classifications=[
            Answer(
                "weather",
                "rain",
                children=[Answer("strength", "light", children=[Answer("visible", True)])],
            ),
            Answer("tags", ["night", "urban"]),
        ],
        history=[
            StageEvent("Review", "rev@x.org", "accepted", "2024-03-02T10:00:00Z", 30),
            StageEvent("Label", "ann@x.org", "submitted", "2024-03-01T09:00:00Z", 125),
        ],
        status="COMPLETED",
        labeler="ann@x.org",
    )
    ds.items.append(item)
    second = Item(
        id="second",
        name="second.png",
        width=100,
        height=100,
        objects=[ObjectLabel("box", Box(50, 50, 40, 40), id="b2")],
        status="QUEUED",
    )
    ds.items.append(second)
    return ds


def video_dataset() -> Dataset:
    """A 3-frame video: a box that moves right frame by frame, and a frame-level answer."""
    ds = Dataset(format="test")
    ds.category("car", color=RED)
    objects = [
        ObjectLabel("car", Box(10 + 60 * k, 10, 30, 30), id=f"car-{k}", frame=k, track="car")
        for k in range(3)
    ]
    item = Item(
        id="video",
        name="clip.mp4",
        kind="video",
        width=200,
        height=60,
        frames=[Frame(index=k, width=200, height=60) for k in range(3)],
        objects=objects,
        classifications=[
            Answer("light", "day", frames=(0, 0)),
            Answer("light", "dusk", frames=(1, 2)),
        ],
    )
    ds.items.append(item)
    return ds


def asymmetric_image(path: Path) -> Path:
    """A 200×100 grey PNG with a red block at the top-left only."""
    pixels = np.full((100, 200, 3), 90, dtype=np.uint8)
    pixels[0:25, 0:50] = RED
    Image.fromarray(pixels).save(path)
    return path


def pixel(canvas, x: float, y: float) -> QColor:
    """The colour the canvas shows at image point (x, y)."""
    image = canvas.viewport().grab().toImage()
    scene = canvas.view.mapViewToScene(QPointF(x, y))
    point = canvas.mapFromScene(scene)
    return image.pixelColor(point.x(), point.y())


def near(color: QColor, rgb: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color.getRgb()[:3], rgb, strict=True))


def click(qtbot, canvas, x: float, y: float) -> None:
    """A real left click on the canvas at image point (x, y)."""
    scene = canvas.view.mapViewToScene(QPointF(x, y))
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(scene))


def drop(widget, paths: list[Path]) -> None:
    """A real drag-enter and drop of `paths` on `widget`; both events must be accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        QPoint(10, 10), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(10, 10), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)
    assert event.isAccepted()


class GatedFormat:
    """A fake registered format whose reader pauses after its first progress report until the
    test opens the gate: cancel tests then never race the reader.
    """

    def __init__(self) -> None:
        self.gate = threading.Event()

    def read(self, path: Path, ctx) -> Dataset:
        lines = path.read_text().splitlines()
        ds = Dataset()
        for index, line in enumerate(lines):
            ds.items.append(Item(id=str(index), name=line))
            if index % 100 == 0:
                ctx.progress(index, len(lines))
                if index == 0:
                    self.gate.wait(10)
                ctx.check_cancelled()
        return ds

    def format(self) -> Format:
        return Format(
            name="gated",
            title="Gated test format",
            suffixes=(".gated",),
            detect=lambda probe: Detection(
                Confidence.CERTAIN if probe.suffix == ".gated" else Confidence.NO, "test suffix"
            ),
            read=self.read,
        )


@pytest.fixture
def gated(monkeypatch) -> GatedFormat:
    fake = GatedFormat()
    monkeypatch.setitem(formats.FORMATS, "gated", fake.format())
    yield fake
    fake.gate.set()
