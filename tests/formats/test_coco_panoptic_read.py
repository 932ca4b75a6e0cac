"""Reading COCO panoptic: real files from panopticapi and Datumaro, counted independently (plain
json for segments_info, PIL + numpy for the ids in the PNGs), and broken inputs.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from labelview import formats
from labelview.cli import main
from labelview.formats.base import Confidence, Probe
from labelview.formats.coco_panoptic.pixels import ID_CACHE
from labelview.model import Box, Mask

DATA = Path(__file__).resolve().parents[1] / "data" / "coco_panoptic"
PANOPTICAPI = DATA / "panopticapi" / "panoptic_examples.json"
DATUMARO_VAL = DATA / "datumaro" / "annotations" / "panoptic_val.json"
DATUMARO_TRAIN = DATA / "datumaro" / "annotations" / "panoptic_train.json"
REAL = [PANOPTICAPI, DATUMARO_VAL, DATUMARO_TRAIN]


@pytest.fixture(autouse=True)
def _fresh_cache():
    ID_CACHE.clear()  # tests rewrite PNGs under the same paths
    yield
    ID_CACHE.clear()


def png_ids(path: Path) -> np.ndarray:
    """Segment ids of a panoptic PNG, decoded here without labelview."""
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.uint32)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def independent_count(json_path: Path) -> dict[str, dict[int, dict]]:
    """image file_name → segment id → {category name, bbox, area, iscrowd, pixels}."""
    doc = json.loads(json_path.read_text())
    names = {cat["id"]: cat["name"] for cat in doc["categories"]}
    files = {image["id"]: image["file_name"] for image in doc["images"]}
    folder = json_path.with_suffix("")
    found: dict[str, dict[int, dict]] = {}
    for ann in doc["annotations"]:
        ids = png_ids(folder / ann["file_name"])
        segments = {}
        for info in ann["segments_info"]:
            segments[info["id"]] = {
                "category": names[info["category_id"]],
                "bbox": info["bbox"],
                "area": info["area"],
                "iscrowd": info["iscrowd"],
                "pixels": ids == info["id"],
            }
        # Every non-zero id in the PNG is listed in segments_info (and nothing else is).
        assert set(np.unique(ids).tolist()) - {0} == set(segments)
        found[files[ann["image_id"]]] = segments
    return found


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_real_files_read_every_segment_with_its_pixels_and_values(path: Path) -> None:
    expected = independent_count(path)
    dataset = formats.read(path)
    assert dataset.format == "coco_panoptic"
    assert [str(i) for i in dataset.issues if i.level == "error"] == []
    got = {item.name: {int(obj.id): obj for obj in item.objects} for item in dataset.items}
    assert {name: set(segs) for name, segs in got.items()} == {
        name: set(segs) for name, segs in expected.items()
    }
    for name, segments in expected.items():
        for segment_id, want in segments.items():
            obj = got[name][segment_id]
            assert isinstance(obj.geometry, Mask)
            assert obj.category == want["category"]
            decoded = obj.geometry.decode()
            assert decoded.shape == want["pixels"].shape
            assert np.array_equal(decoded, want["pixels"])
            assert obj.extra["bbox"] == want["bbox"]
            assert obj.extra["area"] == want["area"]
            assert obj.extra.get("iscrowd", 0) == want["iscrowd"]


def test_the_panopticapi_sample_has_50_segments_and_keeps_isthing() -> None:
    dataset = formats.read(PANOPTICAPI)
    assert [len(item.objects) for item in dataset.items] == [18, 32]
    assert dataset.issues == []
    isthing = {name: cat.extra.get("isthing") for name, cat in dataset.categories.items()}
    assert len(isthing) == 133
    assert sum(value == 1 for value in isthing.values()) == 80
    assert isthing["person"] == 1
    assert isthing["sky-other-merged"] == 0
    crowd = [obj for _, obj in dataset.objects() if (obj.extra or {}).get("iscrowd")]
    assert len(crowd) == 3
    assert dataset.items[0].extra["panoptic_png"] == "000000142238.png"


def test_datumaros_png_smaller_than_its_image_is_a_located_warning() -> None:
    dataset = formats.read(DATUMARO_TRAIN)
    [issue] = dataset.issues
    assert str(issue) == (
        "panoptic_train.json: annotations[0].file_name: a.png is 5×5, the image 10×5:"
        " masks keep the PNG's size"
    )
    [obj] = dataset.items[0].objects
    assert obj.geometry.decode().shape == (5, 5)


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_panoptic_files_are_claimed_by_coco_panoptic_only(path: Path) -> None:
    verdicts = {fmt.name: verdict for fmt, verdict in formats.verdicts(path)}
    assert verdicts["coco_panoptic"].confidence == Confidence.CERTAIN
    assert verdicts["coco"].confidence == Confidence.WEAK
    assert "coco_panoptic" in verdicts["coco"].reason
    assert formats.detect(path).name == "coco_panoptic"


def test_a_big_files_head_inside_images_is_panoptic_by_its_png_folder(tmp_path: Path) -> None:
    # COCO's panoptic_val2017.json starts with 5000 images: segments_info is far past the head.
    images = [
        {"id": i, "file_name": f"{i:012d}.jpg", "width": 640, "height": 480} for i in range(2000)
    ]
    doc = {"images": images, "annotations": [], "categories": []}
    path = tmp_path / "panoptic_val2017.json"
    path.write_text(json.dumps(doc))
    (tmp_path / "panoptic_val2017").mkdir()
    assert formats.detect(path).name == "coco_panoptic"
    renamed = tmp_path / "instances_val2017.json"
    shutil.move(path, renamed)
    assert formats.detect(renamed).name == "coco"


def test_coco_instances_are_not_claimed() -> None:
    fixture = Path(__file__).resolve().parents[1] / "data" / "coco" / "instances.json"
    fmt = formats.get("coco_panoptic")
    assert fmt.detect(Probe.of(fixture)).confidence == Confidence.NO


# --- where the PNGs are ---------------------------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The panopticapi sample in a writable folder."""
    shutil.copytree(PANOPTICAPI.parent, tmp_path / "panopticapi")
    return tmp_path / "panopticapi" / PANOPTICAPI.name


