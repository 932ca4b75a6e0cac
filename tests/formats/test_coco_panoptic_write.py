"""Writing COCO panoptic: panoptic → panoptic is identity (pixels, ids, bbox, area, iscrowd),
COCO polygons → panoptic keeps every pixel no other object covers, overlaps are reported.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as coco_mask

from labelview import formats
from labelview.cli import main
from labelview.convert import convert
from labelview.formats.coco_panoptic.pixels import ID_CACHE
from labelview.formats.coco_panoptic.write import TRIMMED
from labelview.model import ArrayMask, Box, Category, Dataset, Item, Mask, ObjectLabel, Polygon
from tests.formats.test_coco_panoptic_read import DATUMARO_VAL, PANOPTICAPI, png_ids


@pytest.fixture(autouse=True)
def _fresh_cache():
    ID_CACHE.clear()
    yield
    ID_CACHE.clear()


def panoptic_doc(folder: Path) -> dict:
    return json.loads((folder / "panoptic.json").read_text())


def segments_by_image(doc: dict, folder: Path) -> dict[str, dict[int, dict]]:
    """file_name of the image → segment id → its segments_info entry plus its pixels."""
    files = {image["id"]: image["file_name"] for image in doc["images"]}
    found = {}
    for ann in doc["annotations"]:
        ids = png_ids(folder / ann["file_name"])
        found[files[ann["image_id"]]] = {
            info["id"]: {**info, "pixels": ids == info["id"]} for info in ann["segments_info"]
        }
        assert set(np.unique(ids).tolist()) - {0} == {info["id"] for info in ann["segments_info"]}
    return found


@pytest.mark.parametrize("source", [PANOPTICAPI, DATUMARO_VAL], ids=lambda p: p.stem)
def test_panoptic_to_panoptic_is_identity(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["convert", str(source), "-o", str(out), "--to", "coco_panoptic", "--verify"]) == 0
    given = json.loads(source.read_text())
    written = panoptic_doc(out)
    before = segments_by_image(given, source.with_suffix(""))
    after = segments_by_image(written, out / "panoptic")
    assert before.keys() == after.keys()
    for name, segments in before.items():
        assert segments.keys() == after[name].keys(), name
        for segment_id, want in segments.items():
            got = after[name][segment_id]
            assert np.array_equal(got.pop("pixels"), want.pop("pixels"))
            assert got == want
    assert [image["id"] for image in written["images"]] == [i["id"] for i in given["images"]]
    by_id = {cat["id"]: cat for cat in given["categories"]}
    for cat in written["categories"]:
        assert cat["isthing"] == by_id[cat["id"]]["isthing"]
        assert cat["name"] == by_id[cat["id"]]["name"]


# --- from COCO polygons ---------------------------------------------------------------------------

# Two images; on the first a big square (cat), a small triangle on it (dog) and a box-only person;
# on the second two polygons apart.
POLYGONS = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 40, "height": 30},
        {"id": 2, "file_name": "b.png", "width": 20, "height": 20},
    ],
    "categories": [
        {"id": 1, "name": "cat", "supercategory": "animal"},
        {"id": 2, "name": "dog", "supercategory": "animal"},
        {"id": 3, "name": "person", "supercategory": ""},
    ],
    "annotations": [
        {
            "id": 11,
            "image_id": 1,
            "category_id": 1,
            "segmentation": [[2, 2, 30, 2, 30, 25, 2, 25]],
            "area": 644.0,
            "bbox": [2, 2, 28, 23],
            "iscrowd": 0,
        },
        {
            "id": 12,
            "image_id": 1,
            "category_id": 2,
            "segmentation": [[10.5, 5.2, 20.3, 5.2, 15.1, 14.8]],
            "area": 47.0,
            "bbox": [10.5, 5.2, 9.8, 9.6],
            "iscrowd": 0,
        },
        {
            "id": 13,
            "image_id": 1,
            "category_id": 3,
            "segmentation": [],
            "area": 20.0,
            "bbox": [33, 20, 4, 5],
            "iscrowd": 0,
        },
        {
            "id": 21,
            "image_id": 2,
            "category_id": 1,
            "segmentation": [[1, 1, 8, 1, 8, 8, 1, 8], [12, 12, 18, 12, 15, 18]],
            "area": 67.0,
            "bbox": [1, 1, 17, 17],
            "iscrowd": 0,
        },
    ],
}


@pytest.fixture
def polygons(tmp_path: Path) -> Path:
    folder = tmp_path / "coco"
    (folder / "images").mkdir(parents=True)
    for image in POLYGONS["images"]:
        size = (image["width"], image["height"])
        Image.new("RGB", size, (90, 90, 90)).save(folder / "images" / image["file_name"])
    path = folder / "annotations.json"
    path.write_text(json.dumps(POLYGONS))
    return path


def rasterised(ann: dict, height: int, width: int) -> np.ndarray:
    """pycocotools' own rasterisation of a COCO annotation (polygon rings, else its bbox)."""
    if ann["segmentation"]:
        rles = coco_mask.frPyObjects(ann["segmentation"], height, width)
    else:
        x, y, w, h = ann["bbox"]
        rles = coco_mask.frPyObjects([[x, y, x + w, y, x + w, y + h, x, y + h]], height, width)
    return coco_mask.decode(coco_mask.merge(rles)).astype(bool)


