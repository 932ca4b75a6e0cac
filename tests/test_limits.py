"""Claimed pixel sizes are checked before anything is allocated for them (limits.MAX_PIXELS): a
274-byte PNG claiming 50000×50000 as a brush, a bitmap, a mask or an image, a COCO RLE or an Encord
bitmask claiming 100000×100000. Each skips only that object or image, with a located message,
and reading (and decoding every mask left) stays within a capped child's memory.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from labelview import limits
from labelview.images import image_size, open_image
from labelview.ops import rle
from tests.formats.hostile import png_bomb, png_full, read_bounded

BOMB = png_bomb(50000, 50000, rgba=True)


def _issue(issues: list[str], *needles: str) -> str:
    found = [issue for issue in issues if all(needle in issue for needle in needles)]
    assert found, issues
    return found[0]


def test_the_bomb_is_tiny_and_claims_two_and_a_half_gigapixels() -> None:
    assert len(BOMB) < 300
    refused = r"2,500,000,000 pixels, over .*LABELVIEW_MAX_PIXELS"
    with pytest.raises(limits.Refused, match=refused), open_image(BOMB):
        pass


def test_pillow_limit_follows_ours() -> None:
    from labelview.images import pillow

    assert pillow().MAX_IMAGE_PIXELS == limits.MAX_PIXELS


def test_bomb_as_an_image_has_no_size_and_the_rest_loads(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    (tmp_path / "images" / "bomb.png").write_bytes(BOMB)
    (tmp_path / "images" / "good.png").write_bytes(png_full(40, 30))
    for name in ("bomb", "good"):
        (tmp_path / "labels" / f"{name}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (tmp_path / "data.yaml").write_text("names: [cat]\ntrain: images\n")
    assert image_size(tmp_path / "images" / "bomb.png") is None
    summary = read_bounded(tmp_path, "yolo")
    assert summary["items"] == 2
    assert summary["objects"] == 1  # the bomb's box cannot be placed without a size
    _issue(summary["issues"], "bomb")


def test_bomb_as_an_ango_brush_skips_only_the_brush(tmp_path: Path, data: Path) -> None:
    shutil.copy(data / "ango" / "v3_all_tools.json", tmp_path / "export.json")
    (tmp_path / "brush-street.png").write_bytes(BOMB)
    summary = read_bounded(tmp_path / "export.json", "ango")
    assert summary["objects"] > 5
    assert summary["masks"] == 0
    _issue(summary["issues"], "brushDataUrl", "2,500,000,000 pixels, over", "LABELVIEW_MAX_PIXELS")


def test_a_valid_brush_under_pillows_limit_is_not_decoded_at_a_wrong_size(
    tmp_path: Path, data: Path
) -> None:
    # 9000×9000 (81 MP, under Pillow's own limit, ~10 KB): the item is 300×200, so the brush is
    # refused from its header, not after 324 MB of RGBA and its copies.
    shutil.copy(data / "ango" / "v3_all_tools.json", tmp_path / "export.json")
    brush = png_full(9000, 9000)
    assert len(brush) < 40_000
    (tmp_path / "brush-street.png").write_bytes(brush)
    summary = read_bounded(tmp_path / "export.json", "ango")
    _issue(summary["issues"], "brush mask is 9000×9000, image is 300×200")
    assert summary["peak_kb"] < 300_000, summary


def test_bomb_as_a_segments_bitmap_skips_only_its_masks(tmp_path: Path, data: Path) -> None:
    release = tmp_path / "release.json"
    shutil.copy(data / "segments" / "bitmap_release.json", release)
    (tmp_path / "bitmap-1.png").write_bytes(BOMB)
    summary = read_bounded(release, "segments")
    assert summary["items"] == 4
    assert summary["masks"] == 0
    _issue(summary["issues"], "bitmap-1.png", "2,500,000,000 pixels, over", "LABELVIEW_MAX_PIXELS")


def test_bomb_as_a_dataloop_mask_skips_only_that_annotation(tmp_path: Path, data: Path) -> None:
    item = json.loads((data / "dataloop" / "item_all_types.json").read_text())
    baseline = read_bounded(data / "dataloop" / "item_all_types.json", "dataloop")
    for annotation in item["annotations"]:
        if annotation["type"] == "binary":
            annotation["coordinates"] = "data:image/png;base64," + base64.b64encode(BOMB).decode()
    (tmp_path / "item.json").write_text(json.dumps(item))
    summary = read_bounded(tmp_path / "item.json", "dataloop")
    assert summary["masks"] == 0
    assert summary["objects"] == baseline["objects"] - 1
    _issue(summary["issues"], "PNG mask claims 50000×50000")


def test_coco_rle_claiming_100000_squared_skips_that_annotation(tmp_path: Path, data: Path) -> None:
    export = json.loads((data / "coco" / "instances.json").read_text())
    good = len(export["annotations"])
    bomb = dict(export["annotations"][2])
    counts = rle.counts_to_string([10**10])  # runs that add up: only the size is absurd
    bomb.update(id=999, segmentation={"size": [100000, 100000], "counts": counts})
    export["annotations"].append(bomb)
    (tmp_path / "instances.json").write_text(json.dumps(export))
    summary = read_bounded(tmp_path / "instances.json", "coco")
    assert summary["objects"] >= good - 2  # what the fixture itself skips
    _issue(summary["issues"], "100000×100000", "LABELVIEW_MAX_PIXELS")


def test_encord_bitmask_claiming_100000_squared_skips_that_object(
    tmp_path: Path, data: Path
) -> None:
    text = (data / "encord" / "mini.json").read_text()
    assert '"width": 4, "height": 3}' in text
    hostile = text.replace('"width": 4, "height": 3}', '"width": 100000, "height": 100000}', 1)
    (tmp_path / "mini.json").write_text(hostile)
    shutil.copy(data / "encord" / "mini.ontology.json", tmp_path / "mini.ontology.json")
    baseline = read_bounded(data / "encord" / "mini.json", "encord")
    summary = read_bounded(tmp_path / "mini.json", "encord")
    assert summary["objects"] == baseline["objects"] - 1
    _issue(summary["issues"], "bitmask claims 100000×100000")
