"""CVAT XML in the window and the Convert dialog: opened from the file dialog's filter, detected
as an input, offered as a target with its images/video mode, and converted as a user would.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFileDialog

from labelview import formats
from labelview.gui.dialogs.convert import ConvertDialog

VIDEO = Path(__file__).resolve().parents[1] / "data" / "cvat" / "dagshub_sample_video.xml"


def test_the_open_dialog_offers_cvat_files_and_the_window_opens_one(
    monkeypatch, qtbot, window, tmp_path
) -> None:
    source = Path(shutil.copy(VIDEO, tmp_path / "annotations.xml"))
    seen = {}

    def fake_open(parent, caption, start, filters):
        seen["filters"] = filters
        return str(source), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        window.choose_file()
    exports = seen["filters"].split(";;")[0]
    assert all(f"*{suffix}" in exports for suffix in formats.get("cvat").suffixes)
    assert window.session.dataset is not None
    assert window.session.dataset.format == "cvat"
    assert window.session.dataset.object_count == 9


def test_convert_dialog_detects_cvat_and_writes_cvat_video(qtbot, settings, tmp_path) -> None:
    source = Path(shutil.copy(VIDEO, tmp_path / "annotations.xml"))
    dialog = ConvertDialog(settings=settings)
    qtbot.addWidget(dialog)
    dialog.out_edit.setText(str(tmp_path / "out"))
    dialog.add_inputs([source])
    assert dialog.inputs.format_of(0) == "cvat"
    assert "cvat" in dialog.target_boxes
    dialog.set_targets(["cvat"])
    mode = dialog.forms["cvat"].fields["mode"]
    assert isinstance(mode, QComboBox)
    mode.setCurrentIndex(mode.findData("video"))
    assert dialog.start(wait=True)
    written = next((tmp_path / "out").rglob("annotations.xml"))
    assert len(ET.parse(written).getroot().findall("track")) == 2
