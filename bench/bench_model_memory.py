"""Memory of the model: build N ObjectLabels (half boxes, half 8-point polygons) and print the cost.

Usage: python bench/bench_model_memory.py [N]   (default 1,000,000; target: well under 1 GB)

RSS is measured on the full build; tracemalloc (slow) on a 100k sample, per object and per part.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

import numpy as np
from rss import rss_bytes

from labelview.model import Box, Dataset, Item, ObjectLabel, Polygon

PER_ITEM = 10


def build(count: int) -> Dataset:
    """A dataset of `count` objects on count/PER_ITEM items, as a reader would build it."""
    rng = np.random.default_rng(0)
    dataset = Dataset()
    for name in ("car", "person", "sign"):
        dataset.category(name)
    corners = rng.uniform(0, 1000, size=(count, 2))
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    ring = np.column_stack((np.cos(angles), np.sin(angles))) * 20
    names = ("car", "person", "sign")
    objects: list[ObjectLabel] = []
    for index in range(count):
        x, y = float(corners[index, 0]), float(corners[index, 1])
        offset = np.array((x, y))
        geometry = Polygon.from_points(ring + offset) if index % 2 else Box(x, y, 30.0, 40.0)
        objects.append(ObjectLabel(names[index % 3], geometry, id=str(index)))
        if len(objects) == PER_ITEM:
            number = len(dataset.items)
            dataset.items.append(Item(id=str(number), name=f"{number}.jpg", objects=objects))
            objects = []
    if objects:
        dataset.items.append(Item(id="last", name="last.jpg", objects=objects))
    return dataset


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    gc.disable()  # as readers do while building (base.gc_paused)
    dataset = build(count)
    gc.enable()
    seconds = time.perf_counter() - start
    after = rss_bytes()
    grown = after - before
    print(f"{count:,} objects on {len(dataset.items):,} items built in {seconds:.1f} s")
    print(f"RSS: +{grown / 2**20:,.0f} MB ({grown / count:,.0f} B per object, items included)")
    del dataset
    gc.collect()

    sample = min(count, 100_000)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    dataset = build(sample)
    traced = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(f"tracemalloc on {sample:,}: {traced / sample:,.0f} B per object (items included)")
    box, polygon = dataset.items[0].objects[0], dataset.items[0].objects[1]
    sizes = {
        "ObjectLabel": sys.getsizeof(box),
        "empty attributes list": sys.getsizeof(box.attributes),
        "Box": sys.getsizeof(box.geometry) + 4 * sys.getsizeof(1.5),
        "Polygon + part + arrays": sys.getsizeof(polygon.geometry)
        + sys.getsizeof(polygon.geometry.parts)
        + sys.getsizeof(polygon.geometry.parts[0])
        + sys.getsizeof(polygon.geometry.parts[0].outer),
        "Item (pydantic, per 10 objects)": sys.getsizeof(dataset.items[0])
        + sys.getsizeof(dataset.items[0].__dict__),
    }
    for name, size in sizes.items():
        print(f"  {name}: {size} B")
    verdict = "OK" if grown < 1024**3 else "TOO BIG"
    print(f"target: {count:,} objects well under 1 GB -> {verdict} ({grown / 2**30:.2f} GB)")


if __name__ == "__main__":
    main()