def test_coco_polygons_become_segments_with_their_pixels_where_they_do_not_overlap(
    polygons: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    assert (
        main(["convert", str(polygons), "-o", str(out), "--to", "coco_panoptic", "--verify"]) == 0
    )
    printed = capsys.readouterr()
    back = formats.read(out / "panoptic.json")
    assert back.issues == []
    sizes = {image["id"]: (image["height"], image["width"]) for image in POLYGONS["images"]}
    by_item = {item.id: {obj.id: obj for obj in item.objects} for item in back.items}
    for ann in POLYGONS["annotations"]:
        height, width = sizes[ann["image_id"]]
        mine = rasterised(ann, height, width)
        others = np.zeros_like(mine)
        for other in POLYGONS["annotations"]:
            if other is not ann and other["image_id"] == ann["image_id"]:
                others |= rasterised(other, height, width)
        obj = by_item[str(ann["image_id"])][str(ann["id"])]
        assert isinstance(obj.geometry, Mask)
        decoded = obj.geometry.decode()
        assert np.array_equal(decoded & ~others, mine & ~others), ann["id"]
        assert not (decoded & ~mine).any()
    # The small dog lies on the big cat: painted after it (larger areas first), it keeps its
    # pixels and the cat loses them — one object trimmed, reported and located.
    cat, dog = by_item["1"]["11"].geometry.decode(), by_item["1"]["12"].geometry.decode()
    assert np.array_equal(dog, rasterised(POLYGONS["annotations"][1], 30, 40))
    assert not (cat & dog).any()
    assert "dropped 1: objects that lost pixels to objects painted over them" in printed.out
    assert "verified: every object read back as written" in printed.out
    doc = panoptic_doc(out)
    [first, second] = doc["annotations"]
    info = {entry["id"]: entry for entry in first["segments_info"]}
    assert info[11]["area"] == int(cat.sum())
    assert info[12]["area"] == int(dog.sum())
    rows, cols = np.nonzero(dog)
    assert info[12]["bbox"] == [cols.min(), rows.min(), np.ptp(cols) + 1, np.ptp(rows) + 1]
    assert [cat["isthing"] for cat in doc["categories"]] == [1, 1, 1]
    assert [entry["id"] for entry in second["segments_info"]] == [21]


def test_the_overlap_is_a_located_issue(polygons: Path, tmp_path: Path) -> None:
    report = convert(polygons, tmp_path / "out", "coco_panoptic")
    [issue] = report.issues
    assert (
        str(issue) == "panoptic/a.png: segment 11: lost 47 of 644 pixels to objects painted over it"
    )
    assert (issue.item, issue.object) == ("1", "11")


def _square_items(z_first: int | None, z_second: int | None) -> Dataset:
    dataset = Dataset(format="test")
    dataset.categories["cat"] = Category(name="cat")
    item = Item(id="1", name="a.png", image="a.png", width=10, height=10)
    for name, (x, z) in {"7": (0, z_first), "8": (3, z_second)}.items():
        pixels = np.zeros((10, 10), dtype=bool)
        pixels[2:8, x : x + 5] = True
        obj = ObjectLabel("cat", Mask(10, 10, ArrayMask(pixels)), name, z_order=z)
        item.objects.append(obj)
    dataset.items.append(item)
    return dataset


@pytest.mark.parametrize(("z", "winner"), [((None, None), 8), ((5, 1), 7), ((0, 2), 8)])
def test_equal_areas_overlap_the_later_or_the_higher_z_wins(z, winner, tmp_path: Path) -> None:
    report = convert(Path("x.json"), tmp_path / "out", "coco_panoptic", dataset=_square_items(*z))
    ids = png_ids(tmp_path / "out" / "panoptic" / "a.png")
    assert ids[4, 4] == winner  # a pixel both masks cover
    assert report.targets[0].dropped[TRIMMED] == 1


def test_ids_that_cannot_be_segment_ids_get_fresh_ones_and_come_back(tmp_path: Path) -> None:
    dataset = _square_items(None, None)
    first, second = dataset.items[0].objects
    first.id, second.id = "a1b2-uuid", "0"
    second.geometry = Box(6, 6, 3, 3)
    report = convert(
        Path("x.json"), tmp_path / "out", "coco_panoptic", dataset=dataset, verify=True
    )
    assert report.targets[0].findings == []
    doc = panoptic_doc(tmp_path / "out")
    [ann] = doc["annotations"]
    assert [(s["id"], s["attributes"]["object_id"]) for s in ann["segments_info"]] == [
        (1, "a1b2-uuid"),
        (2, 0),
    ]
    back = formats.read(tmp_path / "out")
    assert [obj.id for obj in back.items[0].objects] == ["a1b2-uuid", "0"]


def test_what_panoptic_cannot_hold_is_reported(tmp_path: Path) -> None:
    from labelview.model import Keypoints, Point, Polyline

    dataset = _square_items(None, None)
    item = dataset.items[0]
    item.objects.append(ObjectLabel("cat", Point(1, 1), "9"))
    item.objects.append(ObjectLabel("cat", Polyline.from_points([[0, 0], [5, 5]]), "10"))
    item.objects.append(ObjectLabel("cat", Keypoints.from_lists([[1, 1]], [2]), "11"))
    item.objects.append(ObjectLabel("cat", Polygon.from_points([[1, 1], [9, 1], [5, 9]]), "12"))
    nowhere = Item(id="2", name="b.png", image="b.png")  # no size, no file
    nowhere.objects.append(ObjectLabel("cat", Box(1, 1, 2, 2), "1"))
    dataset.items.append(nowhere)
    report = convert(Path("x.json"), tmp_path / "out", "coco_panoptic", dataset=dataset)
    dropped = report.targets[0].dropped
    assert dropped["point shapes (COCO panoptic has no equivalent)"] == 1
    assert dropped["polyline shapes (COCO panoptic has no equivalent)"] == 1
    assert dropped["keypoints shapes (COCO panoptic has no equivalent)"] == 1
    assert dropped["polygon rasterised into the panoptic PNG (pixels, not vertices)"] == 1
    assert dropped["objects on images without a known size (no panoptic PNG written)"] == 1
    doc = panoptic_doc(tmp_path / "out")
    assert [ann["image_id"] for ann in doc["annotations"]] == [1]
    assert [image["id"] for image in doc["images"]] == [1, 2]


def test_the_panoptic_writer_refuses_a_taken_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "panoptic").mkdir(parents=True)
    code = main(["convert", str(PANOPTICAPI), "-o", str(out), "--to", "coco_panoptic"])
    assert code != 0


