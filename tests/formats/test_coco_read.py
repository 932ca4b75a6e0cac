"""COCO JSON: detection, reading, writing, round trip, located warnings, real samples."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from coco_support import FIXTURE, _objects, _read

from labelview import formats
from labelview.errors import Cancelled
from labelview.formats import coco
from labelview.formats.base import Confidence, Probe, ReadContext
from labelview.model import (
    Box,
    Keypoints,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Skeleton,
)

# --- detection ------------------------------------------------------------------------------------


def test_detects_its_own_file_as_certain() -> None:
    verdict = coco.detect(Probe.of(FIXTURE / "instances.json"))
    assert verdict.confidence == Confidence.CERTAIN
    assert formats.detect(FIXTURE / "instances.json").name == "coco"


def test_detects_a_head_cut_before_categories(tmp_path: Path) -> None:
    images = [{"id": i, "file_name": f"{i}.jpg", "width": 4, "height": 3} for i in range(5000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"info": {}, "images": images, "annotations": [], "categories": []}))
    probe = Probe.of(path)
    assert len(probe.head) < probe.size  # the head really is cut inside images[]
    assert coco.detect(probe).confidence == Confidence.LIKELY


def test_detects_a_results_list_and_not_other_json(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps([{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1]}]))
    assert coco.detect(Probe.of(results)).confidence == Confidence.LIKELY
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"annotations": [{"label": "a", "type": "box"}], "name": "x"}))
    assert coco.detect(Probe.of(other)).confidence == Confidence.WEAK
    text = tmp_path / "labels.txt"
    text.write_text("0 0.5 0.5 0.1 0.1\n")
    assert coco.detect(Probe.of(text)).confidence == Confidence.NO


def test_other_formats_fixtures_are_at_most_weak() -> None:
    data = FIXTURE.parent
    checked = 0
    for path in sorted(data.rglob("*")):
        is_coco = "coco" in path.relative_to(data).parts or path.name.endswith(".coco.json")
        if path.is_file() and not is_coco:
            assert coco.detect(Probe.of(path)).confidence <= Confidence.WEAK, path
            checked += 1
    assert checked > 0


@pytest.mark.samples
def test_other_platforms_samples_are_at_most_weak(samples: Path) -> None:
    checked = 0
    for path in sorted(samples.rglob("*.json")):
        relative = path.relative_to(samples).as_posix()
        if relative.startswith("standard/coco/") or path.name.endswith(".coco.json"):
            continue
        assert coco.detect(Probe.of(path)).confidence <= Confidence.WEAK, relative
        checked += 1
    assert checked > 10


# --- reading --------------------------------------------------------------------------------------


def test_reads_images_and_categories() -> None:
    dataset = _read(FIXTURE / "instances.json")
    assert [(i.id, i.name, i.width, i.height) for i in dataset.items] == [
        ("10", "images/a.jpg", 8, 6),
        ("11", "b.png", 5, 4),
        ("0", "c.jpg", 6, 4),
    ]
    assert dataset.items[0].extra == {"license": 1}
    assert list(dataset.categories) == ["cat", "dog", "person"]
    assert [c.id for c in dataset.categories.values()] == [1, 3, 5]
    person = dataset.categories["person"]
    assert person.skeleton == Skeleton(
        names=("nose", "left_eye", "right_eye"), edges=((0, 1), (0, 2))
    )
    assert dataset.categories["cat"].supercategory == "animal"
    assert dataset.issues == []


def test_reads_every_geometry_kind() -> None:
    dataset = _read(FIXTURE / "instances.json")
    a = _objects(dataset, "images/a.jpg")
    (cat,) = a["1"]
    assert isinstance(cat.geometry, Polygon)
    assert cat.geometry.parts[0].outer.tolist() == [[1, 1], [4, 1], [4, 3], [1, 3]]
    assert [(x.name, x.value) for x in cat.attributes] == [("occluded", False), ("colour", "red")]
    assert cat.track == "7"
    (dog,) = a["2"]
    assert len(dog.geometry.parts) == 2  # two rings: a union of two parts, not a hole
    assert dog.geometry.parts[1].outer.tolist() == [[5.5, 3], [7.5, 3], [7.5, 4.5], [5.5, 4.5]]
    (crowd,) = a["4"]
    assert isinstance(crowd.geometry, Mask)
    # The source's values the writer gives back: crowd RLE bbox/area are not recomputed.
    assert crowd.extra == {"iscrowd": 1, "bbox": [0, 4, 3, 2], "area": 6.0}
    assert crowd.geometry.source.counts == [4, 2, 4, 2, 4, 2, 30]  # uncompressed, as given
    expected = np.zeros((6, 8), dtype=bool)
    expected[4:6, 0:3] = True
    assert np.array_equal(crowd.geometry.decode(), expected)
    assert crowd.geometry.area == 6
    assert crowd.geometry.bbox() == (0.0, 4.0, 3.0, 2.0)
    (rotated,) = a["7"]
    assert rotated.geometry == RotatedBox(3.0, 2.5, 2.0, 1.0, 90.0)

    b = _objects(dataset, "b.png")
    (ring,) = b["3"]
    mask = ring.geometry.decode()
    assert mask.shape == (4, 5)
    assert mask[0:3, 1:4].sum() == 8
    assert not mask[1, 2]
    # One annotation, one object: the keypoints, with the person's outline, box and area kept.
    (keypoints,) = b["5"]
    assert isinstance(keypoints.geometry, Keypoints)
    assert keypoints.geometry.points.tolist() == [[1, 0.5], [1.5, 1], [0, 0]]
    assert keypoints.geometry.visibility.tolist() == [2, 1, 0]
    assert keypoints.geometry.names == ("nose", "left_eye", "right_eye")
    assert keypoints.extra == {
        "bbox": [0, 0, 2, 4],
        "area": 8.0,
        "segmentation": [[0, 0, 2, 0, 2, 4, 0, 4]],
    }
    (scored,) = b["6"]
    assert scored.geometry == Box(3.0, 2.5, 1.5, 1.5)
    assert (scored.confidence, scored.source) == (0.875, "model")


def test_bad_objects_are_skipped_with_located_warnings() -> None:
    dataset = _read(FIXTURE / "broken.json")
    messages = [f"{issue.where}: {issue.message}" for issue in dataset.issues]
    assert messages == [
        "annotations[0]: polygon has 2 points",
        "annotations[1]: RLE runs sum to 11, expected height·width = 12",
        "annotations[2]: image_id 99 not in images",
        "annotations[3].segmentation: a flat list of numbers, not a list of rings: "
        "read as one ring",
        "annotations[4]: category_id 42 not in categories",
        "annotations[5]: polygon ring has an odd count of numbers (7)",
        "annotations[7]: polygon has null, NaN or infinite coordinates",
        "annotations[8]: not a JSON object: 'not an annotation'",
    ]
    assert all(issue.file == "broken.json" for issue in dataset.issues)
    # The rest still loads: the flat ring (4) and the good polygon (7).
    objects = dataset.items[0].objects
    assert [obj.id for obj in objects] == ["4", "7"]
    assert objects[0].geometry.parts[0].outer.tolist() == [[0, 0], [2, 0], [2, 2]]


def test_unreadable_file_fails_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"images": [{"id": 1,')
    with pytest.raises(formats.FormatError, match=r"cut\.json"):
        _read(path)
    other = tmp_path / "other.json"
    other.write_text('{"name": 1}')
    with pytest.raises(formats.FormatError, match="not a COCO file"):
        _read(other)


def test_string_ids_and_ints_written_as_strings(tmp_path: Path) -> None:
    path = tmp_path / "dataloop.json"
    doc = {
        "images": [{"id": "64a1f", "file_name": "x/y.jpg", "width": 4, "height": 4}, {"id": 7}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {"id": "ann-1", "image_id": "64a1f", "category_id": 1, "bbox": [0, 0, 1, 1]},
            {"id": 2, "image_id": "7", "category_id": "1", "bbox": [1, 1, 1, 1]},
            # Dataloop writes boxes with `segmentation: [[]]`.
            {
                "id": 3,
                "image_id": "7",
                "category_id": 1,
                "segmentation": [[]],
                "bbox": [0, 1, 2, 3],
            },
        ],
    }
    path.write_text(json.dumps(doc))
    dataset = _read(path)
    assert [obj.id for obj in dataset.items[0].objects] == ["ann-1"]
    assert [(o.id, o.geometry) for o in dataset.items[1].objects] == [
        ("2", Box(1, 1, 1, 1)),
        ("3", Box(0, 1, 2, 3)),
    ]
    assert [issue.where for issue in dataset.issues] == ["images[1]"]  # no size


def test_zero_based_skeleton_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "dataloop.json"
    doc = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 9, "height": 9}],
        "categories": [
            {"id": 1, "name": "p", "keypoints": ["a", "b", "c"], "skeleton": [[1, 2], [0, 1]]},
            {"id": 2, "name": "q", "keypoints": ["a", "b", "c"], "skeleton": [[1, 2], [2, 3]]},
        ],
        "annotations": [],
    }
    path.write_text(json.dumps(doc))
    dataset = _read(path)
    assert dataset.categories["p"].skeleton.edges == ((1, 2), (0, 1))
    assert dataset.categories["q"].skeleton.edges == ((0, 1), (1, 2))
    assert [issue.where for issue in dataset.issues] == ["categories[0].skeleton"]
    assert "0-based" in dataset.issues[0].message


def test_encord_shape_hints_and_rle_size_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "encord.coco.json"
    doc = {
        "images": [{"id": 0, "file_name": "images/h.jpg", "width": 10, "height": 8}],
        "categories": [
            {"id": 1, "name": "Box", "supercategory": "bounding_box"},
            {"id": 2, "name": "Line", "supercategory": "polyline"},
            {"id": 3, "name": "Point", "supercategory": "point", "keypoints": "keypoint"},
            {"id": 4, "name": "Mask", "supercategory": "bitmask"},
        ],
        "annotations": [
            {
                "id": 0,
                "image_id": 0,
                "category_id": 1,
                "bbox": [1, 2, 3, 4],
                "segmentation": [[1, 2, 4, 2, 4, 6, 1, 6]],
                "attributes": {"track_id": 0},
            },
            {
                "id": 1,
                "image_id": 0,
                "category_id": 2,
                "bbox": [0, 0, 5, 5],
                "area": 0,
                "segmentation": [[0, 0, 2, 3, 5, 5, 5, 5, 2, 3, 0, 0]],
            },
            {
                "id": 2,
                "image_id": 0,
                "category_id": 3,
                "bbox": [7, 1, 0, 0],
                "segmentation": [[7, 1]],
                "keypoints": [7, 1, 2],
                "num_keypoints": 1,
            },
            {
                "id": 3,
                "image_id": 0,
                "category_id": 4,
                "bbox": [0, 0, 1, 1],
                "segmentation": {"size": [2, 3], "counts": "06"},
                "iscrowd": 1,
            },
        ],
    }
    path.write_text(json.dumps(doc))
    dataset = _read(path)
    box, line, point, mask = dataset.items[0].objects
    assert (box.geometry, box.track) == (Box(1, 2, 3, 4), "0")
    assert isinstance(line.geometry, Polyline)
    assert line.geometry.points.tolist() == [[0, 0], [2, 3], [5, 5]]
    assert point.geometry == Point(7.0, 1.0)
    assert (mask.geometry.height, mask.geometry.width) == (2, 3)
    assert mask.geometry.decode().all()
    assert [f"{i.where}: {i.message}" for i in dataset.issues] == [
        "annotations[3].segmentation: RLE size [h, w] = [2, 3] differs from the image's 10×8"
    ]


def test_results_list_is_read_as_predictions(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    results = [
        {"image_id": 42, "category_id": 3, "bbox": [1, 2, 3, 4], "score": 0.5},
        {"image_id": 42, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 0.25},
    ]
    path.write_text(json.dumps(results))
    dataset = _read(path)
    assert [item.name for item in dataset.items] == ["42"]
    assert list(dataset.categories) == ["1", "3"]
    assert [(o.category, o.geometry, o.confidence) for o in dataset.items[0].objects] == [
        ("3", Box(1, 2, 3, 4), 0.5),
        ("1", Box(0, 0, 1, 1), 0.25),
    ]


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = FIXTURE / "instances.json"
    ctx = ReadContext(file=path)
    ctx.control.on_progress = lambda done, total: seen.append((done, total))
    coco.read(path, ctx)
    assert seen[0] == (0, 9)
    assert seen[-1] == (9, 9)


def test_cancel_stops_reading() -> None:
    path = FIXTURE / "instances.json"
    ctx = ReadContext(file=path)
    ctx.control.cancel_event = threading.Event()
    ctx.control.cancel_event.set()
    with pytest.raises(Cancelled):
        coco.read(path, ctx)
