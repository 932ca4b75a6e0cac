"""Hostile values at the reading boundary: each bad value is a located warning, that object only is
skipped, the rest loads, and no writer crashes on what a reader accepted.

Each test takes a real small fixture from tests/data, injects one bad value where a user's export
could carry it, and reads (or converts) it the way a user would.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from labelview import formats
from labelview.cli import main
from labelview.model import Dataset

DATA = Path(__file__).resolve().parents[1] / "data"
ROOT = Path(__file__).resolve().parents[2]

# What an adversarial pass put into coordinates: far away, not finite, beyond 64 bits, not a number.
BAD_NUMBERS = [1e9, -1e9, float("nan"), float("inf"), 2**70, "abc"]


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))  # NaN / Infinity as Python's json writes them
    return path


def _set(doc: Any, where: tuple, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    node = doc
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    return doc


def _ids(dataset: Dataset) -> set[str]:
    return {obj.id for item in dataset.items for obj in item.objects if obj.id is not None}


def _messages(dataset: Dataset) -> list[str]:
    return [str(issue) for issue in dataset.issues]


def _new_issues(before: Dataset, after: Dataset) -> list[str]:
    return [text for text in _messages(after) if text not in _messages(before)]


# --- coordinates ----------------------------------------------------------------------------------

COCO = json.loads((DATA / "coco" / "instances.json").read_text())

# (where in instances.json, the id of the annotation it belongs to)
COCO_PLACES = [
    (("annotations", 0, "segmentation", 0, 0), "1"),  # a polygon vertex (the fast path)
    (("annotations", 5, "bbox", 0), "6"),  # a box's x
    (("annotations", 4, "keypoints", 0), "5"),  # a keypoint's x
]


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
@pytest.mark.parametrize(("where", "obj_id"), COCO_PLACES, ids=lambda p: str(p))
def test_coco_bad_coordinate_skips_that_object_only(
    tmp_path: Path, where: tuple, obj_id: str, value: Any
) -> None:
    clean = formats.read(_write(tmp_path / "clean.json", COCO), format="coco")
    assert obj_id in _ids(clean)
    path = _write(tmp_path / "instances.json", _set(COCO, where, value))

    dataset = formats.read(path, format="coco")

    assert _ids(dataset) == _ids(clean) - {obj_id}
    new = _new_issues(clean, dataset)
    assert new, "the skipped object must be reported"
    located = [
        text
        for text in new
        if text.startswith("instances.json: ")
        and (f"annotations[{where[1]}]" in text or f"object {obj_id}:" in text)
    ]
    assert located, new


@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
def test_coco_bad_vertex_in_one_ring_of_two(tmp_path: Path, value: Any) -> None:
    """A vertex that is no number loses its ring (the object keeps its good one); a far-away one
    loses the object.
    """
    clean = formats.read(_write(tmp_path / "clean.json", COCO), format="coco")
    doc = _set(COCO, ("annotations", 1, "segmentation", 1, 3), value)
    dataset = formats.read(_write(tmp_path / "instances.json", doc), format="coco")
    assert _ids(clean) - _ids(dataset) <= {"2"}
    kept = [o for item in dataset.items for o in item.objects if o.id == "2"]
    assert all(len(o.geometry.parts) == 1 for o in kept)  # the bad ring is gone either way
    assert any(
        t.startswith("instances.json: ") and ("annotations[1]" in t or "object 2:" in t)
        for t in _new_issues(clean, dataset)
    )


def test_coordinates_within_the_extent_are_kept(tmp_path: Path) -> None:
    """A sloppy vertex a little outside the 8×6 image stays: only absurd values are refused."""
    doc = _set(COCO, ("annotations", 0, "segmentation", 0, 2), 40.0)  # 5× the width
    dataset = formats.read(_write(tmp_path / "instances.json", doc), format="coco")
    assert "1" in _ids(dataset)


def test_extent_limit_follows_the_image_size(tmp_path: Path) -> None:
    doc = _set(COCO, ("annotations", 0, "segmentation", 0, 2), 801.0)  # beyond 100 × 8 px
    dataset = formats.read(_write(tmp_path / "instances.json", doc), format="coco")
    assert "1" not in _ids(dataset)
    assert any("object 1: polygon lies far outside the image" in t for t in _messages(dataset))


# --- writers never crash on what a reader kept ---------------------------------------------------


@pytest.mark.parametrize("target", ["coco", "masks", "voc"])
@pytest.mark.parametrize("value", [1e9, float("nan"), 2**70], ids=repr)
def test_writers_survive_hostile_coordinates_in_a_subprocess(
    tmp_path: Path, target: str, value: Any
) -> None:
    """pycocotools sizes buffers by a polygon's extent: a vertex at 1e9 or NaN used to kill the
    process by signal. Run as a user would, in a child process, so a crash shows as a signal.
    """
    doc = _set(COCO, ("annotations", 0, "segmentation", 0, 0), value)
    doc = _set(doc, ("annotations", 5, "bbox", 0), value)
    path = _write(tmp_path / "instances.json", doc)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "labelview",
            "convert",
            str(path),
            "--to",
            target,
            "-o",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode in (0, 1), (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert "instances.json: " in result.stderr  # the skip was reported, located


# --- wrong-type containers ------------------------------------------------------------------------


def _container_cases() -> list[tuple[str, str, tuple, Any, str]]:
    """(format, fixture, where, bad value, text the located warning carries)."""
    unit = "aaaaaaaa-0000-0000-0000-00000000000f"
    labels = (0, "data_units", unit, "labels")
    nested = (1, "labels", "car", 0, "nested_geometries")
    return [
        ("encord", "encord/mini.json", labels, 0, f"{unit}.labels: labels must be an object"),
        ("encord", "encord/mini.json", (*labels, "objects"), 0, "objects must be a list"),
        ("encord", "encord/mini.json", (5, "object_answers"), 0, "[5].object_answers: "),
        (
            "segments",
            "segments/vector_release.json",
            ("dataset", "samples", 0, "labels"),
            0,
            "dataset.samples[0].labels: labels is not an object",
        ),
        (
            "segments",
            "segments/vector_release.json",
            ("dataset", "samples", 0, "labels", "ground-truth", "attributes"),
            0,
            "labels.ground-truth.attributes: label attributes not an object",
        ),
        (
            "segments",
            "segments/sequence_release.json",
            ("dataset", "samples", 0, "labels", "ground-truth", "attributes", "frames"),
            0,
            "attributes.frames: frames / sensors is not a list",
        ),
        ("datagym", "datagym/export.json", (1, "labels"), 0, "[1].labels: labels is not"),
        ("datagym", "datagym/export.json", nested, 0, "[1].labels.car[0].nested_geometries: "),
        ("datagym", "datagym/export.json", (*nested, "plate"), "x", "plate: not a list"),
        ("coco", "coco/instances.json", ("annotations", 0), 0, "annotations[0]"),
    ]


@pytest.mark.parametrize(
    ("fmt", "fixture", "where", "value", "expected"),
    _container_cases(),
    ids=lambda v: v if isinstance(v, str) and "/" in v and len(v) < 40 else None,
)
def test_wrong_type_container_is_reported_not_silent(
    tmp_path: Path, fmt: str, fixture: str, where: tuple, value: Any, expected: str
) -> None:
    source = DATA / fixture
    for sibling in source.parent.iterdir():  # ontologies and images beside the export
        (tmp_path / sibling.name).symlink_to(sibling)
    doc = json.loads(source.read_text())
    clean_path = tmp_path / f"clean_{source.name}"
    clean = formats.read(_write(clean_path, doc), format=fmt)
    path = tmp_path / f"bad_{source.name}"
    dataset = formats.read(_write(path, _set(doc, where, value)), format=fmt)

    new = _new_issues(clean, dataset)
    assert any(text.startswith(f"{path.name}: ") and expected in text for text in new), new
    assert len(dataset.items) == len(clean.items), "the item itself still loads"


def test_dataloop_container_keeps_the_other_items(tmp_path: Path) -> None:
    item = json.loads((DATA / "dataloop" / "item_all_types.json").read_text())
    broken = {**copy.deepcopy(item), "id": "other", "annotations": 0}
    dataset = formats.read(_write(tmp_path / "export.json", [item, broken]), format="dataloop")
    clean = formats.read(_write(tmp_path / "one.json", item), format="dataloop")
    assert dataset.object_count == clean.object_count
    assert any("[1].annotations: not a list" in t for t in _messages(dataset))


# --- values of the wrong type or size -------------------------------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**70], ids=repr)
def test_segments_category_id_out_of_range_skips_that_category(tmp_path: Path, value: Any) -> None:
    doc = json.loads((DATA / "segments" / "vector_release.json").read_text())
    bad = _set(doc, ("dataset", "task_attributes", "categories", 0, "id"), value)
    dataset = formats.read(_write(tmp_path / "release.json", bad), format="segments")
    assert any(
        t.startswith("release.json: dataset.task_attributes.categories[0]: category skipped")
        for t in _messages(dataset)
    )


def _video(annotations: list[dict], **system: object) -> dict:
    return {
        "id": "vid",
        "filename": "/v.webm",
        "metadata": {"system": {"mimetype": "video/webm", "fps": 30, **system}},
        "annotations": annotations,
    }


def _track(ann_id: str, **system: object) -> dict:
    return {
        "id": ann_id,
        "type": "box",
        "label": "car",
        "coordinates": [{"x": 1, "y": 0}, {"x": 3, "y": 2}],
        "metadata": {"system": system},
    }


def test_dataloop_track_from_minus_a_billion_does_not_explode(tmp_path: Path) -> None:
    doc = [_video([_track("far", frame=-1e9, endFrame=4), _track("ok", frame=0, endFrame=1)])]
    dataset = formats.read(_write(tmp_path / "export.json", doc), format="dataloop")
    frames = sorted(o.frame for o in dataset.items[0].objects if o.id == "far")
    assert frames == [0, 1, 2, 3, 4]
    assert any(
        t.startswith("export.json: [0].annotations[0].metadata.system.frame: frame -1,000,000,000")
        for t in _messages(dataset)
    )


def test_dataloop_track_stops_at_the_videos_last_frame(tmp_path: Path) -> None:
    doc = [
        _video([_track("long", frame=2, endFrame=10**12), _track("late", frame=50)], nb_frames=10)
    ]
    dataset = formats.read(_write(tmp_path / "export.json", doc), format="dataloop")
    objects = dataset.items[0].objects
    assert sorted(o.frame for o in objects if o.id == "long") == list(range(2, 10))
    assert not [o for o in objects if o.id == "late"]
    texts = _messages(dataset)
    assert any(
        "[0].annotations[0].metadata.system.endFrame: track ends at frame" in t for t in texts
    )
    assert any("[0].annotations[1]: " in t and "after the video's last frame 9" in t for t in texts)


def test_dataloop_unsized_video_caps_a_huge_track(tmp_path: Path) -> None:
    doc = [_video([_track("huge", frame=0, endFrame=10**9)])]
    dataset = formats.read(_write(tmp_path / "export.json", doc), format="dataloop")
    from labelview.formats.dataloop.tracks import MAX_TRACK_FRAMES

    assert len(dataset.items[0].objects) == MAX_TRACK_FRAMES
    assert any("frames cut to" in t for t in _messages(dataset))


@pytest.mark.parametrize("title", ["a" * 300, "nul\x00name.png"], ids=["300 chars", "NUL"])
def test_info_on_an_unusable_image_name_is_no_traceback(
    tmp_path: Path, title: str, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads((DATA / "encord" / "mini.json").read_text())
    unit = next(iter(doc[0]["data_units"]))
    doc = _set(doc, (0, "data_units", unit, "data_title"), title)
    doc = _set(doc, (0, "data_title"), title)
    path = _write(tmp_path / "export.json", doc)
    assert main(["info", str(path)]) in (0, 1)
    captured = capsys.readouterr()
    assert "items: 6" in captured.out
    assert "Traceback" not in captured.err


def test_info_on_a_data_title_of_infinity_is_located(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = _set(
        json.loads((DATA / "encord" / "mini.json").read_text()), (0, "data_title"), float("inf")
    )
    path = _write(tmp_path / "export.json", doc)
    assert main(["info", str(path)]) in (0, 1)
    captured = capsys.readouterr()
    assert "export.json: [0]: label row not read: data_title must be text" in captured.err
    assert "items: 5" in captured.out


@pytest.mark.parametrize("value", ["abc", float("inf"), 2**70], ids=repr)
def test_coco_writer_recomputes_a_kept_bbox_that_is_no_number(tmp_path: Path, value: Any) -> None:
    """The reader keeps a keypoint annotation's own bbox; the writer must not trust it blindly."""
    from labelview.convert import convert

    doc = _set(COCO, ("annotations", 4, "bbox", 0), value)
    path = _write(tmp_path / "instances.json", doc)
    report = convert(path, tmp_path / "out", "coco")
    written = json.loads((tmp_path / "out" / "annotations.json").read_text())
    (ann,) = [a for a in written["annotations"] if a["id"] == 5]
    assert all(isinstance(v, (int, float)) for v in ann["bbox"])
    assert report.targets[0].objects == 9


