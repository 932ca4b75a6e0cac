"""Shrink the inputs `bench/fuzz.py --save DIR` kept into regression fixtures.

    python bench/fuzz_minimise.py DIR tests/fuzz/regressions [--calls 80]

For each saved finding, the mutated file is cut down (JSON: keys and list elements deleted while
the same finding key still shows; text and XML: lines or elements) and written to the output
folder as `<name>.<ext>`; the manifest lines to add to tests/fuzz/regressions/cases.py are
printed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fuzz.corpus import SEED_NAMES, WRITERS  # noqa: E402
from tests.fuzz.harness import Worker  # noqa: E402
from tests.fuzz.mutate import dump_json  # noqa: E402


def shrink_json(doc, fails, calls: int):
    """Delete keys and list elements (largest first) while `fails(doc)` holds."""
    budget = [calls]

    def attempt(candidate) -> bool:
        if budget[0] <= 0:
            return False
        budget[0] -= 1
        return fails(candidate)

    def containers(node, path=()):
        if isinstance(node, (dict, list)):
            yield path
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                yield from containers(value, (*path, key))

    def get(node, path):
        for part in path:
            node = node[part]
        return node

    changed = True
    while changed and budget[0] > 0:
        changed = False
        for path in list(containers(doc)):
            try:
                node = get(doc, path)
            except (KeyError, IndexError, TypeError):
                continue
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            for key in reversed(keys):
                candidate = copy.deepcopy(doc)
                parent = get(candidate, path)
                del parent[key]
                if attempt(candidate):
                    doc, changed = candidate, True
    return doc


def shrink_lines(lines: list[str], fails, calls: int) -> list[str]:
    for index in reversed(range(len(lines))):
        if calls <= 0:
            break
        calls -= 1
        candidate = lines[:index] + lines[index + 1 :]
        if candidate and fails(candidate):
            lines = candidate
    return lines


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("saved", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--calls", type=int, default=80)
    parser.add_argument("--only", nargs="*", help="substrings of finding keys to minimise")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Worker(timeout=10) as worker:
        for slot in sorted(args.saved.iterdir()):
            meta = json.loads((slot / "meta.json").read_text())
            if args.only and not any(part in meta["key"] for part in args.only):
                continue
            seed = SEED_NAMES[meta["seed"]]
            folder = Path(tmp) / slot.name
            seed.build(folder)
            contents = {
                name: (slot / f"{index}.bin").read_bytes()
                for index, name in enumerate(meta["files"])
            }
            changed = [name for name, data in contents.items() if data != seed.original(name)]
            name = changed[0]
            readers = [seed.format] + ([meta["other_reader"]] if meta["other_reader"] else [])
            readers = [seed.format] if meta["key"].split(":")[2] == seed.format else readers

            def fails(
                data: bytes,
                name=name,
                contents=contents,
                readers=readers,
                folder=folder,
                seed=seed,
                meta=meta,
            ):
                seed.place(folder, {**contents, name: data})
                job = {
                    "input": str(folder / seed.input),
                    "readers": readers,
                    "writers": WRITERS,
                    "out": str(folder.parent / "out"),
                }
                return meta["key"] in worker.run(job).finding_keys()

            data = contents[name]
            calls = args.calls if not meta["key"].startswith(("signal", "hang")) else 25
            kind = seed.mutable[name]
            if not fails(data):
                print(f"# {meta['key']}: does not reproduce alone, kept as is")
            elif kind == "json":
                try:
                    doc = json.loads(data)
                    data = dump_json(shrink_json(doc, lambda d: fails(dump_json(d)), calls))
                except RecursionError:
                    pass  # nested past the parser: kept as is
            elif kind in ("text", "ndjson"):
                lines = data.decode().splitlines()
                kept = shrink_lines(lines, lambda ls: fails("\n".join(ls).encode() + b"\n"), calls)
                data = "\n".join(kept).encode() + b"\n"
            elif kind == "xml":
                with contextlib.suppress(RecursionError, ET.ParseError):
                    data = _shrink_xml(data, fails, calls)
            stem = re.sub(r"[^a-z0-9]+", "_", meta["key"].split("@")[0].lower()).strip("_")
            where = meta["key"].partition("@")[2].rsplit("/", 1)[-1].replace(":", "_")
            fixture = f"{meta['seed']}__{stem}__{where}".strip("_")[:90] + Path(name).suffix
            (args.out / fixture).write_bytes(data)
            print(f"{fixture}  {meta['seed']}  {name}  {meta['key']}  ({len(data)} bytes)")
            print(f"    {'; '.join(meta['done'])[:200]}")
    return 0


def _shrink_xml(data: bytes, fails, calls: int) -> bytes:
    root = ET.fromstring(data)
    for parent in list(root.iter()):
        for child in list(parent):
            if calls <= 0:
                break
            calls -= 1
            index = list(parent).index(child)
            parent.remove(child)
            if not fails(ET.tostring(root)):
                parent.insert(index, child)
    return ET.tostring(root)


if __name__ == "__main__":
    raise SystemExit(main())
