"""Cancel is honoured inside every loop: `checked`, every writer's inner loops (objects of one
image, the frames of one long track), every reader, convert (nothing left behind) and verify.
"""

from __future__ import annotations

import copy
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from labelview import formats
from labelview.cancel import check, checked, event_of, interrupt_cancels
from labelview.convert import convert
from labelview.errors import Cancelled
from labelview.formats.base import ReadContext, TaskControl, WriteContext
from labelview.model import Box, Category, Dataset, Item, ObjectLabel, Polygon
from tests.formats.contract import DATA, FIXTURES

WRITERS = [fmt.name for fmt in formats.writers()]
# Generous for a shared 2-core CI machine; what the tests measure locally is printed (-s).
PROMPT = 1.0


# --- checked --------------------------------------------------------------------------------------


def test_checked_stops_before_the_next_step() -> None:
    event = threading.Event()
    seen = []

    def walk() -> None:
        for value in checked(range(10), event):
            seen.append(value)
            if value == 3:
                event.set()

    with pytest.raises(Cancelled):
        walk()
    assert seen == [0, 1, 2, 3]


def test_checked_accepts_controls_and_contexts() -> None:
    event = threading.Event()
    control = TaskControl(cancel_event=event)
    for holder in (
        event,
        control,
        ReadContext(file=Path("x"), control=control),
        WriteContext(control),
    ):
        assert event_of(holder) is event
    assert event_of(None) is None
    assert event_of(TaskControl()) is None
    assert list(checked([1, 2], None)) == [1, 2]  # nothing can cancel: a plain iterator
    event.set()
    with pytest.raises(Cancelled):
        list(checked([], control))  # even an empty loop notices
    with pytest.raises(Cancelled):
        check(control)


# --- writers: a cancel in the middle of one image or one track -----------------------------------


class _Tripwire:
    """Sets the cancel event when the writer first looks at object `at`'s geometry, then records
    every other object whose geometry is looked at afterwards (work done after the cancel).
    """

    def __init__(self, at: int) -> None:
        self.at = at
        self.event = threading.Event()
        self.cancelled_at = 0.0
        self.after: set[int] = set()

    def touched(self, number: int) -> None:
        if self.event.is_set():
            if number != self.at:
                self.after.add(number)
        elif number == self.at:
            self.cancelled_at = time.monotonic()
            self.event.set()


