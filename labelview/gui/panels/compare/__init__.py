"""The Compare dock (see panel.py): a second export scored against the open one."""

from labelview.gui.panels.compare.models import FN_COLOR, FP_COLOR, TP_COLOR, WRONG_COLOR
from labelview.gui.panels.compare.overlay import CompareOverlay
from labelview.gui.panels.compare.panel import ComparePanel, read_export

__all__ = [
    "FN_COLOR",
    "FP_COLOR",
    "TP_COLOR",
    "WRONG_COLOR",
    "CompareOverlay",
    "ComparePanel",
    "read_export",
]
