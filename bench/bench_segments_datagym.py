"""Reading speed of the Segments.ai and DataGym readers on generated exports (prints timings).

Usage: python bench/bench_segments_datagym.py [OBJECTS]   (default 200,000 objects per export)
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from labelview.formats import datagym, segments
from labelview.formats.base import ReadContext

PER_ITEM = 50


def segments_release(samples: int, *, bitmap: bool) -> dict:
    annotations = []
    for index in range(PER_ITEM):
        if bitmap:
            annotations.append({"id": index + 1, "category_id": index % 5, "attributes": {}})
        elif index % 2:
            annotations.append(
                {
                    "id": index + 1,
                    "category_id": index % 5,
                    "type": "bbox",
                    "points": [[index, 2.5], [index + 10.25, 30.0]],
                    "attributes": {"a": "b"},
                }
            )
        else:
            annotations.append(
                {
                    "id": index + 1,
                    "category_id": index % 5,
                    "type": "polygon",
                    "points": [[index, 0], [index + 9, 0], [index + 9, 9], [index, 9], [1, 1]],
                }
            )
    label = {"format_version": "0.1", "annotations": annotations}
    if bitmap:
        label["segmentation_bitmap"] = {"url": "https://example.invalid/label.png"}
    return {
        "name": "bench",
        "dataset": {
            "task_type": "segmentation-bitmap" if bitmap else "vector",
            "task_attributes": {
                "categories": [
                    {"id": i, "name": f"c{i}", "color": [i, 2 * i, 3 * i]} for i in range(5)
                ]
            },
            "labelsets": [{"name": "ground-truth", "is_groundtruth": True}],
            "samples": [
                {
                    "uuid": f"u{s}",
                    "name": f"img_{s}.jpg",
                    "attributes": {"image": {"url": f"https://example.invalid/{s}.jpg"}},
                    "labels": {"ground-truth": {"label_status": "LABELED", "attributes": label}},
                }
                for s in range(samples)
            ],
        },
    }


def datagym_export(tasks: int) -> list:
    entry_box = {
        "rectangle": [{"x": 1, "y": 2, "w": 30, "h": 40}],
        "classifications": {"kind": ["suv", {"color": ["red"]}]},
        "nested_geometries": {},
    }
    entry_poly = {
        "polygon": [{"x": i, "y": i * 2 % 17} for i in range(12)],
        "classifications": {},
        "nested_geometries": {},
    }
    return [
        {
            "label_classes": [
                {"class_name": "car", "geometry_type": "rectangle"},
                {"class_name": "road", "geometry_type": "polygon"},
                {"class_name": "kind", "classification_type": "select"},
                {"class_name": "color", "classification_type": "select"},
            ]
        },
        *(
            {
                "internal_media_ID": f"m{t}",
                "external_media_ID": f"img%20{t}.jpg",
                "labeler": "u",
                "status": "completed",
                "global_classifications": {},
                "labels": {
                    "car": [entry_box] * (PER_ITEM // 2),
                    "road": [entry_poly] * (PER_ITEM // 2),
                },
            }
            for t in range(tasks)
        ),
    ]


def timed(name: str, module, path: Path) -> None:
    ctx = ReadContext(file=path)
    start, cpu = time.perf_counter(), time.process_time()
    dataset = module.read(path, ctx)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu  # the machine may be shared: CPU time is the steadier figure
    objects = dataset.object_count
    print(
        f"{name:<22} {path.stat().st_size / 1e6:7.1f} MB  {len(dataset.items):7,} items  "
        f"{objects:9,} objects  {elapsed:6.2f} s wall  {cpu:6.2f} s CPU  "
        f"{objects / cpu:10,.0f} objects/CPU-s  "
        f"{len(ctx.issues)} issues"
    )


def main() -> None:
    objects = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    items = max(1, objects // PER_ITEM)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cases = [
            ("segments vector", segments, "vector.json", segments_release(items, bitmap=False)),
            ("segments bitmap", segments, "bitmap.json", segments_release(items, bitmap=True)),
            ("datagym image export", datagym, "datagym.json", datagym_export(items)),
        ]
        for name, module, file, data in cases:
            path = root / file
            path.write_text(json.dumps(data))
            del data
            timed(name, module, path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