def test_a_missing_png_is_a_located_warning_and_its_segments_are_boxes(copy: Path) -> None:
    (copy.with_suffix("") / "000000439180.png").unlink()
    dataset = formats.read(copy)
    assert [str(i) for i in dataset.issues] == [
        "panoptic_examples.json: annotations[1].file_name: panoptic PNG 000000439180.png not"
        " found in panoptic_examples/: segments read as boxes"
    ]
    first, second = dataset.items
    assert all(isinstance(obj.geometry, Mask) for obj in first.objects)
    assert len(second.objects) == 32
    doc = json.loads(copy.read_text())
    for obj, info in zip(second.objects, doc["annotations"][1]["segments_info"], strict=True):
        assert isinstance(obj.geometry, Box)
        assert [obj.geometry.x, obj.geometry.y, obj.geometry.w, obj.geometry.h] == info["bbox"]
        assert obj.id == str(info["id"])


def test_without_the_png_folder_one_warning_and_every_segment_a_box(copy: Path) -> None:
    shutil.rmtree(copy.with_suffix(""))
    dataset = formats.read(copy, format="coco_panoptic")
    assert [i.message for i in dataset.issues] == [
        "no panoptic PNG folder panoptic_examples/ beside the JSON (pass --read-option"
        " panoptic_dir=DIR): segments read as their boxes"
    ]
    assert dataset.object_count == 50
    assert all(isinstance(obj.geometry, Box) for _, obj in dataset.objects())


