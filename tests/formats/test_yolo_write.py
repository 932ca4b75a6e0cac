"""Ultralytics YOLO: detection, reading (box / polygon / pose / OBB), ids, writing, round trips."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import numpy as np
import pytest
import yaml
from yolo_support import _png, _read, _write

from labelview import formats
from labelview.formats import yolo
from labelview.formats.base import WriteContext
from labelview.model import (
    Box,
    Dataset,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    RotatedBox,
)
from labelview.model.classifications import Answer
from labelview.model.geometry import ArrayMask, make_part
from labelview.model.objects import Skeleton
from labelview.output import OutputDir

# --- writing ----------------------------------------------------------------------------------


def _source(tmp_path: Path) -> Dataset:
    image = _png(tmp_path / "src" / "photo.png")
    dataset = Dataset()
    dataset.category("cat")
    dataset.category("dog", skeleton=Skeleton(names=("nose", "left_eye", "right_eye")))
    item = Item(id="1", name="photo.png", image="photo.png", image_path=image, width=40, height=20)
    item.objects = [
        ObjectLabel("cat", Box(8.0, 13.0, 4.0, 4.0), attributes=[Answer("colour", "red")]),
        ObjectLabel("dog", Polygon.from_points([[20, 2], [30, 2], [30, 10]])),
        ObjectLabel("cat", RotatedBox(15.0, 10.0, 10.0, 6.0, 30.0)),
        ObjectLabel(
            "dog",
            Keypoints.from_lists([[10, 5], [0, 0], [30, 10]], [2, 0, 1], ("nose", "l", "r")),
        ),
        ObjectLabel("cat", Point(3.0, 3.0)),
    ]
    dataset.items.append(item)
    return dataset


def test_write_detect_round_trip_and_report(tmp_path: Path) -> None:
    source = _source(tmp_path)
    report = _write(source, tmp_path / "out", images="copy")
    data = yaml.safe_load((tmp_path / "out/data.yaml").read_text())
    assert data["names"] == {0: "cat", 1: "dog"}
    assert (data["train"], data["val"]) == ("images/train", "images/train")
    assert "path" not in data  # so that Ultralytics resolves splits against the yaml's folder
    assert (tmp_path / "out/train.txt").read_text() == "./images/train/photo.png\n"
    lines = (tmp_path / "out/labels/train/photo.txt").read_text().splitlines()
    assert lines[0] == "0 0.25 0.75 0.1 0.2"
    assert report.dropped["polygon written as its bounding box"] == 1
    assert report.dropped["rotated box written as its bounding box"] == 1
    assert report.dropped["keypoints written as its bounding box"] == 1
    assert report.dropped["point shapes (Ultralytics YOLO has no equivalent)"] == 1
    assert report.dropped["Ultralytics YOLO cannot hold attribute values"] == 1
    back, ctx = _read(tmp_path / "out")
    assert not ctx.issues
    boxes = [obj.geometry for obj in back.items[0].objects]
    assert boxes[0] == Box(8.0, 13.0, 4.0, 4.0)
    assert boxes[1].bounds() == pytest.approx((20, 2, 30, 10))
    assert [obj.category for obj in back.items[0].objects] == ["cat", "dog", "cat", "dog"]


def test_write_segment_round_trip(tmp_path: Path) -> None:
    source = _source(tmp_path)
    report = _write(source, tmp_path / "out", task="segment", images="copy")
    back, _ = _read(tmp_path / "out", task="segment")
    polygons = [obj.geometry for obj in back.items[0].objects]
    np.testing.assert_allclose(polygons[0].parts[0].outer, Box(8, 13, 4, 4).corners(), atol=1e-5)
    np.testing.assert_allclose(polygons[1].parts[0].outer, [[20, 2], [30, 2], [30, 10]], atol=1e-5)
    np.testing.assert_allclose(
        polygons[2].parts[0].outer, RotatedBox(15, 10, 10, 6, 30).corners(), atol=1e-4
    )
    assert report.dropped["keypoints shapes (Ultralytics YOLO has no equivalent)"] == 1
    assert report.dropped["box written as a 4-point polygon"] == 1


def test_write_obb_round_trip_keeps_the_angle(tmp_path: Path) -> None:
    source = _source(tmp_path)
    _write(source, tmp_path / "out", task="obb", images="copy")
    text = yaml.safe_load((tmp_path / "out/data.yaml").read_text())
    assert text["task"] == "obb"
    back, _ = _read(tmp_path / "out")
    rotated = back.items[0].objects[2].geometry
    assert isinstance(rotated, RotatedBox)
    assert (rotated.cx, rotated.cy, rotated.w, rotated.h) == pytest.approx(
        (15, 10, 10, 6), abs=1e-4
    )
    assert rotated.angle % 180 == pytest.approx(30, abs=1e-3)


def test_write_pose_round_trip_and_flip_idx(tmp_path: Path) -> None:
    source = _source(tmp_path)
    source.categories["dog"] = source.categories["dog"].model_copy(
        update={"skeleton": Skeleton(names=("nose", "left_eye", "right_eye"))}
    )
    report = _write(source, tmp_path / "out", task="pose", images="copy")
    data = yaml.safe_load((tmp_path / "out/data.yaml").read_text())
    assert data["kpt_shape"] == [3, 3]
    assert data["flip_idx"] == [0, 2, 1]
    line = (tmp_path / "out/labels/train/photo.txt").read_text().strip()
    assert line == "1 0.5 0.375 0.5 0.25 0.25 0.25 2 0 0 0 0.75 0.5 1"
    assert report.dropped["box shapes (Ultralytics YOLO has no equivalent)"] == 1
    back, _ = _read(tmp_path / "out")
    (obj,) = back.items[0].objects
    np.testing.assert_allclose(obj.geometry.points, [[10, 5], [0, 0], [30, 10]])
    assert obj.geometry.visibility.tolist() == [2, 0, 1]


def test_clipping_and_unique_safe_names(tmp_path: Path) -> None:
    dataset = Dataset()
    for index, name in enumerate(["../a.png", "A.png", "a.png"]):
        item = Item(id=str(index), name=name, image=name, width=10, height=10)
        item.objects = [ObjectLabel("x", Box(-5.0, 5.0, 10.0, 10.0))]
        dataset.items.append(item)
    report = _write(dataset, tmp_path / "out")
    labels = sorted(p.name for p in (tmp_path / "out/labels/train").iterdir())
    assert labels == ["A_2.txt", "a.txt", "a_3.txt"]  # unique even on case-folding disks
    assert (tmp_path / "out/labels/train/a.txt").read_text() == "0 0.25 0.75 0.5 0.5\n"
    assert report.dropped["coordinates clipped to the image"] == 3
    assert report.dropped["image names made safe (absolute or '..' parts removed)"] == 1


def test_multi_part_polygon_and_mask_become_one_ring(tmp_path: Path) -> None:
    pixels = np.zeros((20, 40), dtype=bool)
    pixels[2:6, 30:36] = True
    item = Item(id="1", name="m.png", width=40, height=20)
    two_parts = Polygon(
        (make_part([[1, 1], [5, 1], [5, 5]]), make_part([[10, 1], [14, 1], [14, 5]]))
    )
    item.objects = [
        ObjectLabel("x", two_parts),
        ObjectLabel("x", Mask(20, 40, ArrayMask(pixels))),
    ]
    dataset = Dataset(items=[item])
    report = _write(dataset, tmp_path / "out", task="segment")
    back, _ = _read(tmp_path / "out", task="segment", image_size=(40, 20))
    bridged, traced = (obj.geometry for obj in back.items[0].objects)
    assert len(bridged.parts[0].outer) == 3 + 1 + 3 + 1  # both rings closed, plus the bridges
    assert bridged.bounds() == pytest.approx((1, 1, 14, 5))
    assert traced.bounds() == pytest.approx((30, 2, 36, 6))
    assert (
        report.dropped[
            "mask traced to one polygon ring (parts and holes joined by zero-width bridges)"
        ]
        == 1
    )
    assert (
        report.dropped["multipart polygon written as one ring (parts joined by zero-width bridges)"]
        == 1
    )


# --- the writer's declaration, per task ---------------------------------------------------------


@pytest.mark.parametrize("task", ["detect", "segment", "pose", "obb"])
def test_loss_report_names_what_each_task_does_not_hold(task: str, tmp_path: Path) -> None:
    from labelview.convert import convert
    from labelview.formats._writing import _UNITS, FIELDS, SHAPE_KINDS, losses
    from tests.formats.contract import random_dataset

    dataset = random_dataset(7, list(SHAPE_KINDS), tmp_path / "src", each=True)
    options = yolo.YoloOptions(task=task)
    held = yolo.holds(options)
    result = convert(
        tmp_path / "src/export.json",
        tmp_path / "out",
        "yolo",
        options={"yolo": options},
        dataset=dataset,
        verify=True,
    )
    report = result.targets[0]
    text = "\n".join(report.dropped)
    assert losses(dataset, held, yolo.FORMAT.title).keys() <= report.dropped.keys()
    for field in FIELDS:  # a YOLO line holds a class and a shape, nothing else
        assert f"cannot hold {_UNITS[field]}" in text, field
    for kind in SHAPE_KINDS:
        mentioned = any(_names_kind(line, kind) for line in report.dropped)
        assert mentioned != held.exact(kind), f"{kind} reported wrongly\n{text}"
    # Read back, every shape held (exactly, or as declared) is where it was, with its class.
    findings = report.findings
    if task == "obb":
        # verify checks that a converted shape keeps its extent; a minimum-area rotated
        # rectangle encloses the shape instead, so check that here.
        findings = [f for f in findings if not _encloses(dataset, tmp_path / "out", f)]
    assert findings == [], "\n".join(str(f) for f in findings)
    # train.txt and the label files point at images that exist (linked by default).
    listed = (tmp_path / "out/train.txt").read_text().splitlines()
    assert len(listed) == len(dataset.items)
    assert all((tmp_path / "out" / line).is_file() for line in listed)
    assert any("images:" in note for note in report.notes)


def _names_kind(line: str, kind: str) -> bool:
    """True when a loss line is about `kind` ("polygon …" is not "polygon with holes …")."""
    from labelview.formats._writing import SHAPE_KINDS

    longer = [k for k in SHAPE_KINDS if k != kind and k.startswith(kind)]
    text = kind.replace("_", " ") + " "
    return line.startswith(text) and not any(line.startswith(k.replace("_", " ")) for k in longer)


def _encloses(dataset: Dataset, out: Path, finding) -> bool:
    """True when the finding is a converted polygon whose rotated box read back encloses it."""
    source = next(o for _, o in dataset.objects() if o.id == finding.object)
    if finding.what != "moved" or not isinstance(source.geometry, Polygon):
        return False
    points = np.concatenate([part.outer for part in source.geometry.parts])
    back, _ = _read(out)
    for item in back.items:
        for obj in item.objects:
            corners = obj.geometry.corners()
            edges = np.roll(corners, -1, axis=0) - corners
            # A point is inside a convex outline when it is on the same side of every edge.
            offsets = points[:, None, :] - corners[None, :, :]
            cross = edges[None, :, 0] * offsets[..., 1] - edges[None, :, 1] * offsets[..., 0]
            if (cross >= -1e-3).all() or (cross <= 1e-3).all():
                return True
    return False


def test_label_map_gives_the_class_order_and_appends_the_rest(tmp_path: Path) -> None:
    source = _source(tmp_path)  # categories cat, dog
    (tmp_path / "classes.txt").write_text("bird\ndog\n")
    report = _write(source, tmp_path / "out", names=str(tmp_path / "classes.txt"))
    data = yaml.safe_load((tmp_path / "out/data.yaml").read_text())
    assert data["names"] == {0: "bird", 1: "dog", 2: "cat"}
    assert any("1 categories not in classes.txt appended" in note for note in report.notes)
    first = (tmp_path / "out/labels/train/photo.txt").read_text().splitlines()[0]
    assert first.startswith("2 ")  # the cat box
    # A data.yaml with `names` (a mapping, in id order) works as the label map too.
    (tmp_path / "map.yaml").write_text("names: {1: cat, 0: dog}\n")
    _write(source, tmp_path / "out2", names=str(tmp_path / "map.yaml"))
    data = yaml.safe_load((tmp_path / "out2/data.yaml").read_text())
    assert data["names"] == {0: "dog", 1: "cat"}
    back, _ = _read(tmp_path / "out2")
    assert list(back.categories) == ["dog", "cat"]


def test_a_missing_label_map_is_a_clear_error(tmp_path: Path) -> None:
    from labelview.errors import FormatError

    with pytest.raises(FormatError, match="label map not read"):
        _write(_source(tmp_path), tmp_path / "out", names=str(tmp_path / "nope.txt"))


def test_an_image_name_with_a_newline_does_not_split_train_txt(tmp_path: Path) -> None:
    image = _png(tmp_path / "src" / "two\nlines.png")
    item = Item(id="1", name="two\nlines.png", image_path=image, width=40, height=20)
    item.objects = [ObjectLabel("a", Box(0.0, 0.0, 4.0, 2.0))]
    dataset = Dataset(items=[item], source=tmp_path / "src/export.json")
    output = OutputDir(tmp_path / "out")
    ctx = WriteContext(image_roots=[tmp_path / "src"])
    report = formats.write("yolo", dataset, output, yolo.YoloOptions(), ctx)
    output.commit()
    assert (tmp_path / "out/train.txt").read_text() == "./images/train/two_lines.png\n"
    assert (tmp_path / "out/images/train/two_lines.png").is_file()
    assert (tmp_path / "out/labels/train/two_lines.txt").is_file()
    assert report.renamed == {"two\nlines.png": "two_lines.png"}  # reported per name


def test_images_are_named_as_found_and_linked_beside_the_labels(tmp_path: Path) -> None:
    image = _png(tmp_path / "export/sub/x.png")
    item = Item(id="1", name="x", image="https://cdn.example/a/x.png?sig=1", image_path=image)
    item.width, item.height = 40, 20
    item.objects = [ObjectLabel("a", Box(0.0, 0.0, 4.0, 2.0))]
    dataset = Dataset(items=[item], source=tmp_path / "export/export.json")
    report = _write(dataset, tmp_path / "out")
    assert (tmp_path / "out/train.txt").read_text() == "./images/train/x.png\n"
    assert (tmp_path / "out/labels/train/x.txt").is_file()
    assert (tmp_path / "out/images/train/x.png").is_file()
    assert any(note.startswith("images: 1 ") for note in report.notes)


# --- every standard sample: read → write the same task → read ---------------------------------


def _task_of(dataset: Dataset) -> str:
    kinds = set(dataset.counts()["kind"])
    if "keypoints" in kinds:
        return "pose"
    if "rotated_box" in kinds:
        return "obb"
    return "segment" if "polygon" in kinds else "detect"


def _normalised(obj: ObjectLabel, width: int, height: int) -> np.ndarray:
    """An object's points in [0, 1] (a box as the 4-point polygon the segment task writes)."""
    geometry = obj.geometry
    if isinstance(geometry, Box | RotatedBox):
        points = geometry.corners()
        if isinstance(geometry, RotatedBox):  # the corner a rotated box starts at may differ
            points = points[np.lexsort((points[:, 1], points[:, 0]))]
    elif isinstance(geometry, Polygon):
        points = geometry.parts[0].outer
    else:
        labelled = geometry.visibility > 0
        points = np.column_stack((geometry.points[labelled], geometry.visibility[labelled]))
        return points / np.array([width, height, 1.0])
    return np.asarray(points, dtype=np.float64) / np.array([width, height])


