"""Read and write speed of COCO panoptic on a synthetic export (640×480 PNGs, 30 segments each).

Usage: python bench/bench_coco_panoptic.py [IMAGES]   (default 500)

Reading decodes no PNG (headers only); writing decodes each source PNG once and encodes one.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from labelview import formats
from labelview.convert import convert
from labelview.formats.coco_panoptic.pixels import encode_ids

SEGMENTS = 30


def make(folder: Path, images: int) -> Path:
    pngs = folder / "panoptic_bench"
    pngs.mkdir()
    ids = np.zeros((480, 640), np.uint32)
    for k in range(SEGMENTS):
        ids[k * 16 : (k + 1) * 16, :] = 1000 + k
    png = encode_ids(ids)
    entries, annotations = [], []
    for index in range(images):
        (pngs / f"{index}.png").write_bytes(png)
        entries.append({"id": index, "file_name": f"{index}.jpg", "width": 640, "height": 480})
        segments = [
            {
                "id": 1000 + k,
                "category_id": 1 + k % 3,
                "bbox": [0, k * 16, 640, 16],
                "area": 640 * 16,
                "iscrowd": 0,
            }
            for k in range(SEGMENTS)
        ]
        annotations.append(
            {"image_id": index, "file_name": f"{index}.png", "segments_info": segments}
        )
    categories = [{"id": i, "name": f"c{i}", "isthing": i % 2} for i in (1, 2, 3)]
    path = folder / "panoptic_bench.json"
    doc = {"images": entries, "annotations": annotations, "categories": categories}
    path.write_bytes(orjson.dumps(doc))
    return path


def main() -> None:
    images = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        path = make(Path(tmp), images)
        start = time.perf_counter()
        dataset = formats.read(path)
        read = time.perf_counter() - start
        start = time.perf_counter()
        convert(path, Path(tmp) / "out", "coco_panoptic", dataset=dataset)
        write = time.perf_counter() - start
    print(f"{images:,} images, {dataset.object_count:,} segments")
    print(f"read  {read:6.2f} s ({read / images * 1000:.2f} ms per image)")
    print(f"write {write:6.2f} s ({write / images * 1000:.1f} ms per image)")


if __name__ == "__main__":
    main()
