"""Encord label-row reader: hand-made fixtures, the spec's worked examples, real samples."""

from __future__ import annotations

import json
import threading

import pytest
from encord_support import DATA, answers, item, read

from labelview import formats
from labelview.errors import Cancelled
from labelview.formats import encord
from labelview.formats._writing import ITEM_FIELDS
from labelview.formats.base import ReadContext, TaskControl
from labelview.model import Box

# --- multi-frame items ----------------------------------------------------------------------------


def test_video_track_moves_and_dynamic_attributes_land_on_their_frames(mini):
    clip = item(mini, "clip.mp4")
    assert clip.kind == "video"
    assert clip.fps == 25.0
    assert (clip.width, clip.height) == (200, 100)
    assert [f.index for f in clip.frames] == [0, 1, 2, 10]
    cars = sorted((o for o in clip.objects if o.track == "trk00001"), key=lambda o: o.frame)
    assert [(o.frame, o.geometry.x) for o in cars] == [(0, 25), (1, 50), (2, 75), (10, 100)]
    states = {o.frame: [(a.name, a.value, a.frames) for a in o.attributes] for o in cars}
    assert states == {
        0: [("State", "Parked", (0, 1))],
        1: [("State", "Parked", (0, 1))],
        2: [("State", "Moving", (2, 10))],
        10: [("State", "Moving", (2, 10))],
    }


def test_frame_classifications_become_ranges(mini):
    clip = item(mini, "clip.mp4")
    assert [(a.name, a.value, a.frames) for a in clip.classifications] == [
        ("Weather", "Rain", (0, 2)),
        ("Weather", "Rain", (10, 10)),
    ]


def test_image_group_frames_use_their_own_size(mini):
    group = item(mini, "group-1")
    assert group.kind == "group"
    assert [(f.index, f.image, f.width, f.height) for f in group.frames] == [
        (0, "a.jpg", 100, 50),
        (1, "b.jpg", 300, 150),
    ]
    boxes = {o.frame: o.geometry for o in group.objects}
    assert boxes[0] == Box(50, 25, 10, 5)
    assert boxes[1] == Box(150, 75, 30, 15)


def test_dicom_slices_map_through_their_metadata(mini):
    scan = item(mini, "scan")
    assert scan.kind == "dicom"
    frames = {f.index: f for f in scan.frames}
    assert frames[1].image == "bucket/scan/slice-0.dcm"  # by file_uri, not data_links order
    assert (frames[1].width, frames[1].height) == (64, 64)
    assert frames[0].image is None
    boxes = {o.frame: o.geometry for o in scan.objects}
    assert boxes[0] == Box(64, 64, 32, 32)
    assert boxes[1] == Box(32, 32, 16, 16)


def test_audio_rows_keep_their_labels_without_geometry(mini):
    talk = item(mini, "talk.mp3")
    assert talk.kind == "other"
    (speaker,) = talk.objects
    assert speaker.geometry is None
    assert speaker.extra["range"] == [[100, 2500]]


def test_audio_rows_keep_their_classifications(mini):
    (language,) = item(mini, "talk.mp3").classifications
    assert (language.name, language.value) == ("Language", "English")
    # An audio range is milliseconds, not frames: kept as written, the answer holds everywhere.
    assert language.frames is None
    assert language.extra["range"] == [[0, 5000]]
    assert (language.source, language.answered_by) == ("manual", "ann@example.com")


# --- items, status, history -----------------------------------------------------------------------


def test_item_fields_status_and_history(mini):
    street = item(mini, "street.png")
    assert street.id == "11111111-0000-0000-0000-000000000001"
    assert street.image == "street.png"
    assert (street.width, street.height) == (200, 100)
    assert street.status == "REVIEWED"
    assert street.extra["priority"] == 0.5  # unknown row keys are kept
    assert street.extra["annotation_task_status"] == "COMPLETED"
    events = [(e.stage, e.action, e.actor, e.at) for e in street.history]
    assert events == [
        ("export", "exported", "ann@example.com", "2023-12-01T11:18:10+00:00"),
        (None, "created", None, "2024-12-02T09:52:01+00:00"),
        (None, "edited", None, "2024-12-02T10:49:07+00:00"),
        ("label", "reviewed", None, None),
        ("task", "completed", None, None),
    ]


