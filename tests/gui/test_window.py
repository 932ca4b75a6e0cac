"""Opening (drop, dialog, CLI screenshot), cancelling, failures, keys, settings, error dialog."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest
from conftest import drop, shapes_dataset, video_dataset
from PySide6.QtCore import Qt

from labelview import formats
from labelview.gui import app
from labelview.gui.main_window import MainWindow

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "gui" / "two_images.coco.json"
needs_coco = pytest.mark.skipif("coco" not in formats.FORMATS, reason="COCO reader not registered")


@needs_coco
def test_drop_opens_the_file_on_a_worker(qtbot, window, tmp_path: Path) -> None:
    path = shutil.copy(FIXTURE, tmp_path / "export.json")
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        drop(window, [Path(path)])
    dataset = window.session.dataset
    assert [item.name for item in dataset.items] == ["left.png", "right.png"]
    assert window.items_panel.model.rowCount() == 2
    assert window.session.item.name == "left.png"
    assert {obj.category for obj in window.session.shown_objects()} == {"car", "tree"}
    assert window.recent_files() == [str(Path(path).resolve())]
    assert window.windowTitle().startswith("left.png (1/2)")
    assert not window.progress_bar.isVisible()


def test_cancel_button_stops_a_big_read(qtbot, window, gated, tmp_path: Path) -> None:
    big = tmp_path / "big.gated"
    big.write_text("\n".join(f"image_{i}.jpg" for i in range(20_000)))
    with qtbot.waitSignal(window.session.progress, timeout=10_000) as progress:
        assert window.open_path(big)
    assert progress.args == [0, 20_000]
    assert window.progress_bar.isVisible()
    assert window.cancel_button.isVisible()
    with qtbot.waitSignal(window.session.load_cancelled, timeout=10_000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        gated.gate.set()
    assert window.session.dataset is None
    assert not window.cancel_button.isVisible()
    assert window.statusBar().currentMessage() == "Cancelled"


def test_the_window_handles_events_while_reading(qtbot, window, gated, tmp_path: Path) -> None:
    big = tmp_path / "big.gated"
    big.write_text("\n".join(f"image_{i}.jpg" for i in range(500)))
    with qtbot.waitSignal(window.session.progress, timeout=10_000):
        window.open_path(big)
    # The reader is parked mid-file; the window still navigates a filter box and its panels.
    window.focus_filter()
    qtbot.keyClicks(window.items_panel.filter_box, "abc")
    assert window.items_panel.filter_box.text() == "abc"
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        gated.gate.set()
    assert len(window.session.dataset.items) == 500


@needs_coco
def test_broken_file_lands_in_issues_without_traceback(qtbot, window, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [{"id": ')
    with qtbot.waitSignal(window.session.load_failed, timeout=10_000) as failed:
        window.open_path(broken, format="coco")
    assert failed.args[0].startswith("broken.json")
    issues = window.issues_panel.model.issues
    assert len(issues) == 1
    assert issues[0].level == "error"
    assert "Traceback" not in issues[0].message
    assert window.docks["Issues"].isVisible()
    assert window.issues_button.text() == "⚠ 1 error"
    assert window.session.dataset is None


def test_missing_file_is_an_issue(window, tmp_path: Path) -> None:
    assert not window.open_path(tmp_path / "nope.json")
    assert window.session.issues[0].message == "no such file or folder"


def test_unrecognised_file_asks_for_the_format(qtbot, window, gated, tmp_path: Path) -> None:
    odd = tmp_path / "list.txt"
    odd.write_text("a.jpg\nb.jpg\n")
    with qtbot.waitSignal(window.session.format_needed, timeout=10_000):
        window.open_path(odd)
    dialog = window.format_dialog
    assert dialog is not None
    names = [
        dialog.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
        for i in range(dialog.tree.topLevelItemCount())
    ]
    assert set(names) == {fmt.name for fmt in formats.readers()}
    dialog.choose("gated")
    with qtbot.waitSignal(window.session.loaded, timeout=10_000):
        gated.gate.set()
        dialog.accept()
    assert [item.name for item in window.session.dataset.items] == ["a.jpg", "b.jpg"]


def test_keys_navigate_items_frames_and_categories(qtbot, window) -> None:
    dataset = shapes_dataset()
    dataset.items.extend(video_dataset().items)
    window.session.set_dataset(dataset)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    assert window.session.item_index == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_D)
    assert window.session.item.id == "video"
    qtbot.keyClick(window.canvas, Qt.Key.Key_Period)
    assert window.session.frame == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_Comma)
    assert window.session.frame == 0
    qtbot.keyClick(window.canvas, Qt.Key.Key_A)
    assert window.session.item_index == 1
    qtbot.keyClick(window.canvas, Qt.Key.Key_1)
    assert window.session.hidden == {"box"}
    qtbot.keyClick(window.canvas, Qt.Key.Key_1)
    assert window.session.hidden == set()
    qtbot.keyClick(window.canvas, Qt.Key.Key_H)
    assert window.canvas.overlay.items == []
    qtbot.keyClick(window.canvas, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.items_panel.filter_box.hasFocus()


def test_layout_and_recent_files_persist(qtbot, settings, tmp_path: Path) -> None:
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    first.show()
    first.resize(700, 500)  # within the 800×600 offscreen screen
    first.docks["History"].hide()
    first._remember(tmp_path / "a.json")
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (700, 500)
    assert second.recent_files() == [str((tmp_path / "a.json").resolve())]
    assert second.recent_menu.actions()[0].text() == str((tmp_path / "a.json").resolve())
    second.show()
    assert not second.docks["History"].isVisible()


def test_uncaught_exception_shows_a_dialog_and_the_app_goes_on(qtbot, window) -> None:
    reporter = app.ErrorReporter(window, modal=False)
    try:
        raise ValueError("boom in a slot")
    except ValueError as error:
        reporter(type(error), error, error.__traceback__)
    box = reporter.dialogs[-1]
    qtbot.addWidget(box)
    assert "boom in a slot" in box.text()
    assert "Traceback" in box.detailedText()
    assert "ValueError" in box.detailedText()
    assert box.isVisible()
    box.close()
    window.session.set_dataset(shapes_dataset())  # still alive
    assert window.session.item.id == "shapes"


def test_window_icon_is_the_bundled_svg() -> None:
    assert not app.icon().isNull()


@needs_coco
def test_cli_screenshot_renders_the_asked_item(qtbot, tmp_path: Path) -> None:
    export = Path(shutil.copy(FIXTURE, tmp_path / "export.json"))
    out = tmp_path / "shot.png"
    args = argparse.Namespace(
        paths=[export],
        demo=False,
        screenshot=out,
        item=1,
        frame=None,
        images=None,
        ontology=None,
        url_map=None,
        from_format=None,
    )
    assert app.run(args) == 0
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() == 1440
    assert image.height() == 900


def test_images_folder_resolves_missing_images(window, tmp_path: Path) -> None:
    from conftest import RED, asymmetric_image, near, pixel

    dataset = shapes_dataset()
    dataset.source = tmp_path / "export" / "labels.json"
    dataset.items[0].image = "shapes.png"
    window.session.set_dataset(dataset)
    assert not window.canvas.image_found
    assert window.canvas.placeholder_text.textItem.toPlainText() == "image not found: shapes.png"
    folder = tmp_path / "pictures"
    folder.mkdir()
    asymmetric_image(folder / "shapes.png")
    window.set_images_folder(folder)
    assert window.canvas.image_found
    assert dataset.items[0].image_path == folder / "shapes.png"
    window.canvas.set_labels_visible(False)
    assert near(pixel(window.canvas, 10, 10), RED)
    assert window.settings.value("images_folder") == str(folder)


@needs_coco
def test_cancel_a_big_generated_coco(qtbot, window, monkeypatch, tmp_path: Path) -> None:
    import dataclasses
    import json
    import threading

    count = 20_000
    big = tmp_path / "big.json"
    big.write_text(
        json.dumps(
            {
                "images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}],
                "categories": [{"id": 1, "name": "car"}],
                "annotations": [
                    {"id": i + 1, "image_id": 1, "category_id": 1, "bbox": [i % 600, 5, 9, 9]}
                    for i in range(count)
                ],
            }
        )
    )
    coco = formats.FORMATS["coco"]
    gate = threading.Event()

    def gated_read(path, ctx):
        # The real COCO reader, parked after its first progress report until the test cancels.
        report = ctx.control.on_progress

        def on_progress(done: int, total: int) -> None:
            report(done, total)
            gate.wait(10)

        ctx.control.on_progress = on_progress
        return coco.read(path, ctx)

    monkeypatch.setitem(formats.FORMATS, "coco", dataclasses.replace(coco, read=gated_read))
    with qtbot.waitSignal(window.session.progress, timeout=10_000):
        window.open_path(big, format="coco")
    assert window.progress_bar.isVisible()
    with qtbot.waitSignal(window.session.load_cancelled, timeout=10_000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        gate.set()
    assert window.session.dataset is None
    assert not window.progress_bar.isVisible()
