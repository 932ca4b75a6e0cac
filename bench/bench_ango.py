"""Read speed of the Ango reader on a synthetic v3 export (JSON array and NDJSON).

Usage: python bench/bench_ango.py [OBJECTS]   (default 200,000; 50 objects per asset: boxes,
polygons, segmentations with a hole, each with a two-level answer)
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
from rss import rss_bytes

from labelview import formats
from labelview.formats.base import ReadContext

PER_ASSET = 50


def tool(rng: np.random.Generator, index: int) -> dict:
    """One tool entry; every third kind in turn."""
    x, y = (float(v) for v in rng.uniform(0, 1800, 2))
    common = {
        "objectId": f"{index:023x}",
        "schemaId": f"{index % 7:023x}",
        "title": f"class {index % 7}",
        "classifications": [
            {
                "schemaId": "c" * 23,
                "tool": "radio",
                "title": "occluded",
                "answer": "yes",
                "classifications": [
                    {"schemaId": "d" * 23, "tool": "text", "title": "note", "answer": "x"}
                ],
            }
        ],
    }
    kind = index % 3
    if kind == 0:
        common["bounding-box"] = {"x": x, "y": y, "width": 40.5, "height": -30.25}
    elif kind == 1:
        common["polygon"] = [[x, y], [x + 30, y], [x + 35, y + 20], [x + 5, y + 40]]
    else:
        common["segmentation"] = {
            "zones": [
                {
                    "region": [[x, y], [x + 50, y], [x + 50, y + 50], [x, y + 50]],
                    "holes": [[[x + 10, y + 10], [x + 20, y + 10], [x + 20, y + 20]]],
                }
            ]
        }
    return common


def export(objects: int) -> list[dict]:
    rng = np.random.default_rng(0)
    assets = []
    for number in range(max(1, objects // PER_ASSET)):
        tools = [tool(rng, number * PER_ASSET + k) for k in range(PER_ASSET)]
        assets.append(
            {
                "asset": f"https://angohub-private-assets.s3.amazonaws.com/{number}.jpg",
                "externalId": f"{number:06d}.jpg",
                "metadata": {"width": 1920, "height": 1080},
                "task": {
                    "taskId": f"{number:024x}",
                    "stage": "Complete",
                    "tools": tools,
                    "classifications": [],
                    "relations": [],
                    "stageHistory": [
                        {"stage": "Label", "stageId": "Label", "completedBy": "a@b.c"}
                    ],
                },
            }
        )
    return assets


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    assets = export(count)
    with tempfile.TemporaryDirectory() as folder:
        array = Path(folder, "export.json")
        array.write_bytes(orjson.dumps(assets))
        lines = Path(folder, "export.ndjson")
        lines.write_bytes(b"\n".join(orjson.dumps(asset) for asset in assets) + b"\n")
        del assets
        for path in (array, lines):
            before = rss_bytes()
            start = time.perf_counter()
            dataset = formats.read(path, format="ango", ctx=ReadContext(file=path))
            seconds = time.perf_counter() - start
            gc.collect()
            grown = (rss_bytes() - before) / 1e6
            size = path.stat().st_size / 1e6
            print(
                f"{path.name}: {size:.0f} MB, {dataset.object_count:,} objects in "
                f"{seconds:.2f} s ({dataset.object_count / seconds:,.0f} objects/s), "
                f"RSS +{grown:.0f} MB (JSON: includes the freed parse the allocator keeps), "
                f"{len(dataset.issues)} issues"
            )
            del dataset


if __name__ == "__main__":
    main()