@pytest.mark.samples
def test_every_standard_sample_round_trips_through_the_writer(samples: Path, tmp_path) -> None:
    cases = sorted(p for p in (samples / "standard/yolo").iterdir() if p.is_dir())
    assert cases
    for case in cases:
        source = formats.read(case)
        task = _task_of(source)
        out = tmp_path / case.name
        output = OutputDir(out)
        ctx = WriteContext(image_roots=[case])
        formats.write("yolo", source, output, yolo.YoloOptions(task=task), ctx)
        output.commit()
        back = formats.read(out)
        assert list(back.categories) == list(source.categories), case.name
        by_stem = {PurePosixPath(item.name).stem: item for item in back.items}
        for item in source.items:
            if not item.objects:
                continue
            written = by_stem[PurePosixPath(item.name).stem]
            assert (written.width, written.height) == (item.width, item.height), case.name
            assert [o.category for o in written.objects] == [o.category for o in item.objects]
            for a, b in zip(item.objects, written.objects, strict=True):
                given = _normalised(a, item.width, item.height)
                if given.min() < 0 or given[:, :2].max() > 1:
                    continue  # clipped to the image (reported), so not the same by design
                np.testing.assert_allclose(
                    given,
                    _normalised(b, item.width, item.height),
                    atol=1e-6,
                    err_msg=f"{case.name}: {item.name}",
                )
