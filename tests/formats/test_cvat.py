"""CVAT for images 1.1 XML writer: shapes, CVAT's own mask RLE, skeletons, tags, attributes.

The XML is checked with an independent parse (ElementTree), not with our reader (its tests are in
test_cvat_read.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from labelview import formats
from labelview.formats import cvat
from labelview.formats._writing import _UNITS, FIELDS, SHAPE_KINDS, losses
from labelview.formats.base import Confidence, Probe, WriteContext
from labelview.model import (
    Answer,
    ArrayMask,
    Box,
    Dataset,
    Ellipse,
    Frame,
    Item,
    Keypoints,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    Skeleton,
)
from labelview.output import OutputDir


def _write(dataset: Dataset, folder: Path, **options: object) -> tuple[ET.Element, object]:
    out = OutputDir(folder)
    # Through the registry, so the report holds what `holds` leaves out too.
    options.setdefault("mode", "images")  # these tests are about CVAT for images
    report = formats.write("cvat", dataset, out, cvat.CvatOptions(**options), WriteContext())
    out.commit()
    return ET.parse(folder / "annotations.xml").getroot(), report


def _dataset(*objects: ObjectLabel, width: int = 10, height: int = 8) -> Dataset:
    dataset = Dataset()
    for obj in objects:
        dataset.category(obj.category)
    dataset.items.append(
        Item(id="1", name="img/a.jpg", width=width, height=height, objects=list(objects))
    )
    return dataset


def test_detect_claims_cvat_xml_only(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text("<annotations><version>1.1</version></annotations>")
    assert cvat.FORMAT.detect(Probe.of(path)).confidence == Confidence.CERTAIN
    voc = tmp_path / "a.xml"
    voc.write_text("<annotation><object><name>a</name></object></annotation>")
    assert cvat.FORMAT.detect(Probe.of(voc)).confidence == Confidence.NO
    assert "CVAT" in cvat.FORMAT.detect(Probe.of(path)).reason
    assert cvat.FORMAT.readable
    assert cvat.FORMAT.writable


def test_header_and_image(tmp_path: Path) -> None:
    root, report = _write(_dataset(ObjectLabel("car", Box(1, 2, 3, 4))), tmp_path)
    assert root.tag == "annotations"
    assert root.findtext("version") == "1.1"
    assert root.findtext("meta/task/size") == "1"
    image = root.find("image")
    assert image.attrib == {"id": "0", "name": "img/a.jpg", "width": "10", "height": "8"}
    assert report.items == 1
    assert report.objects == 1


def test_simple_shapes_exact_coordinates(tmp_path: Path) -> None:
    root, _ = _write(
        _dataset(
            ObjectLabel("car", Box(1.005, 2, 3.5, 4), source="model", z_order=3),
            ObjectLabel("road", Polygon.from_points([[0, 0], [4, 0.25], [2, 3]])),
            ObjectLabel("lane", Polyline.from_points([[1, 1], [2, 2.5]])),
            ObjectLabel("dot", Point(7.256, 0)),
        ),
        tmp_path,
    )
    box = root.find("image/box")
    assert box.attrib["label"] == "car"
    # Two decimals as CVAT writes them, more where two would move the edge.
    assert (box.get("xtl"), box.get("ytl"), box.get("xbr"), box.get("ybr")) == (
        "1.005",
        "2.00",
        "4.505",
        "6.00",
    )
    assert box.get("source") == "auto"
    assert box.get("z_order") == "3"
    assert "occluded" not in box.attrib  # no occluded attribute: none written (read back: none)
    assert "rotation" not in box.attrib
    assert root.find("image/polygon").get("points") == "0.00,0.00;4.00,0.25;2.00,3.00"
    assert root.find("image/polygon").get("source") == "manual"
    assert root.find("image/polyline").get("points") == "1.00,1.00;2.00,2.50"
    assert root.find("image/points").get("points") == "7.256,0.00"
    types = {
        label.findtext("name"): label.findtext("type")
        for label in root.iterfind("meta/task/labels/label")
    }
    assert types == {"car": "rectangle", "road": "polygon", "lane": "polyline", "dot": "points"}


def test_rotated_box_and_ellipse_keep_clockwise_rotation(tmp_path: Path) -> None:
    root, _ = _write(
        _dataset(
            ObjectLabel("plate", RotatedBox(5, 4, 4, 2, 30)),
            ObjectLabel("plate", RotatedBox(5, 4, 4, 2, -90)),
            ObjectLabel("ball", Ellipse(3, 3, 2, 1, 15)),
        ),
        tmp_path,
    )
    boxes = root.findall("image/box")
    # CVAT's box is the unrotated one; rotation is clockwise degrees in [0, 360), like ours.
    assert [boxes[0].get(k) for k in ("xtl", "ytl", "xbr", "ybr", "rotation")] == [
        "3.00",
        "3.00",
        "7.00",
        "5.00",
        "30.00",
    ]
    assert boxes[1].get("rotation") == "270.00"
    ellipse = root.find("image/ellipse")
    assert [ellipse.get(k) for k in ("cx", "cy", "rx", "ry", "rotation")] == [
        "3.00",
        "3.00",
        "2.00",
        "1.00",
        "15.00",
    ]


def test_mask_rle_is_row_major_inside_the_box(tmp_path: Path) -> None:
    pixels = np.zeros((8, 10), dtype=bool)
    pixels[2, 3:6] = True  # a bar on row 2 …
    pixels[3, 3] = True  # … and an L foot: asymmetric, catches transposed output
    pixels[4, 3] = True
    root, _ = _write(_dataset(ObjectLabel("blob", Mask(8, 10, ArrayMask(pixels)))), tmp_path)
    mask = root.find("image/mask")
    assert (mask.get("left"), mask.get("top"), mask.get("width"), mask.get("height")) == (
        "3",
        "2",
        "3",
        "3",
    )
    runs = [int(v) for v in mask.get("rle").split(",")]
    # Row-major in the 3×3 box: 111 / 100 / 100 -> first (background) run is empty.
    assert runs == [0, 4, 2, 1, 2]
    decoded = cvat.cvat_rle_to_mask(runs, 3, 2, 3, 3, (8, 10))
    assert np.array_equal(decoded, pixels)


def test_mask_rle_first_run_background_and_round_trip() -> None:
    rng = np.random.default_rng(7)
    pixels = rng.random((13, 17)) > 0.6
    pixels[0, 0] = False
    runs, left, top, width, height = cvat.mask_to_cvat_rle(pixels)
    assert sum(runs) == width * height
    assert np.array_equal(cvat.cvat_rle_to_mask(runs, left, top, width, height, (13, 17)), pixels)
    assert cvat.mask_to_cvat_rle(np.zeros((3, 3), dtype=bool)) is None


def test_empty_mask_is_reported(tmp_path: Path) -> None:
    empty = Mask(8, 10, ArrayMask(np.zeros((8, 10), dtype=bool)))
    root, report = _write(_dataset(ObjectLabel("blob", empty)), tmp_path)
    assert root.find("image/mask") is None
    assert report.dropped["empty masks"] == 1
    assert report.objects == 0


def test_polygon_with_hole_becomes_a_mask_with_the_hole_empty(tmp_path: Path) -> None:
    pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")
    ring = Polygon.from_points([[1, 1], [9, 1], [9, 7], [1, 7]], holes=[[[4, 3], [6, 3], [6, 5]]])
    root, report = _write(_dataset(ObjectLabel("donut", ring)), tmp_path)
    assert root.find("image/polygon") is None
    mask = root.find("image/mask")
    runs = [int(v) for v in mask.get("rle").split(",")]
    decoded = cvat.cvat_rle_to_mask(
        runs, *(int(mask.get(k)) for k in ("left", "top", "width", "height")), (8, 10)
    )
    assert decoded[1, 1]
    assert decoded[6, 8]
    assert not decoded[3, 5]  # inside the hole
    assert not decoded[0, 0]
    assert not decoded[7, 9]
    assert report.dropped["polygon with holes written as masks (CVAT polygons have no holes)"] == 1
    label = root.find("meta/task/labels/label")
    assert label.findtext("type") == "mask"


def test_multi_part_polygon_shares_a_group(tmp_path: Path) -> None:
    two = Polygon.from_rings([[[0, 0], [2, 0], [2, 2]], [[5, 5], [7, 5], [7, 7]]])
    root, report = _write(_dataset(ObjectLabel("road", two)), tmp_path, images="none")
    polygons = root.findall("image/polygon")
    assert len(polygons) == 2
    assert polygons[0].get("group_id") == polygons[1].get("group_id") == "1"
    assert report.objects == 1
    assert report.dropped == {
        "multipart polygon written as one polygon per part, sharing a group_id": 1
    }


def test_skeleton_nodes_visibility_and_meta(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("person", skeleton=Skeleton(names=("nose", "eye"), edges=((0, 1),)))
    kp = Keypoints.from_lists([[1, 2], [0, 0]], [2, 0])
    kp_occluded = Keypoints.from_lists([[3, 4], [5, 6]], [1, 2])
    dataset.items.append(
        Item(
            id="1",
            name="a.jpg",
            width=10,
            height=10,
            objects=[ObjectLabel("person", kp), ObjectLabel("person", kp_occluded)],
        )
    )
    root, _ = _write(dataset, tmp_path)
    skeletons = root.findall("image/skeleton")
    assert len(skeletons) == 2
    nodes = skeletons[0].findall("points")
    assert [(n.get("label"), n.get("outside"), n.get("occluded")) for n in nodes] == [
        ("nose", "0", "0"),
        ("eye", "1", "0"),
    ]
    assert nodes[0].get("points") == "1.00,2.00"
    assert skeletons[1].find("points").get("occluded") == "1"
    labels = root.findall("meta/task/labels/label")
    assert [(lb.findtext("name"), lb.findtext("type"), lb.findtext("parent")) for lb in labels] == [
        ("person", "skeleton", None),
        ("nose", "points", "person"),
        ("eye", "points", "person"),
    ]
    svg = labels[0].findtext("svg")
    assert 'data-node-from="1" data-node-to="2"' in svg
    assert 'data-label-name="eye"' in svg


def test_attributes_types_and_occluded(tmp_path: Path) -> None:
    objects = [
        ObjectLabel(
            "car",
            Box(0, 0, 1, 1),
            attributes=[
                Answer("occluded", True),
                Answer("colour", "red"),
                Answer("parked", False),
                Answer("doors", 4),
                Answer("note", "a\nb"),
            ],
        ),
        ObjectLabel(
            "car",
            Box(0, 0, 2, 2),
            attributes=[Answer("colour", "blue", children=[Answer("shade", "dark")])],
        ),
    ]
    root, _ = _write(_dataset(*objects), tmp_path)
    first, second = root.findall("image/box")
    assert first.get("occluded") == "1"
    assert {a.get("name"): a.text for a in first.findall("attribute")} == {
        "colour": "red",
        "parked": "false",
        "doors": "4",
        "note": "a\nb",
    }
    assert {a.get("name"): a.text for a in second.findall("attribute")} == {
        "colour": "blue",
        "colour/shade": "dark",
    }
    specs = {
        a.findtext("name"): (a.findtext("input_type"), a.findtext("values"))
        for a in root.iterfind("meta/task/labels/label/attributes/attribute")
    }
    assert specs["colour"] == ("select", "red\nblue")
    assert specs["parked"] == ("checkbox", "false")
    assert specs["doors"] == ("number", "4\n4\n1")
    assert specs["note"][0] == "text"
    assert "occluded" not in specs


def test_item_classifications_become_tags(tmp_path: Path) -> None:
    dataset = _dataset(ObjectLabel("car", Box(0, 0, 1, 1)))
    dataset.items[0].classifications = [
        Answer("weather", "rain", children=[Answer("intensity", "heavy")], source="model")
    ]
    root, _ = _write(dataset, tmp_path)
    tag = root.find("image/tag")
    assert tag.get("label") == "weather"
    assert tag.get("source") == "auto"
    assert {a.get("name"): a.text for a in tag.findall("attribute")} == {
        "weather": "rain",
        "weather/intensity": "heavy",
    }
    types = {lb.findtext("name"): lb.findtext("type") for lb in root.iter("label")}
    assert types["weather"] == "tag"


def test_names_from_input_are_escaped(tmp_path: Path) -> None:
    nasty = "a<b>&\"c'"
    dataset = _dataset(
        ObjectLabel(nasty, Box(0, 0, 1, 1), attributes=[Answer("x&y", "<v>")]), width=4, height=4
    )
    dataset.items[0].name = "dir/<img>&.jpg"
    root, _ = _write(dataset, tmp_path)
    assert root.find("image/box").get("label") == nasty
    assert root.find("image").get("name") == "dir/<img>&.jpg"
    assert root.find("image/box/attribute").get("name") == "x&y"
    assert root.find("image/box/attribute").text == "<v>"


def test_unsafe_image_names_are_made_safe(tmp_path: Path) -> None:
    dataset = _dataset(ObjectLabel("car", Box(0, 0, 1, 1)))
    dataset.items[0].name = "../../evil.jpg"
    image_file = tmp_path / "src.jpg"
    image_file.write_bytes(b"jpeg")
    dataset.items[0].image_path = image_file
    root, report = _write(dataset, tmp_path / "out", images="copy")
    assert root.find("image").get("name") == "evil.jpg"
    assert (tmp_path / "out" / "images" / "evil.jpg").read_bytes() == b"jpeg"
    assert not (tmp_path / "evil.jpg").exists()
    assert report.dropped["image names made safe (absolute or '..' parts removed)"] == 1


def test_multi_frame_item_writes_an_image_per_frame(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("car")
    dataset.items.append(
        Item(
            id="v",
            name="clip.mp4",
            kind="video",
            width=20,
            height=10,
            frames=[Frame(index=0), Frame(index=1, image="frames/1.jpg")],
            objects=[
                ObjectLabel("car", Box(0, 0, 1, 1), frame=0),
                ObjectLabel("car", Box(2, 2, 1, 1), frame=1, track="t1"),
            ],
        )
    )
    root, report = _write(dataset, tmp_path)
    images = root.findall("image")
    # The one naming rule: a video's frames are <video stem>/<frame:06d>.<ext>.
    assert [(i.get("id"), i.get("name")) for i in images] == [
        ("0", "clip/000000.jpg"),
        ("1", "clip/000001.jpg"),
    ]
    assert [len(i.findall("box")) for i in images] == [1, 1]
    assert images[1].find("box").get("xtl") == "2.00"
    assert report.dropped["CVAT XML 1.1 cannot hold track ids"] == 1


def test_image_without_size_is_reported(tmp_path: Path) -> None:
    dataset = _dataset(ObjectLabel("car", Box(0, 0, 1, 1)))
    dataset.items[0].width = None
    root, report = _write(dataset, tmp_path)
    assert "width" not in root.find("image").attrib
    assert report.dropped["images without a known size (width/height left out)"] == 1


def test_existing_output_is_not_overwritten(tmp_path: Path) -> None:
    from labelview.errors import OutputError

    (tmp_path / "annotations.xml").write_text("keep")
    with pytest.raises(OutputError):
        _write(_dataset(ObjectLabel("car", Box(0, 0, 1, 1))), tmp_path)
    assert (tmp_path / "annotations.xml").read_text() == "keep"


def test_url_names_keep_their_path(tmp_path: Path) -> None:
    dataset = _dataset(ObjectLabel("car", Box(0, 0, 1, 1)))
    dataset.items[0].name = "https://bucket.example/data/x%201.jpg"
    root, report = _write(dataset, tmp_path, images="none")
    assert root.find("image").get("name") == "data/x 1.jpg"
    assert not report.dropped


def test_control_characters_are_removed_not_written_raw(tmp_path: Path) -> None:
    dataset = _dataset(ObjectLabel("car\x01", Box(0, 0, 1, 1), attributes=[Answer("n", "a\x0bb")]))
    root, report = _write(dataset, tmp_path)  # ET.parse fails on raw control characters
    assert root.find("image/box").get("label") == "car"
    assert root.find("image/box/attribute").text == "ab"
    assert root.find("meta/task/labels/label/name").text == "car"
    assert report.dropped["control characters removed from texts (XML cannot hold them)"] >= 3


def test_image_names_are_unique(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.items = [
        Item(id="1", name="a.jpg", width=2, height=2),
        Item(id="2", name="a.jpg", width=2, height=2),
        Item(id="3", name="g", kind="group", frames=[Frame(index=0, name="a.jpg")]),
    ]
    root, report = _write(dataset, tmp_path)
    assert [image.get("name") for image in root.findall("image")] == ["a.jpg", "a_2.jpg", "a_3.jpg"]
    assert report.dropped["image names used twice (written with a _N suffix)"] == 2


# --- every field and shape kind, checked in an independent parse ---------------------------------


def _every_field(tmp_path: Path) -> Dataset:
    from tests.formats.contract import random_dataset

    return random_dataset(7, list(SHAPE_KINDS), tmp_path / "src", each=True)


def _shapes_of(image: ET.Element, obj: ObjectLabel) -> int:
    """How many shape elements one object becomes (a multi-part polygon: one per part)."""
    return len(obj.geometry.parts) if cvat_kind(obj) == "multipart_polygon" else 1


def cvat_kind(obj: ObjectLabel) -> str:
    from labelview.formats._writing import shape_kind

    return shape_kind(obj)


def _num(value: float) -> str:
    return f"{value:.2f}"


def _check_geometry(
    element: ET.Element, obj: ObjectLabel, size: tuple[int, int], part: int = 0
) -> None:
    from labelview.ops import raster

    g, kind = obj.geometry, cvat_kind(obj)
    if kind == "box":
        assert element.tag == "box"
        x0, y0, x1, y1 = g.bounds()
        assert [element.get(k) for k in ("xtl", "ytl", "xbr", "ybr")] == [
            _num(v) for v in (x0, y0, x1, y1)
        ]
    elif kind == "rotated_box":
        assert element.tag == "box"
        xtl, ytl, xbr, ybr = (float(element.get(k)) for k in ("xtl", "ytl", "xbr", "ybr"))
        assert (xtl + xbr) / 2 == pytest.approx(g.cx, abs=0.01)
        assert (ytl + ybr) / 2 == pytest.approx(g.cy, abs=0.01)
        assert (xbr - xtl, ybr - ytl) == pytest.approx((g.w, g.h), abs=0.02)
        assert float(element.get("rotation", "0")) == pytest.approx(g.angle % 360, abs=0.01)
    elif kind in ("polygon", "multipart_polygon", "polyline"):
        assert element.tag == ("polyline" if kind == "polyline" else "polygon")
        points = g.points if kind == "polyline" else g.parts[part].outer
        assert element.get("points") == ";".join(f"{_num(x)},{_num(y)}" for x, y in points)
    elif kind == "point":
        assert (element.tag, element.get("points")) == ("points", f"{_num(g.x)},{_num(g.y)}")
    elif kind == "ellipse":
        assert element.tag == "ellipse"
        assert [element.get(k) for k in ("cx", "cy", "rx", "ry")] == [
            _num(v) for v in (g.cx, g.cy, g.rx, g.ry)
        ]
    elif kind == "keypoints":
        assert element.tag == "skeleton"
        nodes = element.findall("points")
        assert [n.get("label") for n in nodes] == list(g.names)
        assert [n.get("points") for n in nodes] == [f"{_num(x)},{_num(y)}" for x, y in g.points]
        # visibility 0 = outside, 1 = occluded, 2 = visible
        assert [(n.get("outside"), n.get("occluded")) for n in nodes] == [
            ("1" if v == 0 else "0", "1" if v == 1 else "0") for v in g.visibility
        ]
    elif kind in ("mask", "polygon_with_holes"):
        assert element.tag == "mask"
        runs = [int(v) for v in element.get("rle").split(",")]
        box = (int(element.get(k)) for k in ("left", "top", "width", "height"))
        decoded = cvat.cvat_rle_to_mask(runs, *box, (size[1], size[0]))
        expected = g.decode() if kind == "mask" else raster.rasterise(g, size[1], size[0])
        assert np.array_equal(decoded, expected)
    else:
        raise AssertionError(f"unchecked kind {kind}")


def test_every_held_field_is_in_the_xml_and_the_report_names_the_rest(tmp_path: Path) -> None:
    dataset = _every_field(tmp_path)
    root, report = _write(dataset, tmp_path / "out")
    holds = cvat.holds()
    images = root.findall("image")
    assert len(images) == len(dataset.items)
    kinds_seen = set()
    for item, image in zip(dataset.items, images, strict=True):
        assert image.get("name") == item.image_path.name  # relative to where it was found
        assert (image.get("width"), image.get("height")) == (str(item.width), str(item.height))
        shapes = [child for child in image if child.tag != "tag"]
        for obj in item.objects:
            count = _shapes_of(image, obj)
            mine, shapes = shapes[:count], shapes[count:]
            kinds_seen.add(cvat_kind(obj))
            for part, element in enumerate(mine):
                _check_geometry(element, obj, item.size_of(), part)
                # held fields: category, source, z order, attributes (occluded as the flag)
                assert element.get("label") == obj.category
                assert element.get("source") == "auto"  # obj.source == "model"
                assert element.get("z_order") == str(obj.z_order)
                occluded = next(a.value for a in obj.attributes if a.name == "occluded")
                if element.tag != "skeleton":
                    assert element.get("occluded") == ("1" if occluded else "0")
                attributes = {a.get("name"): a.text for a in element.findall("attribute")}
                assert attributes == {"colour": "red"}
            if count > 1:
                assert len({element.get("group_id") for element in mine}) == 1
        assert shapes == []
        tags = image.findall("tag")
        assert [(t.get("label"), t.find("attribute").text) for t in tags] == [
            (answer.name, answer.value) for answer in item.classifications
        ]
    assert kinds_seen == set(SHAPE_KINDS)
    # The report names exactly what is not held: each field once, the two converted kinds.
    assert dict(report.dropped) == dict(losses(dataset, holds, cvat.FORMAT.title))
    text = "\n".join(report.dropped)
    for name in FIELDS - holds.fields:
        assert f"cannot hold {_UNITS[name]}" in text
    for name in holds.fields:
        assert _UNITS[name] not in text
    assert report.dropped["polygon with holes written as masks (CVAT polygons have no holes)"]
    assert report.dropped["multipart polygon written as one polygon per part, sharing a group_id"]
    # the images were found, so they are placed as CVAT's images/<name>
    for image in images:
        assert (tmp_path / "out" / "images" / image.get("name")).is_file()


def test_every_track_id_is_reported(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("car")
    objects = [ObjectLabel("car", Box(i, 0, 1, 1), frame=i, track=f"t{i % 7}") for i in range(30)]
    dataset.items.append(
        Item(id="v", name="clip.mp4", kind="video", width=40, height=4, objects=objects)
    )
    root, report = _write(dataset, tmp_path)
    assert len(root.findall("image")) == 30
    assert report.dropped["CVAT XML 1.1 cannot hold track ids"] == 30


def test_images_are_named_as_found_and_placed_beside_the_xml(tmp_path: Path) -> None:
    source = tmp_path / "export"
    (source / "sub").mkdir(parents=True)
    (source / "sub" / "x.jpg").write_bytes(b"jpeg")
    dataset = _dataset(ObjectLabel("car", Box(0, 0, 1, 1)))
    dataset.source = source / "export.json"
    dataset.items[0].image = "https://bucket.example/a/b/x.jpg?sig=1#frag"
    dataset.items[0].image_path = source / "sub" / "x.jpg"
    root, report = _write(dataset, tmp_path / "out")
    name = root.find("image").get("name")
    assert name == "sub/x.jpg"
    placed = tmp_path / "out" / "images" / "sub" / "x.jpg"
    assert placed.read_bytes() == b"jpeg"
    assert any(note.startswith("images: 1 ") for note in report.notes)


def test_no_image_name_holds_a_url_or_a_fragment(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("car")
    dataset.items = [
        Item(id="1", name="https://host/p/a.jpg?x=1", width=4, height=4),
        Item(
            id="2",
            name="https://host/v/clip.mp4",
            kind="video",
            width=4,
            height=4,
            frames=[Frame(index=3, image="https://host/v/clip.mp4#3")],
        ),
    ]
    root, _ = _write(dataset, tmp_path, images="none")
    names = [image.get("name") for image in root.findall("image")]
    # A URL gives its path; a video's frames sit under its stem.
    assert names == ["p/a.jpg", "clip/000003.jpg"]
    assert not any("://" in name or "#" in name for name in names)
