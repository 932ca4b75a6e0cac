"""Pascal VOC XML: detection, reading (devkit, Datumaro and Dataloop variants), safety, writing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelview import formats
from labelview.errors import FormatError
from labelview.formats import voc
from labelview.formats.base import Confidence, Probe, ReadContext, WriteContext
from labelview.model import Box, Dataset, Item, ObjectLabel, Polygon
from labelview.model.classifications import Answer
from labelview.output import OutputDir


def _read(path: Path, **options: object) -> tuple[Dataset, ReadContext]:
    ctx = ReadContext(file=path, options=dict(options))
    return voc.read(path, ctx), ctx


def _answers(obj: ObjectLabel) -> dict:
    return {answer.name: answer.value for answer in obj.attributes}


def test_detects_its_fixtures(data: Path) -> None:
    assert voc.detect(Probe.of(data / "voc")).confidence == Confidence.CERTAIN
    assert voc.detect(Probe.of(data / "voc/Annotations/img1.xml")).confidence == (
        Confidence.CERTAIN
    )
    assert formats.detect(data / "voc/Annotations/img1.xml").name == "voc"


def test_does_not_claim_other_fixtures(data: Path) -> None:
    for other in ("labelme/sample.json", "yolo/detect_segment", "yolo/detect_segment/data.yaml"):
        assert voc.detect(Probe.of(data / other)).confidence <= Confidence.WEAK, other
    cvat = b'<?xml version="1.0"?>\n<annotations><version>1.1</version><image/></annotations>'
    assert voc.detect(Probe(Path("a.xml"), cvat)).confidence == Confidence.WEAK


def test_reads_boxes_attributes_parts_and_locates_bad_numbers(data: Path) -> None:
    dataset, ctx = _read(data / "voc")
    (item,) = dataset.items
    assert (item.name, item.width, item.height) == ("img1.png", 40, 20)
    assert item.image_path == data / "voc/JPEGImages/img1.png"
    cat, head, dog = item.objects
    assert cat.geometry == Box(2.5, 3.0, 10.0, 5.0)  # continuous corners, no ±1
    assert _answers(cat) == {
        "pose": "Left",
        "truncated": True,
        "difficult": False,
        "occluded": True,
    }
    assert cat.extra == {"id": "17"}
    assert (head.category, head.geometry) == ("head", Box(3.0, 4.0, 3.0, 3.0))
    assert [(r.name, r.members) for r in item.relations] == [("part_of", ("0.part0", "0"))]
    assert dog.geometry == Box(30.0, 10.0, 8.0, 9.0)
    assert _answers(dog) == {"color": "brown", "age": 3}
    (issue,) = ctx.issues
    assert str(issue) == "img1.xml: object[1].bndbox.xmin: not a number"


def test_one_based_option_shifts_to_pixel_corners(data: Path) -> None:
    dataset, _ = _read(data / "voc", one_based=True)
    # xmin 2.5 .. xmax 12.5 as 1-based inclusive indices: x = 1.5, w = 11.
    assert dataset.items[0].objects[0].geometry == Box(1.5, 2.0, 11.0, 6.0)


def test_dataloop_attributes_parsed_as_literals_never_evaluated(data: Path) -> None:
    dataset, ctx = _read(data / "voc/variants/dataloop.xml")
    plane, person = dataset.items[0].objects
    assert plane.geometry == Box(104.5, 78.0, 270.75, 105.0)
    assert _answers(plane) == {"color": "red", "parked": True}
    assert _answers(person) == {"attributes": ["occluded", "red"]}
    (issue,) = ctx.issues
    assert issue.where == "object[2].attributes"
    assert "not a Python literal" in issue.message


def test_entity_bomb_is_refused_quickly(data: Path) -> None:
    with pytest.raises(FormatError, match="DTD or entities") as error:
        _read(data / "voc/variants/bomb.xml")
    assert error.value.file == "bomb.xml"


def test_not_xml_is_a_located_error(tmp_path: Path) -> None:
    bad = tmp_path / "Annotations"
    bad.mkdir()
    (bad / "a.xml").write_text("<annotation><object>")
    (bad / "b.xml").write_text(
        "<annotation><filename>b.jpg</filename><size><width>4</width><height>3</height></size>"
        "<object><name>x</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>1</xmax><ymax>1</ymax>"
        "</bndbox></object></annotation>"
    )
    dataset, ctx = _read(tmp_path)
    assert [item.name for item in dataset.items] == ["b.jpg"]
    (issue,) = ctx.issues
    assert issue.file == "a.xml"
    assert issue.level == "error"


def _source() -> Dataset:
    dataset = Dataset()
    item = Item(id="1", name="dir/photo.jpg", image="dir/photo.jpg", width=40, height=20)
    item.objects = [
        ObjectLabel(
            "cat",
            Box(2.5, 3.0, 10.0, 5.0),
            id="a",
            attributes=[
                Answer("truncated", True),
                Answer("difficult", False),
                Answer("colour", "red"),
                Answer("pose", "Left"),
            ],
        ),
        ObjectLabel("head", Box(3.0, 4.0, 3.0, 3.0), id="b"),
        ObjectLabel("dog", Polygon.from_points([[30, 10], [45, 12], [33, 19]]), id="c"),
    ]
    from labelview.model.objects import Relation

    item.relations = [Relation("part_of", ("b", "a"), directed=True)]
    dataset.items.append(item)
    for name in ("cat", "head", "dog"):
        dataset.category(name)
    return dataset


def test_write_round_trip(tmp_path: Path) -> None:
    output = OutputDir(tmp_path / "out")
    report = voc.write(_source(), output, voc.VocOptions(), WriteContext())
    output.commit()
    xml = tmp_path / "out/Annotations/dir/photo.xml"
    root = ET.parse(xml).getroot()
    assert root.findtext("size/width") == "40"
    assert root.findtext("object/bndbox/xmin") == "2.5"
    assert (tmp_path / "out/ImageSets/Main/default.txt").read_text() == "dir/photo\n"
    labelmap = (tmp_path / "out/labelmap.txt").read_text().splitlines()
    assert labelmap[2].startswith("cat:")
    assert "polygon written as its bounding box" not in report.dropped  # its shape is in PNGs
    assert report.dropped["boxes clipped to the image"] == 1
    assert root.findtext("segmented") == "1"
    classes = np.asarray(Image.open(tmp_path / "out/SegmentationClass/dir/photo.png"))
    instances = np.asarray(Image.open(tmp_path / "out/SegmentationObject/dir/photo.png"))
    assert classes.shape == (20, 40)
    assert (classes[13, 35], instances[13, 35]) == (3, 2)  # dog = class 3, 2nd <object>
    assert (classes[2, 5], instances[2, 5]) == (0, 0)  # boxes are not painted
    back, ctx = _read(tmp_path / "out")
    assert not ctx.issues
    cat, head, dog = back.items[0].objects
    assert cat.geometry == Box(2.5, 3.0, 10.0, 5.0)
    assert _answers(cat) == {
        "pose": "Left",
        "truncated": True,
        "difficult": False,
        "colour": "red",
    }
    assert head.geometry == Box(3.0, 4.0, 3.0, 3.0)
    assert back.items[0].relations[0].members == ("0.part0", "0")
    assert dog.geometry == Box(30.0, 10.0, 10.0, 9.0)  # clipped to the 40-pixel width


def test_write_without_segmentation_reports_the_bounding_box(tmp_path: Path) -> None:
    output = OutputDir(tmp_path / "out")
    options = voc.VocOptions(segmentation=False)
    report = voc.write(_source(), output, options, WriteContext())
    output.commit()
    assert report.dropped["polygon written as its bounding box"] == 1
    assert not (tmp_path / "out/SegmentationClass").exists()


def test_write_one_based_round_trip(tmp_path: Path) -> None:
    dataset = Dataset()
    item = Item(id="1", name="p.jpg", width=40, height=20)
    item.objects = [ObjectLabel("cat", Box(0.0, 0.0, 10.0, 5.0))]
    dataset.items.append(item)
    output = OutputDir(tmp_path / "out")
    voc.write(dataset, output, voc.VocOptions(one_based=True), WriteContext())
    output.commit()
    root = ET.parse(tmp_path / "out/Annotations/p.xml").getroot()
    box = [root.findtext(f"object/bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")]
    assert box == ["1", "1", "10", "5"]
    back, _ = _read(tmp_path / "out", one_based=True)
    assert back.items[0].objects[0].geometry == Box(0.0, 0.0, 10.0, 5.0)


@pytest.mark.samples
def test_reads_every_voc_sample_without_errors(samples: Path) -> None:
    root = samples / "standard" / "voc"
    originals = formats.read(root / "dtlpy-converters_voc2012-originals_10img")
    assert originals.format == "voc"
    counts = originals.counts()["category"]
    assert counts["aeroplane"] == 5
    assert counts["person"] == 3
    parts = {"head": 1, "hand": 1, "foot": 2}
    assert sum(counts.values()) == 19 + sum(parts.values())
    assert not originals.issues
    first = originals.items[0]
    assert first.objects[0].geometry == Box(174.0, 101.0, 175.0, 250.0)
    labelme_voc = formats.read(root / "labelme_bbox-detection_voc2011-3img")
    assert labelme_voc.object_count == 9
    assert not labelme_voc.issues
    box = labelme_voc.items[0].objects[0].geometry
    assert (box.x, box.y) == pytest.approx((191.0, 107.36900369003689))
    masks = formats.read(root / "labelme_instance-seg-masks_voc2011-3img")
    assert masks.object_count == 12
    assert not masks.issues
    first_mask = masks.items[0].objects[0].geometry
    assert first_mask.decode().shape == (338, 500)
    assert np.any(first_mask.decode())


def test_labelme_ignore_regions_are_painted_void(tmp_path: Path) -> None:
    item = Item(id="1", name="v.jpg", width=40, height=20)
    item.objects = [
        ObjectLabel("cat", Polygon.from_points([[0, 0], [30, 0], [30, 20], [0, 20]])),
        ObjectLabel("__ignore__", Polygon.from_points([[2, 2], [6, 2], [6, 6], [2, 6]])),
    ]
    output = OutputDir(tmp_path / "out")
    voc.write(Dataset(items=[item]), output, voc.VocOptions(), WriteContext())
    output.commit()
    classes = np.asarray(Image.open(tmp_path / "out/SegmentationClass/v.png"))
    assert (classes[4, 4], classes[10, 20], classes[10, 35]) == (255, 1, 0)