def test_yolo_writer_skips_a_box_left_of_the_image_beside_polygons(tmp_path: Path) -> None:
    """A box wholly outside the image next to polygons once crashed the YOLO writer."""
    from labelview.convert import convert

    doc = _set(COCO, ("annotations", 6, "bbox"), [-5, 2, 2, 1])  # a box entirely left of x = 0
    report = convert(_write(tmp_path / "instances.json", doc), tmp_path / "out", "yolo")
    assert report.targets[0].dropped["empty boxes (outside the image or zero size)"] == 1


def test_one_coordinate_bound_for_the_toolkit_and_the_screen() -> None:
    from labelview import limits
    from labelview.formats import _reading

    assert _reading.MAX_COORDINATE == limits.MAX_COORDINATE
    assert _reading.extent_limit(640, 480) == 640 * limits.MAX_EXTENT_FACTOR
    assert _reading.extent_limit(None, 480) == limits.MAX_COORDINATE
    assert _reading.coordinate(599.0, "x", limit=_reading.extent_limit(6, 4)) == 599.0
    with pytest.raises(_reading.Skip, match="far outside"):
        _reading.coordinate(601.0, "x", limit=_reading.extent_limit(6, 4))


ANGO_ROTATED = (0, "task", "tools", 3, "rotated-bounding-box")
# (format, fixture, where, value, the object's id) — one hostile value per shape kind.
CROSS_FORMAT = [
    ("ango", "ango/v3_all_tools.json", (0, "task", "tools", 4, "polygon", 0, 0), 1e9, None),
    ("ango", "ango/v3_all_tools.json", (*ANGO_ROTATED, "rotation"), float("inf"), None),
    ("ango", "ango/v3_all_tools.json", (0, "task", "tools", 0, "bounding-box", "x"), "abc", None),
    ("labelme", "labelme/sample.json", ("shapes", 0, "points", 1, 0), 1e9, None),
    ("labelme", "labelme/sample.json", ("shapes", 3, "points", 1, 0), float("nan"), None),
    ("labelme", "labelme/sample.json", ("shapes", 9, "points", 2, 1), -1e9, None),
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "fixture", "where", "value", "_id"), CROSS_FORMAT)
def test_hostile_shape_values_convert_without_a_crash(
    tmp_path: Path, fmt: str, fixture: str, where: tuple, value: Any, _id: Any
) -> None:
    """Read, then write every rasterising target, in a child process (a pycocotools crash is a
    signal there, not a dead test run).
    """
    source = DATA / fixture
    for sibling in source.parent.iterdir():
        (tmp_path / sibling.name).symlink_to(sibling)
    clean = formats.read(source, format=fmt)
    path = tmp_path / f"bad_{source.name}"
    dataset = formats.read(
        _write(path, _set(json.loads(source.read_text()), where, value)), format=fmt
    )
    assert dataset.object_count == clean.object_count - 1
    assert [t for t in _new_issues(clean, dataset) if t.startswith(f"{path.name}: ")]
    result = subprocess.run(
        [sys.executable, "-m", "labelview", "convert", str(path), "--from", fmt,
         "--to", "coco", "--to", "masks", "--to", "voc", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )  # fmt: skip
    assert result.returncode in (0, 1), (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", [12, float("inf"), 2**70], ids=repr)
def test_encord_object_hash_that_is_no_text_converts_to_coco(tmp_path: Path, value: Any) -> None:
    from labelview.convert import convert

    source = DATA / "encord" / "mini.json"
    for sibling in source.parent.iterdir():
        (tmp_path / sibling.name).symlink_to(sibling)
    unit = "aaaaaaaa-0000-0000-0000-00000000000f"
    where = (0, "data_units", unit, "labels", "objects", 0, "objectHash")
    path = _write(tmp_path / "export.json", _set(json.loads(source.read_text()), where, value))
    report = convert(path, tmp_path / "out", "coco", from_format="encord")
    assert (tmp_path / "out" / "annotations.json").is_file()
    if isinstance(value, int) and value < 2**63:
        assert report.objects == formats.read(source, format="encord").object_count
    else:
        assert any(f"{unit}.labels.objects[0]" in str(i) for i in report.issues)
