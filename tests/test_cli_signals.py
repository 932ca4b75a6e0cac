"""The command line under Ctrl+C and a closed pipe, run as a user runs it: `python -m labelview`
in a subprocess. Ctrl+C → exit 130, one line, no traceback, no output left; a reader that leaves
(`| head -1`) → a quiet exit.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labelview import review
from labelview.model import Item, ObjectLabel
from labelview.model.geometry import Box

ROOT = Path(__file__).resolve().parents[1]
unix_only = pytest.mark.skipif(sys.platform == "win32", reason="pty and SIGINT are POSIX")


def big_coco(path: Path, images: int = 1000, per_image: int = 30, categories: int = 3) -> Path:
    """A COCO export of a few MB (1000 images, 30,000 polygons): long enough to interrupt."""
    anns = []
    for i in range(images * per_image):
        x, y = (i * 7) % 600, (i * 3) % 440
        ring = [x, y, x + 30, y, x + 30, y + 30, x, y + 30]
        anns.append(
            {
                "id": i + 1,
                "image_id": i % images + 1,
                "category_id": 1 + i % categories,
                "segmentation": [ring],
                "area": 900.0,
                "bbox": [x, y, 30, 30],
                "iscrowd": 0,
            }
        )
    doc = {
        "images": [
            {"id": i + 1, "file_name": f"img{i}.jpg", "width": 640, "height": 480}
            for i in range(images)
        ],
        "annotations": anns,
        "categories": [{"id": c + 1, "name": f"class {c}"} for c in range(categories)],
    }
    path.write_text(json.dumps(doc))
    return path


def _labelview(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's package, not an installed one
    return subprocess.Popen([sys.executable, "-m", "labelview", *args], cwd=ROOT, env=env, **kwargs)


def _interrupt_when(args: list[str], shown: str, *, times: int = 1) -> tuple[int, str, float]:
    """Run labelview with stderr on a terminal (so it shows its progress line), press Ctrl+C
    `times` once `shown` appears there; (exit code, all of stderr, seconds from Ctrl+C to exit).
    """
    import pty

    master, slave = pty.openpty()
    proc = _labelview(*args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 60
        while shown.encode() not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:  # the process ended (and its terminal with it)
                    break
        assert shown.encode() in seen, f"never showed {shown!r}: {seen!r}"
        for _ in range(times):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.01)
        pressed = time.monotonic()
        proc.wait(timeout=60)
        took = time.monotonic() - pressed
        while True:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        proc.stdout.close()
    return proc.returncode, seen.decode("utf-8", "replace"), took


def _last_line(text: str) -> str:
    return text.replace("\r\n", "\n").split("\r")[-1].replace("\x1b[K", "").strip()


@unix_only
@pytest.mark.parametrize(
    ("target", "shown"),
    [
        ("coco", "Reading big.json…  "),  # the read's progress is showing: mid-read
        ("coco", "Writing COCO"),
        ("yolo", "Writing Ultralytics YOLO"),
    ],
)
def test_ctrl_c_during_convert_exits_130_and_leaves_no_output(
    tmp_path: Path, target: str, shown: str
) -> None:
    source = big_coco(tmp_path / "big.json")
    out = tmp_path / "out"
    code, stderr, took = _interrupt_when(
        ["convert", str(source), "--to", target, "-o", str(out)], shown
    )
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert _last_line(stderr) == "cancelled"
    assert took < 5, f"{took:.2f} s from Ctrl+C to exit"
    assert not out.exists()


@unix_only
def test_ctrl_c_keeps_an_existing_output_as_it_was(tmp_path: Path) -> None:
    source = big_coco(tmp_path / "big.json")
    out = tmp_path / "out"
    out.mkdir()
    (out / "annotations.json").write_text("old")
    (out / "notes.txt").write_text("mine")
    code, stderr, _ = _interrupt_when(
        ["convert", str(source), "--to", "coco", "-o", str(out), "--force"], "Writing COCO"
    )
    assert code == 130, stderr
    assert sorted(p.name for p in out.iterdir()) == ["annotations.json", "notes.txt"]
    assert (out / "annotations.json").read_text() == "old"


@unix_only
def test_a_second_ctrl_c_still_exits_cleanly(tmp_path: Path) -> None:
    source = big_coco(tmp_path / "big.json")
    out = tmp_path / "out"
    code, stderr, _ = _interrupt_when(
        ["convert", str(source), "--to", "yolo", "-o", str(out)],
        "Writing Ultralytics YOLO",
        times=2,
    )
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert _last_line(stderr) == "cancelled"
    assert not out.exists()


@unix_only
def test_ctrl_c_during_info_exits_130(tmp_path: Path) -> None:
    source = big_coco(tmp_path / "big.json")
    code, stderr, _ = _interrupt_when(["info", str(source)], "Reading big.json…  ")
    assert code == 130, stderr
    assert "Traceback" not in stderr
    assert _last_line(stderr) == "cancelled"


# --- a closed pipe --------------------------------------------------------------------------------


def _reviewed(tmp_path: Path) -> Path:
    export = tmp_path / "reviewed.json"
    export.write_text("[]")
    log = review.ReviewLog.load(export)
    for index in range(3):
        item = Item(id=f"i{index}", name=f"i{index}.jpg")
        item.objects = [ObjectLabel("car", Box(1, 1, 2, 2), f"o{index}")]
        log.set_item(item, "accept")
    return export


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    source = big_coco(tmp_path / "small.json", images=3, per_image=2)
    return {
        "info": ["info", str(source)],
        "info --json": ["info", "--json", str(source)],
        "info --why": ["info", "--why", str(source)],
        "formats": ["formats"],
        "convert": ["convert", str(source), "--to", "yolo", "-o", str(tmp_path / "out")],
        "review export": ["review", "export", str(_reviewed(tmp_path))],
    }


@pytest.mark.parametrize(
    "command", ["info", "info --json", "info --why", "formats", "convert", "review export"]
)
def test_a_closed_pipe_ends_every_subcommand_quietly(tmp_path: Path, command: str) -> None:
    args = _commands(tmp_path)[command]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        proc = _labelview(*args, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert b"Traceback" not in stderr
    assert b"Exception ignored" not in stderr
    assert b"BrokenPipe" not in stderr


def test_info_piped_into_head_exits_quietly(tmp_path: Path) -> None:
    # Thousands of categories: more output than a pipe holds, so the writes meet a closed pipe.
    source = big_coco(tmp_path / "many.json", images=20, per_image=300, categories=6000)
    proc = _labelview("info", str(source), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # `| head -1`
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=60)
    assert first.startswith(b"many.json: COCO")
    assert proc.returncode == 0, stderr
    assert b"Traceback" not in stderr
    assert b"Exception ignored" not in stderr