class _Watched(ObjectLabel):
    """An ObjectLabel telling the tripwire when its geometry is read."""

    def __init__(self, tripwire: _Tripwire, number: int, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tripwire = tripwire
        self.number = number

    def __getattribute__(self, name: str):
        if name == "geometry":
            object.__getattribute__(self, "tripwire").touched(
                object.__getattribute__(self, "number")
            )
        return object.__getattribute__(self, name)


def _one_crowded_image(tripwire: _Tripwire, count: int) -> Dataset:
    dataset = Dataset(format="test", categories={"car": Category(name="car")})
    item = Item(id="1", name="street.jpg", image="street.jpg", width=640, height=480)
    for number in range(count):
        x, y = (number * 7) % 600, (number * 3) % 440
        geometry = (
            Box(x, y, 20, 20)
            if number % 2
            else Polygon.from_points([(x, y), (x + 20, y), (x + 10, y + 20)])
        )
        item.objects.append(_Watched(tripwire, number, "car", geometry, str(number + 1)))
    dataset.items.append(item)
    return dataset


def _one_long_track(tripwire: _Tripwire, frames: int) -> Dataset:
    dataset = Dataset(format="test", categories={"car": Category(name="car")})
    item = Item(id="clip", name="clip.mp4", kind="video", width=320, height=240)
    for frame in range(frames):
        obj = _Watched(tripwire, frame, "car", Box(10, 10, 30, 30), "7", frame=frame, track="7")
        item.objects.append(obj)
    dataset.items.append(item)
    return dataset


@pytest.mark.parametrize("layout", ["one crowded image", "one long track"])
@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_stops_inside_its_loops(name: str, layout: str, tmp_path: Path) -> None:
    count = 3000
    tripwire = _Tripwire(at=100)  # a few frames in: the rest must never be written
    make = _one_crowded_image if layout == "one crowded image" else _one_long_track
    dataset = make(tripwire, count)
    out = tmp_path / "out"
    control = TaskControl(cancel_event=tripwire.event)
    with pytest.raises(Cancelled):
        convert(tmp_path / "src.json", out, name, dataset=dataset, control=control)
    stopped = time.monotonic() - tripwire.cancelled_at
    assert tripwire.event.is_set(), "the writer never reached the object that cancels"
    assert not tripwire.after, f"{len(tripwire.after)} objects still written after the cancel"
    assert stopped < PROMPT, f"stopped {stopped * 1000:.1f} ms after the cancel"
    assert not out.exists()  # the staged output is discarded


def test_a_cancelled_convert_leaves_an_existing_output_as_it_was(tmp_path: Path) -> None:
    tripwire = _Tripwire(at=100)
    dataset = _one_crowded_image(tripwire, 500)
    out = tmp_path / "out"
    out.mkdir()
    (out / "annotations.json").write_text("old")
    with pytest.raises(Cancelled):
        convert(
            tmp_path / "src.json",
            out,
            "coco",
            dataset=dataset,
            overwrite=True,
            control=TaskControl(cancel_event=tripwire.event),
        )
    assert [p.name for p in out.iterdir()] == ["annotations.json"]
    assert (out / "annotations.json").read_text() == "old"


# --- readers: a cancel from the progress callback -------------------------------------------------


def _written(name: str, folder: Path) -> Path:
    """A many-object export of format `name`, written by our own writer."""
    from PIL import Image

    picture = folder / "picture.png"
    Image.new("RGB", (64, 48)).save(picture)
    dataset = Dataset(format="test", categories={"car": Category(name="car")})
    for index in range(400):
        item = Item(id=str(index + 1), name=f"img{index}.png", image=f"img{index}.png")
        item.image_path, item.width, item.height = picture, 64, 48
        item.objects = [
            ObjectLabel("car", Box(i % 50, i % 30, 8, 8), str(index * 100 + i)) for i in range(25)
        ]
        dataset.items.append(item)
    out = folder / name
    convert(folder / "src.json", out, name, dataset=dataset)
    from labelview.convert import readback_path

    return readback_path(name, out)


READABLE_WRITERS = [name for name in WRITERS if formats.get(name).readable]


@pytest.mark.parametrize("name", READABLE_WRITERS)
def test_every_reader_stops_when_cancelled_from_a_callback(name: str, tmp_path: Path) -> None:
    path = _written(name, tmp_path)
    started = time.monotonic()
    full = formats.read(path, format=name)
    whole = time.monotonic() - started
    assert full.object_count == 10_000
    event = threading.Event()
    cancelled_at = []

    def on_progress(done: int, total: int) -> None:
        if done > 0 and not event.is_set():  # after the first items were read
            event.set()
            cancelled_at.append(time.monotonic())

    control = TaskControl(on_progress=on_progress, cancel_event=event)
    with pytest.raises(Cancelled):
        formats.read(path, format=name, control=control)
    stopped = time.monotonic() - cancelled_at[0]
    assert stopped < PROMPT, f"read in {whole * 1000:.0f} ms; stopped {stopped * 1000:.1f} ms late"


@pytest.mark.parametrize(("fixture", "name"), [(f, fmt) for f, (fmt, _, _) in FIXTURES.items()])
def test_every_reader_honours_a_cancel_given_before_it_starts(fixture: str, name: str) -> None:
    path = DATA / fixture
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        formats.read(path, format=name, control=TaskControl(cancel_event=event))


def _enlarged(fixture: str, folder: Path) -> Path:
    """The fixture with its list of records repeated (so a read has steps left after its first
    progress report); folders are used as they are.
    """
    import json

    source = DATA / fixture
    if source.is_dir():
        return source
    if source.suffix == ".xml":  # CVAT: its images and tracks repeated
        from xml.etree import ElementTree

        root = ElementTree.parse(source).getroot()
        records = [child for child in root if child.tag in ("image", "track")]
        for _ in range(300):
            root.extend(copy.deepcopy(records))
        path = folder / source.name
        ElementTree.ElementTree(root).write(path, encoding="utf-8")
        return path
    if source.suffix in (".ndjson", ".jsonl"):  # one record per line
        path = folder / source.name
        path.write_text("\n".join([source.read_text("utf-8").strip()] * 300) + "\n", "utf-8")
        return path
    data = json.loads(source.read_text("utf-8"))
    if isinstance(data, list):
        head = data[:1] if isinstance(data[0], dict) and "label_classes" in data[0] else []
        data = head + data[len(head) :] * 300  # DataGym keeps its label_classes head first
    elif "dataset" in data:
        data["dataset"]["samples"] *= 300
    elif "annotations" in data and "images" in data:
        data["annotations"] *= 1000  # COCO checks every 4,096 annotations
    elif "shapes" in data:
        data["shapes"] *= 300
    elif "annotations" in data:
        data = [data] * 300  # one Dataloop item: as an export of many (progress per item)
    path = folder / source.name
    path.write_text(json.dumps(data), "utf-8")
    return path


@pytest.mark.parametrize(("fixture", "name"), [(f, fmt) for f, (fmt, _, _) in FIXTURES.items()])
def test_every_reader_stops_at_a_cancel_from_its_first_progress_report(
    fixture: str, name: str, tmp_path: Path
) -> None:
    path = _enlarged(fixture, tmp_path)
    event = threading.Event()
    control = TaskControl(on_progress=lambda done, total: event.set(), cancel_event=event)
    with pytest.raises(Cancelled):
        formats.read(path, format=name, control=control)


def _press_ctrl_c_and_wait() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="POSIX")
def test_ctrl_c_sets_the_event_first_and_interrupts_the_second_time() -> None:
    before = signal.getsignal(signal.SIGINT)
    event = threading.Event()
    with interrupt_cancels(event):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs at the next bytecode
        assert event.is_set()
        with pytest.raises(KeyboardInterrupt):
            _press_ctrl_c_and_wait()
    assert signal.getsignal(signal.SIGINT) is before


def test_verify_and_compare_stop_on_a_cancel(tmp_path: Path) -> None:
    from labelview.evaluation import evaluate
    from labelview.formats._writing import holds_for
    from labelview.verify import verify

    source = _one_crowded_image(_Tripwire(at=-1), 200)
    event = threading.Event()
    event.set()
    with pytest.raises(Cancelled):
        evaluate(source, source, cancel=event)
    holds = holds_for(formats.get("coco").holds, formats.get("coco").options())
    with pytest.raises(Cancelled):
        verify(source, source, holds, cancel=event)
    assert evaluate(source, source).totals.tp == 200  # without a cancel, the same runs through