def test_object_reviews_become_review_verdicts_once_each():
    dataset = read(DATA / "reviews.json")
    (group,) = dataset.items
    reviews = [e for e in group.history if e.stage == "review"]
    # The box repeats its three reviews on both frames, and nests earlier rounds in metadata:
    # each verdict is read once, in time order among the row's other events.
    assert [(e.action, e.at, e.extra.get("object"), e.extra.get("comment")) for e in reviews] == [
        ("rejected", "2023-02-10T11:08:41+00:00", "box+/001", "too loose\n"),
        ("approved", "2023-02-10T11:08:44+00:00", "pnt00001", None),
        ("rejected", "2023-02-10T11:09:04+00:00", None, "wrong weather"),
        ("rejected", "2023-02-10T11:10:01+00:00", "box+/001", "still loose"),
        ("approved", "2023-02-10T11:10:48+00:00", "box+/001", None),
    ]
    assert reviews[2].extra["classification"] == "cls00001"
    assert {e.actor for e in reviews} == {"rev@example.com"}
    assert reviews[0].extra["frame"] == 0
    assert group.history[0].action == "created"
    # The writing toolkit counts them as review verdicts, not stage history.
    assert ITEM_FIELDS["review verdicts"](group) == 5
    assert ITEM_FIELDS["stage history"](group) == 2  # created, label status
    # Read into history, not repeated on every object's extra.
    assert all(not (o.extra or {}).get("reviews") for o in group.objects)
    # A bad review record is skipped with its location; its object still loads.
    issues = {i.where: i.message for i in dataset.issues}
    assert "comment" in issues["[0].data_units.u1.labels.objects[1].reviews[0]"]
    assert "review" in issues["[0].data_units.u1.labels.objects[1].reviews[1]"]
    assert len(group.objects) == 4


def test_an_export_without_reviews_has_no_review_verdicts(mini):
    assert all(ITEM_FIELDS["review verdicts"](it) == 0 for it in mini.items)


def test_broken_numbers_skip_the_object_with_its_location(tmp_path):
    rows = json.loads((DATA / "single_row.json").read_text())
    rows = rows if isinstance(rows, list) else [rows]
    (unit,) = rows[0]["data_units"].values()
    good = unit["labels"]["objects"][0]
    huge = {**good, "objectHash": "huge0001", "boundingBox": {"x": 1e12, "y": 0, "w": 1, "h": 1}}
    spun = {
        **good,
        "objectHash": "spun0001",
        "shape": "rotatable_bounding_box",
        "rotatableBoundingBox": {"x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1, "theta": "a lot"},
    }
    unit["labels"]["objects"] += [huge, spun]
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(rows))
    dataset = read(path)
    messages = [i.message for i in dataset.issues]
    assert any("far outside" in m for m in messages)
    assert any("theta must be a number" in m for m in messages)
    assert [o.id for o in dataset.items[0].objects] == [good["objectHash"]]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024-12-02 09:52:01", "2024-12-02T09:52:01+00:00"),
        ("Thu, 09 Feb 2023 14:12:03 UTC", "2023-02-09T14:12:03+00:00"),
        ("Fri, 01 Dec 2023 11:03:24 GMT", "2023-12-01T11:03:24+00:00"),
        ("Mon, 02 Dec 2024 10:49:07 ", "2024-12-02T10:49:07+00:00"),
        ("2023-03-21T09:58:08.472959", "2023-03-21T09:58:08.472959+00:00"),
        ("not a date", "not a date"),
    ],
)
def test_timestamps_in_every_style(text, iso):
    assert encord.iso_time(text) == iso


def test_single_row_object():
    dataset = read(DATA / "single_row.json")
    (one,) = dataset.items
    (thing,) = one.objects
    assert thing.geometry == Box(5, 10, 5, 5)
    assert answers(thing.attributes) == {"Colour": ["Red"], "Comment": "looks fine"}
    assert dataset.issues == []


def test_broken_input_loads_the_rest_and_names_locations():
    dataset = read(DATA / "broken.json")
    messages = {i.where: (i.level, i.message) for i in dataset.issues}
    assert messages["[0].data_units.u.labels.objects[0]"][1].endswith("polygon has 2 points")
    assert "truncated" in messages["[0].data_units.u.labels.objects[1]"][1]
    assert "clamped" in messages["[0].data_units.u.labels.objects[2].bitmask"][1]
    assert messages["[1]"][0] == "error"
    assert "data_units" in messages["[2]"][1]
    (good,) = dataset.items
    assert [o.id for o in good.objects] == ["m2", "b1"]
    assert good.objects[0].geometry.decode().all()  # runs clamped to the 10×10 frame


def test_not_an_export_fails_cleanly(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(Exception, match="not an Encord label row"):
        read(path)


def test_progress_is_reported_and_cancel_stops():
    calls: list[tuple[int, int]] = []
    path = DATA / "mini.json"
    control = TaskControl(on_progress=lambda done, total: calls.append((done, total)))
    formats.read(path, format="encord", ctx=ReadContext(file=path, control=control))
    assert calls[-1][0] == calls[-1][1] > 0
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        formats.read(
            path,
            format="encord",
            ctx=ReadContext(file=path, control=TaskControl(cancel_event=cancel)),
        )
