"""The window's Cancel stops the worker promptly even inside one long loop (a track of 400,000
frames being read; one crowded image being painted), and `--screenshot` never waits on a dialog.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt

from labelview.gui.dialogs.convert import ConvertDialog

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "gui" / "two_images.coco.json"
PROMPT = 1.5  # seconds; the full read or write below takes several times longer


def long_track(path: Path, frames: int = 400_000) -> Path:
    """One Dataloop video item whose one box track spans `frames` frames (one object each)."""
    item = {
        "id": "v1",
        "filename": "/clip.mp4",
        "name": "clip.mp4",
        "type": "file",
        "metadata": {
            "system": {
                "width": 640,
                "height": 480,
                "mimetype": "video/mp4",
                "fps": 25,
                "nb_frames": frames,  # a long video: the track may span it all
            }
        },
        "annotations": [
            {
                "id": "a1",
                "type": "box",
                "label": "car",
                "coordinates": [{"x": 10, "y": 10, "z": 0}, {"x": 50, "y": 40, "z": 0}],
                "metadata": {"system": {"frame": 0, "endFrame": frames - 1, "snapshots_": []}},
            }
        ],
    }
    path.write_text(json.dumps(item))
    return path


def crowded_image(path: Path, count: int = 4000) -> Path:
    """A COCO export of one image with `count` polygons (each painted over the whole image)."""
    anns = []
    for i in range(count):
        x, y = (i * 7) % 600, (i * 3) % 440
        ring = [x, y, x + 30, y, x + 30, y + 30, x, y + 30]
        anns.append(
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": 1,
                "segmentation": [ring],
                "area": 900.0,
                "bbox": [x, y, 30, 30],
                "iscrowd": 0,
            }
        )
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "car"}],
    }
    path.write_text(json.dumps(doc))
    return path


def test_cancel_stops_a_long_track_read_promptly(qtbot, window, tmp_path: Path) -> None:
    export = long_track(tmp_path / "track.json")
    window.open_path(export, format="dataloop")
    qtbot.waitUntil(lambda: window.progress_bar.isVisible(), timeout=10_000)
    qtbot.wait(200)  # inside the track's frames by now
    with qtbot.waitSignal(window.session.load_cancelled, timeout=10_000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        clicked = time.monotonic()
        assert window.session.task.wait(10)
    stopped = time.monotonic() - clicked
    assert stopped < PROMPT, f"the read went on {stopped:.2f} s after Cancel"
    assert window.session.dataset is None
    assert window.statusBar().currentMessage() == "Cancelled"


def test_convert_cancel_stops_a_writer_inside_one_image(qtbot, settings, tmp_path: Path) -> None:
    dialog = ConvertDialog(settings=settings)
    qtbot.addWidget(dialog)
    out = tmp_path / "out"
    dialog.out_edit.setText(str(out))
    dialog.set_targets(["masks"])
    dialog.add_inputs([crowded_image(tmp_path / "crowd.json")])
    dialog.show()
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog.stage_label.text().startswith("Writing"), timeout=20_000)
    qtbot.wait(100)  # painting the image's polygons by now
    with qtbot.waitSignal(dialog.conversion_finished, timeout=20_000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        clicked = time.monotonic()
        assert dialog.task.wait(20)
    stopped = time.monotonic() - clicked
    [outcome] = dialog.outcomes
    assert outcome.cancelled
    assert stopped < PROMPT, f"the writer went on {stopped:.2f} s after Cancel"
    assert not out.exists() or not any(out.rglob("*"))


# --- --screenshot ---------------------------------------------------------------------------------

_BROKEN_CANVAS = """
import sys
from labelview.gui.canvas import view

def broken(self):
    raise RuntimeError("the canvas broke")

view.Canvas.redraw_overlays = broken
from labelview.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_screenshot_with_a_failing_canvas_exits_instead_of_waiting(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _BROKEN_CANVAS, str(FIXTURE), "--screenshot", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,  # before: a modal error dialog nobody can close, forever
    )
    assert done.returncode == 1, done.stderr
    assert "RuntimeError: the canvas broke" in done.stderr
    assert "unexpected error(s) while rendering shot.png" in done.stderr
    assert time.monotonic() - started < 60


def test_screenshot_of_a_good_export_still_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "labelview", str(FIXTURE), "--screenshot", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0
