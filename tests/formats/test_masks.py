"""PNG masks writer: class and instance maps, paint order, holes, palette, 16-bit, safe names."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelview import formats
from labelview.formats import masks
from labelview.formats._writing import _UNITS, FIELDS, SHAPE_KINDS, losses
from labelview.formats.base import Confidence, Probe, WriteContext
from labelview.model import (
    ArrayMask,
    Box,
    Dataset,
    Ellipse,
    Frame,
    Item,
    Mask,
    ObjectLabel,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.output import OutputDir

pytest.importorskip("labelview.ops.raster", reason="ops/raster.py not written yet")

TITLE = masks.FORMAT.title


def _write(dataset: Dataset, folder: Path, **options: object):
    out = OutputDir(folder)
    # Through the registry, so the report holds what `holds` leaves out too.
    report = formats.write("masks", dataset, out, masks.MasksOptions(**options), WriteContext())
    out.commit()
    return report


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.array(image)


def _scene() -> Dataset:
    """6 wide × 4 high: a sky band over the top two rows, a car with a hole, a line and a point."""
    dataset = Dataset()
    for name in ("sky", "car", "lane"):
        dataset.category(name)
    car = Polygon.from_points(
        [[1, 1], [5, 1], [5, 4], [1, 4]], holes=[[[2, 2], [4, 2], [4, 3], [2, 3]]]
    )
    dataset.items.append(
        Item(
            id="1",
            name="street/a.jpg",
            width=6,
            height=4,
            objects=[
                ObjectLabel("sky", Box(0, 0, 6, 2)),
                ObjectLabel("car", car),
                ObjectLabel("lane", Polyline.from_points([[0, 3], [5, 3]])),
                ObjectLabel("lane", Point(1, 1)),
            ],
        )
    )
    return dataset


def test_detect_never_claims_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    Image.new("L", (2, 2)).save(path)
    assert masks.FORMAT.detect(Probe.of(path)).confidence == Confidence.NO


def test_semantic_map_larger_first_and_hole_stays_background(tmp_path: Path) -> None:
    report = _write(_scene(), tmp_path, palette=False)
    classes = _read(tmp_path / "SegmentationClass" / "street" / "a.png")
    assert classes.dtype == np.uint8
    assert classes.shape == (4, 6)  # (height, width): not transposed
    expected = np.array(
        [
            [1, 1, 1, 1, 1, 1],
            [1, 2, 2, 2, 2, 1],  # the car (smaller) is painted over the sky (larger)
            [0, 2, 0, 0, 2, 0],  # the hole stays background
            [0, 2, 2, 2, 2, 0],
        ],
        dtype=np.uint8,
    )
    assert np.array_equal(classes, expected)
    assert report.objects == 2
    assert report.dropped[f"polyline shapes ({TITLE} has no equivalent)"] == 1
    assert report.dropped[f"point shapes ({TITLE} has no equivalent)"] == 1
    assert report.dropped["box painted into the PNGs as pixels"] == 1
    assert report.dropped["polygon with holes painted into the PNGs as pixels"] == 1


def test_instance_map_numbers_objects_in_item_order(tmp_path: Path) -> None:
    _write(_scene(), tmp_path, which="instance")
    assert not (tmp_path / "SegmentationClass").exists()
    instances = _read(tmp_path / "SegmentationObject" / "street" / "a.png")
    assert instances.dtype == np.uint16
    assert instances[0].tolist() == [1] * 6
    assert instances[1].tolist() == [1, 2, 2, 2, 2, 1]
    assert instances[2].tolist() == [0, 2, 0, 0, 2, 0]


def test_z_order_wins_over_area(tmp_path: Path) -> None:
    dataset = _scene()
    sky, car = dataset.items[0].objects[:2]
    sky.z_order, car.z_order = 2, 1
    _write(dataset, tmp_path, which="semantic", palette=False)
    classes = _read(tmp_path / "SegmentationClass" / "street" / "a.png")
    assert classes[1].tolist() == [1, 1, 1, 1, 1, 1]  # the sky is on top now
    assert classes[3].tolist() == [0, 2, 2, 2, 2, 0]


def test_palette_png_keeps_indices_and_uses_voc_colours(tmp_path: Path) -> None:
    _write(_scene(), tmp_path, which="semantic", palette=True)
    with Image.open(tmp_path / "SegmentationClass" / "street" / "a.png") as image:
        assert image.mode == "P"
        pixels = np.array(image)
        palette = image.getpalette()[:9]
    assert pixels[1].tolist() == [1, 2, 2, 2, 2, 1]
    assert palette == [0, 0, 0, 128, 0, 0, 0, 128, 0]
    assert masks.voc_colormap(4).tolist() == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]


def test_label_files(tmp_path: Path) -> None:
    _write(_scene(), tmp_path)
    assert (tmp_path / "classes.txt").read_text() == "background\nsky\ncar\nlane\n"
    assert (tmp_path / "labelmap.txt").read_text().splitlines() == [
        "# label:color_rgb:parts:actions",
        "background:0,0,0::",
        "sky:128,0,0::",
        "car:0,128,0::",
        "lane:128,128,0::",
    ]
    assert (tmp_path / "ImageSets/Segmentation/default.txt").read_text() == "street/a\n"


def test_rotated_box_ellipse_and_mask_are_painted(tmp_path: Path) -> None:
    dataset = Dataset()
    for name in ("a", "b", "c"):
        dataset.category(name)
    pixels = np.zeros((10, 12), dtype=bool)
    pixels[8, 0:3] = True
    pixels[9, 0] = True
    dataset.items.append(
        Item(
            id="1",
            name="x.png",
            width=12,
            height=10,
            objects=[
                ObjectLabel("a", RotatedBox(3, 3, 4, 2, 90)),  # upright 2 wide × 4 tall
                ObjectLabel("b", Ellipse(9, 3, 2, 1)),
                ObjectLabel("c", Mask(10, 12, ArrayMask(pixels))),
            ],
        )
    )
    _write(dataset, tmp_path, which="semantic", palette=False)
    classes = _read(tmp_path / "SegmentationClass" / "x.png")
    assert classes[1:5, 2:4].tolist() == [[1, 1]] * 4  # the box rotated by 90°
    assert classes[3, 1] == 0
    assert classes[3, 4] == 0
    assert classes[3, 8] == 2
    assert classes[3, 9] == 2
    assert classes[0, 9] == 0
    assert np.array_equal(classes == 3, pixels)


def test_many_classes_switch_to_16_bit(tmp_path: Path) -> None:
    dataset = Dataset()
    for index in range(300):
        dataset.category(f"c{index}")
    dataset.items.append(
        Item(
            id="1", name="a.jpg", width=3, height=2, objects=[ObjectLabel("c299", Box(1, 0, 1, 2))]
        )
    )
    report = _write(dataset, tmp_path, which="semantic")
    classes = _read(tmp_path / "SegmentationClass" / "a.png")
    assert classes.dtype == np.uint16
    assert classes[:, 1].tolist() == [300, 300]
    assert classes[:, 0].tolist() == [0, 0]
    assert any("16-bit" in note for note in report.notes)


def test_item_without_size_is_reported(tmp_path: Path) -> None:
    dataset = _scene()
    dataset.items[0].width = None
    report = _write(dataset, tmp_path)
    assert not (tmp_path / "SegmentationClass").exists()
    assert report.dropped["images without a known size (no mask written)"] == 1
    assert report.items == 0


def test_unsafe_and_colliding_names(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("a")
    for index, name in enumerate(("../../evil.jpg", "evil.png", "C:\\x\\y.jpg")):
        dataset.items.append(Item(id=str(index), name=name, width=2, height=2))
    out = tmp_path / "out"
    report = _write(dataset, out, which="semantic")
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == [
        "SegmentationClass/evil.png",
        "SegmentationClass/evil_2.png",
        "SegmentationClass/x/y.png",
    ]
    assert not (tmp_path / "evil.png").exists()
    assert report.dropped["items whose file names collide (written with a _N suffix)"] == 1
    assert (
        report.dropped["item names made safe for file names (absolute or '..' parts removed)"] == 2
    )


def test_frames_write_one_png_each(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("a")
    dataset.items.append(
        Item(
            id="v",
            name="clip.mp4",
            kind="video",
            width=2,
            height=2,
            frames=[Frame(index=0), Frame(index=3)],
            objects=[ObjectLabel("a", Box(0, 0, 1, 1), frame=3)],
        )
    )
    _write(dataset, tmp_path, which="semantic", palette=False)
    assert _read(tmp_path / "SegmentationClass/clip/000000.png").tolist() == [[0, 0], [0, 0]]
    assert _read(tmp_path / "SegmentationClass/clip/000003.png").tolist() == [[1, 0], [0, 0]]


def test_url_names_keep_their_path(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.items.append(Item(id="1", name="https://bucket.example/d/x%201.jpg", width=2, height=2))
    report = _write(dataset, tmp_path, which="semantic", images="none")
    assert (tmp_path / "SegmentationClass" / "d" / "x 1.png").is_file()
    assert not report.dropped


def test_multipart_and_plain_polygons_are_painted(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.category("a")
    dataset.category("b")
    two = Polygon.from_rings([[[0, 0], [2, 0], [2, 2], [0, 2]], [[5, 0], [7, 0], [7, 2], [5, 2]]])
    square = Polygon.from_points([[0, 3], [3, 3], [3, 6], [0, 6]])
    dataset.items.append(
        Item(
            id="1",
            name="p.png",
            width=8,
            height=6,
            objects=[ObjectLabel("a", two), ObjectLabel("b", square)],
        )
    )
    _write(dataset, tmp_path, palette=False)
    classes = _read(tmp_path / "SegmentationClass" / "p.png")
    expected = np.zeros((6, 8), dtype=np.uint8)
    expected[0:2, 0:2] = expected[0:2, 5:7] = 1  # both parts, nothing between them
    expected[3:6, 0:3] = 2
    assert np.array_equal(classes, expected)
    instances = _read(tmp_path / "SegmentationObject" / "p.png")
    assert np.array_equal(instances, expected.astype(np.uint16))  # object k = instance k


def test_every_shape_kind_and_field_pixels_and_report(tmp_path: Path) -> None:
    from labelview.ops import raster
    from tests.formats.contract import random_dataset

    dataset = random_dataset(7, list(SHAPE_KINDS), tmp_path / "src", each=True)
    report = _write(dataset, tmp_path / "out", palette=False)
    class_of = {name: i for i, name in enumerate(dataset.categories, start=1)}
    for item in dataset.items:
        stem = item.image_path.stem  # named as found: image_0.png -> image_0
        classes = _read(tmp_path / "out" / "SegmentationClass" / f"{stem}.png")
        instances = _read(tmp_path / "out" / "SegmentationObject" / f"{stem}.png")
        # Repaint in the documented order (z-order, then larger first) and compare every pixel.
        expected_classes = np.zeros_like(classes)
        expected_instances = np.zeros_like(instances)
        for number, obj in masks.paint_order(item.objects):
            pixels = raster.rasterise(obj.geometry, item.height, item.width)
            expected_classes[pixels] = class_of[obj.category]
            expected_instances[pixels] = number
        assert np.array_equal(classes, expected_classes)
        assert np.array_equal(instances, expected_instances)
        assert (tmp_path / "out" / "images" / f"{stem}.png").is_file()
    # The report names exactly what the PNGs do not hold: every field, the shapes without an
    # area, and the painted shapes.
    assert dict(report.dropped) == dict(losses(dataset, masks.holds(), TITLE))
    text = "\n".join(report.dropped)
    for name in FIELDS:
        assert f"cannot hold {_UNITS[name]}" in text
    for kind in ("polyline", "point", "keypoints"):
        assert report.dropped[f"{kind} shapes ({TITLE} has no equivalent)"]
    assert not any(line.startswith("mask ") for line in report.dropped)


def test_mask_names_follow_the_image_as_found(tmp_path: Path) -> None:
    from PIL import Image as PILImage

    source = tmp_path / "export"
    (source / "sub").mkdir(parents=True)
    PILImage.new("RGB", (4, 3)).save(source / "sub" / "x.png")
    dataset = Dataset()
    dataset.category("a")
    dataset.source = source / "export.json"
    dataset.items.append(
        Item(
            id="1",
            name="https://bucket/x.png?sig=2",
            image_path=source / "sub" / "x.png",
            objects=[ObjectLabel("a", Box(0, 0, 2, 2))],
        )
    )
    report = _write(dataset, tmp_path / "out", which="semantic")
    assert (tmp_path / "out" / "SegmentationClass" / "sub" / "x.png").is_file()
    assert (tmp_path / "out" / "images" / "sub" / "x.png").is_file()
    assert (tmp_path / "out" / "ImageSets/Segmentation/default.txt").read_text() == "sub/x\n"
    assert report.objects == 1  # the size was read from the image
