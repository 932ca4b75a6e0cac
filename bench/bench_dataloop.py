"""Time the Dataloop reader on generated exports: a big JSON array and a long video.

Usage: python bench/bench_dataloop.py [items] [objects_per_item] [tracks] [frames]
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from labelview.formats import dataloop
from labelview.formats.base import ReadContext


def _box(x: float, y: float) -> list[dict]:
    return [{"x": x, "y": y, "z": 0}, {"x": x + 20.5, "y": y + 10.25, "z": 0}]


def _items(count: int, per_item: int) -> list[dict]:
    items = []
    for i in range(count):
        annotations = []
        for k in range(per_item):
            if k % 2:
                coords = [[{"x": k + j, "y": (j * 7) % 50} for j in range(12)]]
                kind = "segment"
            else:
                coords, kind = _box(k, k / 2), "box"
            annotations.append(
                {
                    "id": f"{i:012d}{k:012d}",
                    "type": kind,
                    "label": f"label{k % 7}",
                    "attributes": ["a"],
                    "coordinates": coords,
                    "metadata": {"system": {"attributes": {"q": k}, "snapshots_": []}},
                }
            )
        items.append(
            {
                "id": f"{i:024d}",
                "filename": f"/dir{i % 10}/img{i}.jpg",
                "metadata": {"system": {"width": 640, "height": 480, "mimetype": "image/jpeg"}},
                "annotations": annotations,
            }
        )
    return items


def _video(tracks: int, frames: int) -> dict:
    annotations = []
    for t in range(tracks):
        snaps = [
            {"frame": f, "fixed": f % 25 == 0, "data": _box(f * 0.1, t)}
            for f in range(5, frames, 5)
        ]
        annotations.append(
            {
                "id": f"{t:024d}",
                "type": "box",
                "label": "car",
                "coordinates": _box(0, t),
                "metadata": {
                    "system": {
                        "objectId": str(t),
                        "frame": 0,
                        "endFrame": frames - 1,
                        "snapshots_": snaps,
                    }
                },
            }
        )
    return {
        "id": "v" * 24,
        "filename": "/clip.mp4",
        "metadata": {"fps": 25, "system": {"width": 1920, "height": 1080, "mimetype": "video/mp4"}},
        "annotations": annotations,
    }


def _time(path: Path) -> None:
    start = time.perf_counter()
    dataset = dataloop.read(path, ReadContext(file=path))
    elapsed = time.perf_counter() - start
    size = path.stat().st_size / 1e6
    print(
        f"{path.name}: {size:.1f} MB, {len(dataset.items):,} items, "
        f"{dataset.object_count:,} objects in {elapsed:.2f} s "
        f"({dataset.object_count / elapsed:,.0f} objects/s)"
    )


def main() -> None:
    args = [int(a) for a in sys.argv[1:]] + [20_000, 25, 100, 5_000][len(sys.argv) - 1 :]
    items, per_item, tracks, frames = args[:4]
    with tempfile.TemporaryDirectory() as folder:
        array = Path(folder, "export.json")
        array.write_text(json.dumps(_items(items, per_item)))
        _time(array)
        video = Path(folder, "video.json")
        video.write_text(json.dumps(_video(tracks, frames)))
        _time(video)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB")


if __name__ == "__main__":
    main()
