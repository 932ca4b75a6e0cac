"""LabelMe JSON: detection, every shape type, X-AnyLabeling keys, writing and round trips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from labelview import formats
from labelview.errors import FormatError
from labelview.formats import labelme
from labelview.formats.base import Confidence, Probe, ReadContext, WriteContext
from labelview.model import (
    Box,
    Dataset,
    Ellipse,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.classifications import Answer
from labelview.model.geometry import ArrayMask
from labelview.output import OutputDir
from tests.formats.contract import every_shape


def _read(path: Path) -> tuple[Dataset, ReadContext]:
    ctx = ReadContext(file=path)
    return labelme.read(path, ctx), ctx


def _answers(obj: ObjectLabel) -> dict:
    return {answer.name: answer.value for answer in obj.attributes}


def test_detects_its_fixture(data: Path) -> None:
    assert labelme.detect(Probe.of(data / "labelme/sample.json")).confidence == (Confidence.CERTAIN)
    assert labelme.detect(Probe.of(data / "labelme")).confidence == Confidence.CERTAIN
    assert formats.detect(data / "labelme/sample.json").name == "labelme"


def test_does_not_claim_other_fixtures(data: Path) -> None:
    for other in ("voc", "voc/Annotations/img1.xml", "yolo/detect_segment"):
        assert labelme.detect(Probe.of(data / other)).confidence <= Confidence.WEAK, other
    coco = b'{"images": [], "annotations": [], "categories": []}'
    assert labelme.detect(Probe(Path("c.json"), coco)).confidence == Confidence.WEAK


def test_reads_every_shape_type(data: Path) -> None:
    dataset, ctx = _read(data / "labelme/sample.json")
    (item,) = dataset.items
    assert (item.name, item.width, item.height) == ("sample.png", 40, 20)
    assert item.image_path == data / "labelme/sample.png"
    assert {a.name: a.value for a in item.classifications} == {"night": True, "blurry": False}
    assert item.extra["customTop"] == {"k": 1}
    objects = {obj.id: obj for obj in item.objects}
    np.testing.assert_allclose(objects["0"].geometry.parts[0].outer, [[2, 3], [12, 3], [12, 8]])
    assert _answers(objects["0"]) == {"occluded": True, "description": "left cat"}
    assert objects["2"].geometry == Box(22.0, 11.0, 8.0, 4.0)  # corners in any order
    assert objects["2"].confidence == 0.75
    assert _answers(objects["2"]) == {"color": "brown", "difficult": True}
    assert objects["3"].geometry == Ellipse(5.0, 15.0, 3.0, 3.0)
    assert isinstance(objects["4"].geometry, Polyline)
    np.testing.assert_allclose(objects["5"].geometry.points, [[1, 18], [20, 19], [39, 17]])
    assert objects["6"].geometry == Point(33.5, 2.25)
    keypoints = objects["7"].geometry
    assert isinstance(keypoints, Keypoints)
    assert keypoints.names == ("a", "c")
    assert keypoints.visibility.tolist() == [2, 1]
    mask = objects["8"].geometry
    assert isinstance(mask, Mask)
    pixels = mask.decode()
    assert pixels.shape == (20, 40)
    assert sorted(zip(*np.nonzero(pixels), strict=True)) == [(4, 30), (4, 31), (5, 31), (5, 32)]
    rotated = objects["9"].geometry
    assert isinstance(rotated, RotatedBox)
    assert (rotated.cx, rotated.cy, rotated.w, rotated.h, rotated.angle) == (24, 4, 8, 4, 0)
    assert objects["10"].geometry is None  # unknown shape kept, with a warning
    assert [(r.name, r.members) for r in item.relations] == [("group", ("0", "1"))]
    issues = {issue.where: issue.message for issue in ctx.issues}
    assert "unknown shape type 'cuboid'" in issues["shapes[10].shape_type"]
    assert issues["shapes[11]"] == "polygon has 2 points"
    assert len(ctx.issues) == 2


def test_invalid_json_names_its_location(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"shapes": [\n  {"label": "a",,}\n]}')
    with pytest.raises(FormatError, match="line 2"):
        _read(bad)


def _source() -> Dataset:
    dataset = Dataset()
    item = Item(id="1", name="dir/photo.jpg", image="dir/photo.jpg", width=40, height=20)
    holed = Polygon.from_points(
        [[20, 2], [36, 2], [36, 14], [20, 14]], holes=[[[24, 5], [30, 5], [30, 10], [24, 10]]]
    )
    pixels = np.zeros((20, 40), dtype=bool)
    pixels[15:18, 2:9] = True
    item.objects = [
        ObjectLabel("cat", Box(2.5, 3.0, 10.0, 5.0), attributes=[Answer("colour", "red")]),
        ObjectLabel("cat", RotatedBox(15.0, 10.0, 10.0, 6.0, 30.0), confidence=0.5),
        ObjectLabel("dog", Polygon.from_points([[1, 1], [8, 2], [3, 9]])),
        ObjectLabel("dog", holed),
        ObjectLabel("ball", Ellipse(30.0, 15.0, 2.0, 2.0)),
        ObjectLabel("ball", Ellipse(30.0, 15.0, 4.0, 2.0, 10.0)),
        ObjectLabel("road", Polyline.from_points([[0, 19], [10, 18], [39, 19]])),
        ObjectLabel("nose", Point(33.5, 2.25)),
        ObjectLabel(
            "pose", Keypoints.from_lists([[10, 5], [0, 0], [30, 10]], [2, 0, 1], ("a", "b", "c"))
        ),
        ObjectLabel("blob", Mask(20, 40, ArrayMask(pixels))),
    ]
    item.classifications = [Answer("night", True), Answer("weather", "rain")]
    dataset.items.append(item)
    return dataset


def test_write_round_trip(tmp_path: Path) -> None:
    output = OutputDir(tmp_path / "out")
    report = formats.write("labelme", _source(), output, labelme.LabelmeOptions(), WriteContext())
    output.commit()
    path = tmp_path / "out/dir/photo.json"
    document = json.loads(path.read_text())
    assert document["imagePath"] == "photo.jpg"
    assert (document["imageWidth"], document["imageHeight"]) == (40, 20)
    assert document["flags"] == {"night": True}
    assert document["attributes"] == {"weather": "rain"}
    kinds = [shape["shape_type"] for shape in document["shapes"]]
    assert kinds == [
        "rectangle",
        "rotation",
        "polygon",
        "mask",
        "circle",
        "polygon",
        "linestrip",
        "point",
        "points",
        "mask",
    ]
    assert report.dropped["polygon with holes written as a mask (LabelMe polygons have no holes)"]
    ellipses = "ellipse written as a circle, or as a 64-point polygon when not round"
    assert report.dropped[ellipses] == 2  # from HOLDS: a circle is exact, the other is not
    back, ctx = _read(tmp_path / "out")
    assert not ctx.issues
    source = _source().items[0].objects
    objects = back.items[0].objects
    assert objects[0].geometry == source[0].geometry
    assert _answers(objects[0]) == {"colour": "red"}
    rotated = objects[1].geometry
    assert (rotated.cx, rotated.cy, rotated.w, rotated.h) == pytest.approx((15, 10, 10, 6))
    assert rotated.angle == pytest.approx(30)
    assert objects[1].confidence == 0.5
    np.testing.assert_allclose(objects[2].geometry.parts[0].outer, [[1, 1], [8, 2], [3, 9]])
    holed = objects[3].geometry.decode()
    assert holed[3, 21]  # inside the ring
    assert not holed[7, 27]  # inside the hole
    assert objects[4].geometry == Ellipse(30.0, 15.0, 2.0, 2.0)
    np.testing.assert_allclose(objects[6].geometry.points, [[0, 19], [10, 18], [39, 19]])
    assert objects[7].geometry == Point(33.5, 2.25)
    keypoints = objects[8].geometry
    assert keypoints.names == ("a", "c")
    np.testing.assert_allclose(keypoints.points, [[10, 5], [30, 10]])
    assert np.array_equal(objects[9].geometry.decode(), source[9].geometry.decode())
    assert {a.name: a.value for a in back.items[0].classifications} == {
        "night": True,
        "weather": "rain",
    }


@pytest.mark.samples
def test_reads_every_labelme_sample_without_errors(samples: Path) -> None:
    root = samples / "standard" / "labelme"
    polygons = formats.read(root / "labelme_polygons-group-id_voc2011-3img")
    assert polygons.format == "labelme"
    assert dict(polygons.counts()["kind"]) == {"polygon": 18}
    grouped = sum(len(r.members) for item in polygons.items for r in item.relations)
    assert grouped == 6  # the 6 shapes with a group_id form 2 groups (of 2 and 4 polygons)
    assert not polygons.issues
    rectangles = formats.read(root / "labelme_rectangles_voc2011-3img")
    assert dict(rectangles.counts()["kind"]) == {"box": 9}
    assert rectangles.items[0].objects[0].geometry.bounds() == pytest.approx(
        (191.0, 107.36900369003689, 313.0, 329.36900369003695)
    )
    flags = formats.read(root / "labelme_image-flags-only_2img")
    assert [{a.name: a.value for a in i.classifications}["cat"] for i in flags.items] == [
        True,
        False,
    ]
    embedded = formats.read(root / "labelme_embedded-imageData_apc2016")
    (item,) = embedded.items
    assert item.image_path is not None
    assert item.image_path.suffix == ".jpg"
    assert (item.width, item.height) == (1210, 907)
    assert embedded.object_count == 4
    for dataset in (rectangles, flags, embedded):
        assert not dataset.issues


def test_embedded_image_data_is_cached_and_sized(tmp_path: Path) -> None:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (7, 3)).save(buffer, "PNG")
    document = {
        "shapes": [],
        "imagePath": "self.json",
        "imageData": base64.b64encode(buffer.getvalue()).decode(),
    }
    (tmp_path / "self.json").write_text(json.dumps(document))
    dataset, ctx = _read(tmp_path / "self.json")
    (item,) = dataset.items
    assert item.name == "self.png"  # named like an image, so writers give it an image name
    assert item.image_path is not None
    assert item.image_path.read_bytes() == buffer.getvalue()
    assert (item.width, item.height) == (7, 3)
    assert not ctx.issues


def test_a_broken_file_is_an_error_for_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"shapes": [')
    good = {
        "shapes": [{"label": "x", "points": [[0, 0], [2, 2]], "shape_type": "rectangle"}],
        "imagePath": "b.jpg",
        "imageWidth": "wide",
        "imageHeight": 3,
    }
    (tmp_path / "b.json").write_text(json.dumps(good))
    dataset, ctx = _read(tmp_path)
    assert [item.name for item in dataset.items] == ["b.jpg"]
    errors = [(i.file, i.where) for i in ctx.issues if i.level == "error"]
    assert errors == [("a.json", "line 1 column 13")]
    assert any("imageWidth must be an integer" in i.message for i in ctx.issues)
    assert dataset.items[0].objects[0].geometry == Box(0.0, 0.0, 2.0, 2.0)


def test_images_are_placed_beside_the_json(tmp_path: Path) -> None:
    from PIL import Image

    images = tmp_path / "images"
    (images / "dir").mkdir(parents=True)
    Image.new("RGB", (40, 20)).save(images / "dir/photo.png")
    dataset = _source()
    item = dataset.items[0]
    item.image, item.image_path = "https://host/dir/photo.png?sig=1", images / "dir/photo.png"
    output = OutputDir(tmp_path / "out")
    ctx = WriteContext(image_roots=[images])
    report = formats.write("labelme", dataset, output, labelme.LabelmeOptions(), ctx)
    output.commit()
    document = json.loads((tmp_path / "out/dir/photo.json").read_text())
    assert document["imagePath"] == "photo.png"
    assert (tmp_path / "out/dir/photo.png").is_file()
    assert any(note.startswith("images: 1 ") for note in report.notes)
    back, _ = _read(tmp_path / "out")
    assert back.items[0].image_path == tmp_path / "out/dir/photo.png"


def _everything() -> Dataset:
    """One image holding every shape kind and every field the model has."""
    from labelview.model import StageEvent
    from labelview.model.objects import Relation

    shapes = every_shape()
    item = Item(id="1", name="scene.jpg", image="scene.jpg", width=64, height=48)
    for n, (kind, geometry) in enumerate(shapes.items()):
        item.objects.append(
            ObjectLabel(
                kind,
                geometry,
                id=f"o{n}",
                attributes=[
                    Answer("occluded", True),
                    Answer("colour", "red"),
                    Answer("count", 3),
                    Answer("tags", ["a", "b"]),
                    Answer("description", "the one"),
                ],
                confidence=0.25 + n / 100,
                source="model",
                track="t1",
                created_by="ann",
                z_order=n,
            )
        )
    item.objects.append(ObjectLabel("box", Box(30.0, 30.0, 4.0, 4.0), id="g"))
    item.relations = [
        Relation("group", ("o0", "g"), extra={"group_id": 7}),
        Relation("follows", ("o0", "o2"), directed=True),
    ]
    item.classifications = [Answer("night", True), Answer("weather", "rain")]
    item.history = [StageEvent(stage="Review", action="accepted"), StageEvent(stage="Label")]
    item.status = "done"
    dataset = Dataset(items=[item])
    for obj in item.objects:
        dataset.category(obj.category)
    return dataset


def test_loss_report_names_every_field_not_held_and_the_held_ones_read_back(
    tmp_path: Path,
) -> None:
    source = _everything()
    output = OutputDir(tmp_path / "out")
    report = formats.write("labelme", source, output, labelme.LabelmeOptions(), WriteContext())
    output.commit()
    title = "LabelMe JSON"
    units = [
        "manual/model flags",
        "track ids",
        "object ids",
        "objects' author and time stamps",
        "z-order values",
        "review verdicts",
        "stage history events",
        "item statuses",
    ]
    for unit in units:
        assert f"{title} cannot hold {unit}" in report.dropped, unit
    for held in ("attribute values", "confidence scores", "classification answers"):
        assert not any(held in reason for reason in report.dropped), held
    assert report.dropped["polygon with holes written as a mask (LabelMe polygons have no holes)"]
    assert report.dropped["multipart polygon written as polygons sharing a group_id"] == 1
    relations = "relations other than groups of same-label objects (LabelMe has group_id)"
    assert report.dropped[relations] == 1
    back, ctx = _read(tmp_path / "out")
    assert not ctx.issues
    (item,) = back.items
    assert {a.name: a.value for a in item.classifications} == {"night": True, "weather": "rain"}
    written = [obj for obj in item.objects if obj.category != "multipart_polygon"]
    parts = [obj for obj in item.objects if obj.category == "multipart_polygon"]
    assert len(parts) == 2
    originals = [o for o in source.items[0].objects if o.category != "multipart_polygon"]
    assert len(written) == len(originals)
    for before, after in zip(originals, written, strict=True):
        assert _answers(after) == _answers(before), before.category
        assert after.confidence == before.confidence
        if before.category == "polygon_with_holes":
            assert isinstance(after.geometry, Mask)
        elif before.category == "rotated_box":
            rotated = after.geometry
            assert (rotated.cx, rotated.cy, rotated.w, rotated.h, rotated.angle) == pytest.approx(
                (30.0, 10.0, 8.0, 4.0, 30.0)
            )
        elif before.category == "mask":
            assert np.array_equal(after.geometry.decode(), before.geometry.decode())
        elif before.category == "polygon":
            np.testing.assert_array_equal(
                after.geometry.parts[0].outer, before.geometry.parts[0].outer
            )
        elif before.category in ("polyline", "keypoints"):
            np.testing.assert_array_equal(after.geometry.points, before.geometry.points)
            if before.category == "keypoints":
                assert after.geometry.names == before.geometry.names
                assert list(after.geometry.visibility) == list(before.geometry.visibility)
        else:
            assert after.geometry == before.geometry, before.category
    groups = [r for r in item.relations if r.extra and r.extra.get("group_id") == 7]
    assert [len(r.members) for r in groups] == [2]


@pytest.mark.samples
@pytest.mark.parametrize(
    "name",
    [
        "labelme_embedded-imageData_apc2016",
        "labelme_image-flags-only_2img",
        "labelme_polygons-group-id_voc2011-3img",
        "labelme_rectangles_voc2011-3img",
    ],
)
def test_every_sample_round_trips(samples: Path, tmp_path: Path, name: str) -> None:
    source = formats.read(samples / "standard" / "labelme" / name, format="labelme")
    output = OutputDir(tmp_path / "out")
    report = formats.write("labelme", source, output, labelme.LabelmeOptions(), WriteContext())
    output.commit()
    back = formats.read(tmp_path / "out", format="labelme")
    assert not back.issues
    # The reader numbers shapes by position; LabelMe has no id of its own.
    assert set(report.dropped) <= {"LabelMe JSON cannot hold object ids"}, report.summary()
    assert [item.name for item in back.items] == [item.name for item in source.items]
    for before, after in zip(source.items, back.items, strict=True):
        assert after.image_path is not None  # the image was placed beside the JSON
        assert (after.width, after.height) == (before.width, before.height)
        assert {a.name: a.value for a in after.classifications} == {
            a.name: a.value for a in before.classifications
        }
        assert len(after.objects) == len(before.objects)
        for a, b in zip(before.objects, after.objects, strict=True):
            assert (b.category, type(b.geometry)) == (a.category, type(a.geometry))
            if isinstance(a.geometry, Polygon):
                for pa, pb in zip(a.geometry.parts, b.geometry.parts, strict=True):
                    np.testing.assert_array_equal(pb.outer, pa.outer)
            else:
                assert b.geometry.bounds() == a.geometry.bounds()
            assert _answers(b) == _answers(a)
        assert [r.members for r in after.relations] == [r.members for r in before.relations]
