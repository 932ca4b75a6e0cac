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
    report = labelme.write(_source(), output, labelme.LabelmeOptions(), WriteContext())
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
    assert report.dropped["polygons with holes written as masks (LabelMe polygons have no holes)"]
    assert report.dropped["ellipses written as 64-point polygons (LabelMe circles only)"] == 1
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