@pytest.mark.samples
def test_panopticapis_detection_format_converts_to_its_own_panoptic_pngs(samples, tmp_path):
    """panopticapi's sample has the same scene twice: COCO instances (RLE, from the panoptic
    PNGs by its converter) and COCO panoptic. Ours from the first must split every image's
    pixels into the same segments as the second (ids differ: relabelled one to one).
    """
    folder = samples / "standard" / "coco" / "panopticapi_compressed-rle-and-panoptic_2img"
    source = folder / "panoptic_coco_detection_format.json"
    if not source.is_file():
        pytest.skip(f"{source} not in the sample collection")
    shutil.copytree(folder, tmp_path / "in")
    out = tmp_path / "out"
    assert (
        main(
            [
                "convert",
                str(tmp_path / "in" / source.name),
                "-o",
                str(out),
                "--to",
                "coco_panoptic",
                "--option",
                "images=none",
                "--verify",
            ]
        )
        == 0
    )
    reference = json.loads((folder / "panoptic_examples.json").read_text())
    ref_files = {image["id"]: image["file_name"] for image in reference["images"]}
    ours = {image["id"]: image["file_name"] for image in panoptic_doc(out)["images"]}
    for ann in panoptic_doc(out)["annotations"]:
        [ref] = [a for a in reference["annotations"] if a["image_id"] == ann["image_id"]]
        assert ref_files[ref["image_id"]] == Path(ours[ann["image_id"]]).name
        mine = png_ids(out / "panoptic" / ann["file_name"])
        theirs = png_ids(folder / "panoptic_examples" / ref["file_name"])
        pairs = set(zip(mine.ravel().tolist(), theirs.ravel().tolist(), strict=True))
        assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
        assert len(ann["segments_info"]) == len(ref["segments_info"])