def test_the_png_folder_can_be_given_as_a_read_option(copy: Path, tmp_path: Path, capsys) -> None:
    moved = tmp_path / "elsewhere"
    shutil.move(copy.with_suffix(""), moved)
    code = main(["info", str(copy), "--read-option", f"panoptic_dir={moved}", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["shapes"] == {"mask": 50}
    assert report["issues"] == []


def _png_claiming(path: Path, width: int, height: int, colour: int = 2) -> None:
    """A tiny PNG whose IHDR claims `width`×`height` (its data is not that big)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    data = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + data)


def test_a_png_claiming_too_many_pixels_is_refused_before_decoding(copy: Path) -> None:
    _png_claiming(copy.with_suffix("") / "000000142238.png", 50_000, 50_000)
    dataset = formats.read(copy)
    [issue] = dataset.issues
    assert issue.where == "annotations[0].file_name"
    assert "claims 50000×50000 pixels, more than the limit of 100,000,000" in issue.message
    assert "LABELVIEW_MAX_PIXELS" in issue.message
    assert all(isinstance(obj.geometry, Box) for obj in dataset.items[0].objects)
    assert all(isinstance(obj.geometry, Mask) for obj in dataset.items[1].objects)


def test_the_pixel_limit_is_the_one_in_limits(copy: Path, monkeypatch) -> None:
    from labelview import limits

    monkeypatch.setattr(limits, "MAX_PIXELS", 640 * 400)
    dataset = formats.read(copy)
    # 640×427 is over the lowered limit, 640×360 under it.
    assert [issue.where for issue in dataset.issues] == ["annotations[0].file_name"]


def test_a_greyscale_png_is_not_taken_for_segment_ids(copy: Path) -> None:
    path = copy.with_suffix("") / "000000142238.png"
    Image.new("L", (640, 427)).save(path)
    dataset = formats.read(copy)
    [issue] = dataset.issues
    assert "8-bit greyscale: segment ids need an 8-bit RGB PNG" in issue.message


def test_broken_segments_are_skipped_with_their_place(copy: Path) -> None:
    doc = json.loads(copy.read_text())
    segments = doc["annotations"][0]["segments_info"]
    segments[1]["id"] = 0
    segments[2]["id"] = segments[3]["id"]
    segments[4]["category_id"] = 9999
    segments[5]["bbox"] = "wide"
    segments[6] = "segment"
    doc["annotations"].append({"image_id": 1, "file_name": "x.png", "segments_info": []})
    copy.write_text(json.dumps(doc))
    dataset = formats.read(copy)
    assert [str(i) for i in dataset.issues] == [
        "panoptic_examples.json: annotations[0].segments_info[1]: segment skipped: segment id 0"
        " is the PNG's 'no segment' colour (black)",
        f"panoptic_examples.json: annotations[0].segments_info[3]: segment skipped: segment id"
        f" {segments[3]['id']} used twice in this image",
        "panoptic_examples.json: annotations[0].segments_info[4]: segment skipped: category_id"
        " 9999 not in categories",
        "panoptic_examples.json: annotations[0].segments_info[5]: segment skipped: bbox must be"
        " a list, got text",
        "panoptic_examples.json: annotations[0].segments_info[6]: segment skipped: not a JSON"
        " object: 'segment'",
        "panoptic_examples.json: annotations[2]: annotation skipped: image_id 1 not in images",
    ]
    assert len(dataset.items[0].objects) == 18 - 5
    assert len(dataset.items[1].objects) == 32


def test_a_folder_holding_the_json_and_its_png_folder_reads(copy: Path) -> None:
    folder = copy.parent
    assert formats.detect(folder).name == "coco_panoptic"
    dataset = formats.read(folder)
    assert dataset.object_count == 50


# --- where users see the format -------------------------------------------------------------------


def test_formats_lists_coco_panoptic_as_read_and_write(capsys) -> None:
    assert main(["formats"]) == 0
    [line] = [line for line in capsys.readouterr().out.splitlines() if "panoptic" in line]
    assert line.split() == ["coco_panoptic", "yes", "yes", "COCO", "panoptic"]


def test_info_why_names_the_panoptic_verdict(capsys) -> None:
    assert main(["info", str(PANOPTICAPI), "--why"]) == 0
    out = capsys.readouterr().out
    assert "coco_panoptic CERTAIN  annotations[] have segments_info" in out
    assert "objects: 50 in 133 categories" in out
    assert "shapes: mask 50" in out


@pytest.mark.samples
def test_the_shared_panopticapi_sample_reads_like_an_independent_count(samples: Path) -> None:
    folder = samples / "standard" / "coco" / "panopticapi_compressed-rle-and-panoptic_2img"
    path = folder / "panoptic_examples.json"
    if not path.is_file():
        pytest.skip(f"{path} not in the sample collection")
    expected = independent_count(path)
    dataset = formats.read(path)
    assert {item.name: {int(o.id) for o in item.objects} for item in dataset.items} == {
        name: set(segs) for name, segs in expected.items()
    }
