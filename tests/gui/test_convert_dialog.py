"""The Convert dialog: real drops, options reaching the writer, cancel, batch and the report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import drop
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit

from labelview import formats, review
from labelview.formats.coco import CocoOptions
from labelview.formats.yolo import YoloOptions
from labelview.gui.dialogs.convert import ConvertDialog
from labelview.gui.dialogs.convert_parts import ERROR_COLOR
from labelview.gui.dialogs.options_form import OptionsForm

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "gui" / "two_images.coco.json"


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return Path(shutil.copy(FIXTURE, tmp_path / "export.json"))


@pytest.fixture
def dialog(qtbot, settings, tmp_path: Path) -> ConvertDialog:
    dlg = ConvertDialog(settings=settings)
    qtbot.addWidget(dlg)
    dlg.out_edit.setText(str(tmp_path / "out"))
    dlg.set_targets(["yolo"])
    return dlg


def yolo_lines(folder: Path, name: str) -> list[list[str]]:
    text = (folder / "labels" / "train" / f"{name}.txt").read_text()
    return [line.split() for line in text.splitlines()]


def test_drop_adds_inputs_and_convert_writes_files(qtbot, dialog, export, tmp_path) -> None:
    drop(dialog.drop_area, [export])
    assert dialog.inputs.paths == [export]
    assert dialog.inputs.format_of(0) == "coco"
    assert dialog.problem() == ""
    with qtbot.waitSignal(dialog.conversion_finished, timeout=20000) as signal:
        assert dialog.start()
    [outcome] = signal.args[0]
    assert outcome.error == ""
    out = tmp_path / "out" / "export"
    assert yolo_lines(out, "left") == [
        ["0", "0.125", "0.125", "0.25", "0.25"],
        ["1", "0.65", "0.65", "0.3", "0.5"],
    ]
    assert (out / "data.yaml").is_file()
    assert dialog.pages.currentIndex() == 1
    top = dialog.report.tree.topLevelItem(0)
    assert "2 items, 3 objects read" in top.text(0)
    target = top.child(0)
    assert target.text(1) == "2 items, 3 objects"
    dropped = target.child(0)
    children = [dropped.child(i) for i in range(dropped.childCount())]
    lines = {child.text(0): child.text(1) for child in children}
    assert lines["polygon written as its bounding box"] == "1"


def test_drop_on_the_dialog_itself_adds_inputs(dialog, export) -> None:
    drop(dialog, [export, export.parent])
    assert dialog.inputs.paths == [export, export.parent]


def test_undetectable_input_is_red_with_a_reason_and_a_format_can_be_chosen(
    dialog, tmp_path
) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": 1}')
    dialog.add_inputs([odd])
    assert dialog.inputs.needs_format(0)
    assert dialog.inputs.item(0, 0).foreground().color() == ERROR_COLOR
    assert "unrecognised" in dialog.inputs.item(0, 2).text()
    assert "Choose a format for: odd.json" in dialog.problem()
    dialog.inputs.set_format(0, "coco")
    assert dialog.inputs.format_of(0) == "coco"
    assert dialog.inputs.item(0, 0).foreground().color() != ERROR_COLOR
    assert dialog.problem() == ""


def test_segment_option_reaches_the_yolo_writer(dialog, export, tmp_path) -> None:
    dialog.add_inputs([export])
    combo = dialog.forms["yolo"].fields["task"]
    assert isinstance(combo, QComboBox)
    combo.setCurrentIndex(combo.findData("segment"))
    assert dialog.start(wait=True)
    lines = yolo_lines(tmp_path / "out" / "export", "left")
    assert lines[1] == ["1", "0.5", "0.4", "0.8", "0.4", "0.8", "0.9", "0.5", "0.9"]
    assert len(lines[0]) == 9  # the box as a 4-corner polygon


def test_cancel_mid_run_leaves_no_output(dialog, export, tmp_path) -> None:
    dialog.set_targets(["yolo", "coco"])
    dialog.add_inputs([export])
    # Cancel as soon as the second target starts writing: the first one is already staged.
    dialog.stage_changed.connect(
        lambda text: dialog.cancel() if text.startswith("Writing COCO") else None
    )
    assert dialog.start(wait=True)
    [outcome] = dialog.outcomes
    assert outcome.cancelled
    assert outcome.report is None
    out = tmp_path / "out"
    assert not out.exists() or not any(out.rglob("*"))
    assert "cancelled" in dialog.report.headline.text()


def test_batch_converts_each_input_into_its_own_folder(dialog, export, tmp_path) -> None:
    second = Path(shutil.copy(FIXTURE, tmp_path / "second.json"))
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [}')
    dialog.add_inputs([export, broken, second])
    dialog.inputs.set_format(1, "coco")
    assert dialog.start(wait=True)
    outcomes = dialog.outcomes
    assert [o.source.name for o in outcomes] == ["export.json", "broken.json", "second.json"]
    assert outcomes[1].error.startswith("broken.json: line 1")
    assert (tmp_path / "out" / "export" / "labels" / "train" / "left.txt").is_file()
    assert (tmp_path / "out" / "second" / "labels" / "train" / "right.txt").is_file()
    assert not (tmp_path / "out" / "broken").exists()
    assert "2 of 3 converted, 1 failed" in dialog.report.headline.text()


def test_rename_and_exclude_from_the_categories_table(qtbot, settings, export, tmp_path) -> None:
    dataset = formats.read(export)
    dlg = ConvertDialog(settings=settings, dataset=dataset, inputs=[export])
    qtbot.addWidget(dlg)
    dlg.set_targets(["coco"])
    dlg.out_edit.setText(str(tmp_path / "out"))
    assert dlg.categories.names == ["car", "tree"]
    assert dlg.categories.item(1, 2).text() == "2"
    dlg.categories.set_keep("tree", False)
    dlg.categories.set_rename("car", "vehicle")
    assert dlg.start(wait=True)
    written = json.loads((tmp_path / "out" / "export" / "annotations.json").read_text())
    assert [c["name"] for c in written["categories"]] == ["vehicle"]
    assert len(written["annotations"]) == 1


def test_only_accepted_and_only_filtered_items(qtbot, settings, export, tmp_path) -> None:
    dataset = formats.read(export)
    log = review.ReviewLog.load(export)
    log.set_item(dataset.items[0], "accept")
    log.set_item(dataset.items[1], "reject")
    dlg = ConvertDialog(
        settings=settings, dataset=dataset, inputs=[export], item_filter=lambda item: False
    )
    qtbot.addWidget(dlg)
    dlg.set_targets(["coco"])
    dlg.out_edit.setText(str(tmp_path / "out"))
    dlg.only_accepted.setChecked(True)
    assert dlg.start(wait=True)
    written = json.loads((tmp_path / "out" / "export" / "annotations.json").read_text())
    assert [image["file_name"] for image in written["images"]] == ["left.png"]
    dlg.pages.setCurrentIndex(0)
    dlg.overwrite.setChecked(True)
    dlg.only_filtered.setChecked(True)
    assert dlg.start(wait=True)
    written = json.loads((tmp_path / "out" / "export" / "annotations.json").read_text())
    assert written["images"] == []


def test_last_output_folder_and_targets_are_remembered(qtbot, settings, dialog, export, tmp_path):
    dialog.add_inputs([export])
    assert dialog.start(wait=True)
    again = ConvertDialog(settings=settings)
    qtbot.addWidget(again)
    assert again.out_edit.text() == str(tmp_path / "out")
    assert again.targets() == ["yolo"]


def test_open_folder_opens_the_output(monkeypatch, dialog, export, tmp_path) -> None:
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url))
    dialog.add_inputs([export])
    assert dialog.start(wait=True)
    assert dialog.report.open_button.isVisible() or dialog.pages.currentIndex() == 1
    dialog.report.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(tmp_path / "out"))]


def test_options_form_is_built_from_the_model(qtbot) -> None:
    form = OptionsForm(YoloOptions)
    qtbot.addWidget(form)
    task = form.fields["task"]
    assert isinstance(task, QComboBox)
    assert [task.itemText(i) for i in range(task.count())] == ["detect", "segment", "pose", "obb"]
    assert task.toolTip() == YoloOptions.model_fields["task"].description
    assert isinstance(form.fields["split"], QLineEdit)
    assert form.values() == {"images": "link", "task": "detect", "split": "train", "names": ""}
    form.set_values({"split": "../up", "images": "copy"})
    assert "Split" in form.error()
    assert form.error_label.isVisibleTo(form)
    form.set_values({"split": "val"})
    assert form.error() == ""
    assert form.options() == YoloOptions(images="copy", split="val")
    coco = OptionsForm(CocoOptions)
    qtbot.addWidget(coco)
    assert isinstance(coco.fields["indent"], QCheckBox)


def test_invalid_options_block_convert(dialog, export) -> None:
    dialog.add_inputs([export])
    dialog.forms["yolo"].set_values({"split": "a/b"})
    assert dialog.problem().startswith("Ultralytics YOLO options: Split: use letters")
    assert not dialog.convert_button.isEnabled()
    assert not dialog.start(wait=True)


# --- in the main window ---------------------------------------------------------------------------


def test_shift_drop_on_the_window_opens_the_convert_dialog(qtbot, window, export) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(export))])
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        QPoint(50, 50), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(window, enter)
    assert "hold Shift" in window.statusBar().currentMessage()
    event = QDropEvent(
        QPointF(50, 50), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier
    )
    QApplication.sendEvent(window, event)
    dialog = window.review_tools.convert_dialog
    assert dialog is not None
    assert dialog.inputs.paths == [export]
    assert window.session.dataset is None  # converted, not opened
    assert not window.session.busy


def test_file_menu_convert_uses_the_open_export(qtbot, window, export) -> None:
    window.session.open(export, wait=True)
    qtbot.keyClick(
        window,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = window.review_tools.convert_dialog
    assert dialog is not None
    assert dialog.inputs.paths == [export]
    assert dialog.categories.names == ["car", "tree"]
    assert dialog.only_filtered.isEnabled()
    assert window.review_tools.convert_action.text() == "&Convert…"


def test_verify_checkbox_reads_the_output_back_and_shows_the_result(qtbot, dialog, export) -> None:
    dialog.add_inputs([export])
    dialog.set_targets(["coco"])
    dialog.verify.click()
    assert dialog.verify.isChecked()
    assert dialog.start(wait=True)
    target = dialog.report.tree.topLevelItem(0).child(0)
    lines = [target.child(i).text(0) for i in range(target.childCount())]
    assert "Verified: every object read back as written" in lines