def test_category_ids_can_be_renumbered_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["convert", str(DATUMARO_VAL), "-o", str(out), "--to", "coco_panoptic"]
    assert main([*args, "--option", "coco_panoptic.category_ids=0"]) == 0
    doc = panoptic_doc(out)
    assert [(c["id"], c["name"], c["isthing"]) for c in doc["categories"]] == [
        (0, "a", 0),
        (1, "b", 0),
    ]
    assert [s["category_id"] for s in doc["annotations"][0]["segments_info"]] == [0, 1]


def test_a_source_png_broken_after_reading_skips_its_segments_with_a_located_issue(
    tmp_path: Path,
) -> None:
    shutil.copytree(PANOPTICAPI.parent, tmp_path / "in")
    dataset = formats.read(tmp_path / "in" / PANOPTICAPI.name)
    broken = tmp_path / "in" / "panoptic_examples" / "000000439180.png"
    broken.write_bytes(broken.read_bytes()[:200])  # the header stays, the pixels are gone
    report = convert(Path("x.json"), tmp_path / "out", "coco_panoptic", dataset=dataset)
    target = report.targets[0]
    assert target.dropped["objects whose pixels could not be read (no segment written)"] == 32
    assert target.objects == 18
    assert len(report.issues) == 32
    first = report.issues[0]
    assert first.file == "panoptic/000000439180.png"
    assert first.where.startswith("object ")
    assert "000000439180.png: cannot decode the PNG" in first.message


def test_every_frame_of_a_video_gets_its_png_and_image_id_0_is_kept(tmp_path: Path) -> None:
    from labelview.model import Frame

    dataset = _square_items(None, None)
    dataset.items[0].id = "0"
    video = Item(id="v", name="clip.mp4", kind="video", width=12, height=10)
    video.frames = [Frame(index=0), Frame(index=3)]
    video.objects = [
        ObjectLabel("cat", Box(1, 1, 4, 4), "1", frame=0, track="t1"),
        ObjectLabel("cat", Box(2, 2, 4, 4), "1", frame=3, track="t1"),
    ]
    dataset.items.append(video)
    out = tmp_path / "out"
    report = convert(Path("x.json"), out, "coco_panoptic", dataset=dataset, verify=True)
    assert report.targets[0].findings == []
    doc = panoptic_doc(tmp_path / "out")
    assert [(image["id"], image["file_name"]) for image in doc["images"]] == [
        (0, "a.png"),
        (1, "clip/000000.jpg"),
        (2, "clip/000003.jpg"),
    ]
    assert [ann["file_name"] for ann in doc["annotations"]] == [
        "a.png",
        "clip/000000.png",
        "clip/000003.png",
    ]
    assert (tmp_path / "out" / "panoptic" / "clip" / "000003.png").is_file()
    back = formats.read(tmp_path / "out")
    assert [obj.track for obj in back.items[1].objects + back.items[2].objects] == ["t1", "t1"]
