"""COCO panoptic in the window: its file filter, opening a real panoptic file, the Convert dialog's
format choices and targets.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import drop
from PySide6.QtWidgets import QComboBox, QFileDialog

from labelview import formats
from labelview.gui.dialogs.convert import ConvertDialog

PANOPTIC = Path(__file__).resolve().parents[1] / "data" / "coco_panoptic" / "panopticapi"


def test_the_open_dialog_offers_every_readable_formats_suffix(window, monkeypatch) -> None:
    offered = []

    def fake(parent, caption, start, filters):
        offered.append(filters)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake)
    window.choose_file()
    [filters] = offered
    for suffix in formats.get("coco_panoptic").suffixes:
        assert f"*{suffix}" in filters.split(";;")[0]


def test_the_window_opens_a_panoptic_file_with_its_masks(qtbot, window, tmp_path: Path) -> None:
    shutil.copytree(PANOPTIC, tmp_path / "p")
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        drop(window, [tmp_path / "p" / "panoptic_examples.json"])
    dataset = window.session.dataset
    assert dataset.format == "coco_panoptic"
    assert window.items_panel.model.rowCount() == 2
    assert [obj.kind for obj in window.session.shown_objects()] == ["mask"] * 18


def test_the_convert_dialog_detects_and_writes_coco_panoptic(qtbot, settings, tmp_path) -> None:
    dialog = ConvertDialog(settings=settings)
    qtbot.addWidget(dialog)
    dialog.out_edit.setText(str(tmp_path / "out"))
    shutil.copytree(PANOPTIC, tmp_path / "p")
    source = tmp_path / "p" / "panoptic_examples.json"
    drop(dialog.drop_area, [source])
    assert dialog.inputs.format_of(0) == "coco_panoptic"
    combo = dialog.inputs.cellWidget(0, 1)
    assert isinstance(combo, QComboBox)
    assert combo.currentText() == "COCO panoptic"
    assert dialog.target_boxes["coco_panoptic"].text() == "COCO panoptic"
    dialog.set_targets(["coco_panoptic"])
    with qtbot.waitSignal(dialog.conversion_finished, timeout=30_000) as signal:
        assert dialog.start()
    [outcome] = signal.args[0]
    assert outcome.error == ""
    written = json.loads((tmp_path / "out" / "panoptic_examples" / "panoptic.json").read_text())
    assert sum(len(ann["segments_info"]) for ann in written["annotations"]) == 50
