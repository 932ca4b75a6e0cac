"""Label Studio and Labelbox exports in the window and the Convert dialog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import drop
from PySide6.QtWidgets import QFileDialog

from labelview.gui.dialogs.convert import ConvertDialog

DATA = Path(__file__).resolve().parents[1] / "data"
LABEL_STUDIO = DATA / "label_studio" / "rotated_boxes.json"
LABELBOX = DATA / "labelbox" / "labelformat_boxes.ndjson"


@pytest.fixture
def dialog(qtbot, settings, tmp_path: Path) -> ConvertDialog:
    dlg = ConvertDialog(settings=settings)
    qtbot.addWidget(dlg)
    dlg.out_edit.setText(str(tmp_path / "out"))
    dlg.set_targets(["coco"])
    return dlg


def test_the_convert_dialog_detects_both_and_converts_them(qtbot, dialog, tmp_path) -> None:
    inputs = [Path(shutil.copy(p, tmp_path / p.name)) for p in (LABEL_STUDIO, LABELBOX)]
    drop(dialog.drop_area, inputs)
    assert [dialog.inputs.format_of(i) for i in range(2)] == ["label_studio", "labelbox"]
    assert dialog.problem() == ""
    with qtbot.waitSignal(dialog.conversion_finished, timeout=20000) as signal:
        assert dialog.start()
    assert [outcome.error for outcome in signal.args[0]] == ["", ""]
    written = {}
    for source in inputs:
        coco = next((tmp_path / "out" / source.stem).rglob("*.json"))
        written[source.name] = len(json.loads(coco.read_text())["annotations"])
    assert written == {"rotated_boxes.json": 25, "labelformat_boxes.ndjson": 16}


def test_the_open_dialogs_offer_ndjson(monkeypatch, window, dialog) -> None:
    filters: list[str] = []

    def one(_parent, _title, _start, wanted):
        filters.append(wanted)
        return "", ""

    def many(_parent, _title, _start, wanted):
        filters.append(wanted)
        return [], ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", one)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", many)
    window.choose_file()
    dialog._choose_files()
    assert len(filters) == 2
    assert all("*.ndjson" in f and "*.json" in f and "*.xml" in f for f in filters)


def test_the_window_opens_a_labelbox_export(qtbot, window) -> None:
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        assert window.open_path(LABELBOX)
    assert window.session.dataset.format == "labelbox"
    assert window.session.dataset.object_count == 16
