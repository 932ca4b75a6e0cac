"""Read speed of the Label Studio and Labelbox readers, and of the brush RLE decoder.

Usage: python bench/bench_label_studio_labelbox.py [TASKS]   (default 5,000 tasks / rows of 20
boxes each; the brush is a 1920×1080 editor-style mask: a colour with alpha 255 where painted)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labelview import formats
from labelview.formats.label_studio.brush import decode_mask
from tests.formats.rle_pack import encode_mask

PER_TASK = 20


def label_studio(tasks: int) -> list[dict]:
    def box(i: int, j: int) -> dict:
        value = {"x": j, "y": j, "width": 10, "height": 5, "rotation": j % 3 * 10}
        return {
            "id": f"r{i}_{j}",
            "type": "rectanglelabels",
            "from_name": "label",
            "to_name": "image",
            "original_width": 1920,
            "original_height": 1080,
            "value": {**value, "rectanglelabels": ["car"]},
        }

    return [
        {
            "id": i,
            "data": {"image": f"/data/upload/1/abcdef12-img{i}.jpg"},
            "annotations": [
                {"id": i, "completed_by": 1, "result": [box(i, j) for j in range(PER_TASK)]}
            ],
        }
        for i in range(tasks)
    ]


def labelbox(rows: int) -> bytes:
    def row(i: int) -> dict:
        objects = [
            {
                "feature_id": f"f{i}_{j}",
                "name": "car",
                "bounding_box": {"top": j, "left": j, "height": 5, "width": 10},
            }
            for j in range(PER_TASK)
        ]
        return {
            "data_row": {
                "id": f"row{i}",
                "external_id": f"img{i}.jpg",
                "row_data": f"https://x/img{i}.jpg",
            },
            "media_attributes": {"width": 1920, "height": 1080, "mime_type": "image/jpeg"},
            "projects": {"p": {"labels": [{"id": f"l{i}", "annotations": {"objects": objects}}]}},
        }

    return b"\n".join(orjson.dumps(row(i)) for i in range(rows))


def timed(what: str, call) -> object:
    start = time.perf_counter()
    result = call()
    print(f"{what}: {time.perf_counter() - start:.2f} s")
    return result


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        path.write_bytes(orjson.dumps(label_studio(tasks)))
        dataset = timed(f"Label Studio, {tasks:,} tasks", lambda: formats.read(path))
        print(f"  {dataset.object_count:,} objects")
        path = Path(folder) / "export.ndjson"
        path.write_bytes(labelbox(tasks))
        dataset = timed(f"Labelbox, {tasks:,} rows", lambda: formats.read(path))
        print(f"  {dataset.object_count:,} objects")
    mask = np.zeros((1080, 1920), dtype=bool)
    mask[100:600, 200:1200] = True
    mask[700:900, 1500:1900] = True
    rle = bytes(encode_mask(mask))
    decoded = timed(
        f"brush 1920×1080, {mask.sum():,} px painted", lambda: decode_mask(rle, 1080, 1920)
    )
    assert np.array_equal(decoded, mask)


if __name__ == "__main__":
    main()
