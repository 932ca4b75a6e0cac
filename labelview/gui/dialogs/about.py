"""Help ▸ About: name, version, licence and the versions of the libraries the window runs on."""

from __future__ import annotations

import platform

import numpy
import pyqtgraph
import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

import labelview

LICENCE = "MIT"


def about_text() -> str:
    """The About box's text (HTML), also used by tests."""
    return (
        f"<h3>labelview {labelview.__version__}</h3>"
        "<p>Look at and convert annotation exports: Encord, Ango Hub, Dataloop, Segments.ai, "
        "DataGym, COCO, YOLO, Pascal VOC and LabelMe.</p>"
        f"<p>Licence: {LICENCE}</p>"
        "<p><small>"
        f"Qt {qVersion()} · PySide6 {PySide6.__version__} · pyqtgraph {pyqtgraph.__version__} · "
        f"numpy {numpy.__version__} · Python {platform.python_version()}"
        "</small></p>"
    )


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(parent, "About labelview", about_text())
