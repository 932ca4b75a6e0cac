"""The long fuzz run: mutated seeds through every reader and writer, in a capped subprocess.

    python bench/fuzz.py --minutes 30 [--formats coco voc ...] [--json out.json] [--seed 1]

Prints a table per seed (inputs tried, ok, escaped, signals, hangs, unlocated, silent losses,
peak RSS) and every distinct finding with its smallest example input. The same harness runs in
CI for a bounded budget (tests/fuzz/test_fuzz_budget.py); see tests/fuzz/harness.py for what
each kind means.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fuzz.corpus import READERS, SEEDS, WRITERS, cases  # noqa: E402
from tests.fuzz.harness import Tally, Worker, known  # noqa: E402
from tests.fuzz.hostile import HOSTILE  # noqa: E402
from tests.fuzz.known_open import KNOWN_OPEN  # noqa: E402
from tests.fuzz.mutate import RandomChooser  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--formats", nargs="*", help="reader formats (or seed names) to fuzz; all by default"
    )
    parser.add_argument("--json", type=Path, help="write the table and findings as JSON here")
    parser.add_argument("--seed", type=int, default=1, help="random seed (runs are repeatable)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a stage may take")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space cap")
    parser.add_argument("--no-hostile", action="store_true", help="skip the hostile cases")
    parser.add_argument(
        "--save", type=Path, help="save the first input of each finding here (for fuzz_minimise)"
    )
    args = parser.parse_args(argv)

    wanted = set(args.formats or ())
    chosen = [s.name for s in SEEDS if not wanted or s.name in wanted or s.format in wanted]
    rng = random.Random(args.seed)
    tally = Tally()
    deadline = time.monotonic() + args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="labelview-fuzz-") as tmp:
        folder = Path(tmp)
        all_cases = cases(folder, chosen)
        with Worker(memory_mb=args.memory_mb, timeout=args.timeout) as worker:
            if not args.no_hostile:
                for case in HOSTILE:
                    if wanted and case.format not in wanted and case.name not in wanted:
                        continue
                    path = case.build(folder / "hostile" / case.name)
                    job = {
                        "input": str(path),
                        "readers": [case.format],
                        "writers": WRITERS,
                        "expect_objects": case.objects,
                        "out": str(folder / "out"),
                    }
                    tally.add(f"hostile:{case.format}", worker.run(job), case.name)
            count = 0
            while time.monotonic() < deadline:
                case = all_cases[count % len(all_cases)]
                count += 1
                chooser = RandomChooser(rng)
                contents, done = case.mutated(chooser)
                others = [name for name in READERS if name != case.seed.format]
                other = others[rng.randrange(len(others))] if rng.random() < 0.3 else None
                job = case.job(contents, done, folder / "out", other_reader=other)
                outcome = worker.run(job)
                tally.add(case.seed.name, outcome, "; ".join(done))
                if args.save:
                    _save(args.save, case.seed.name, job, outcome, contents, done)
                if count % 200 == 0:
                    left = (deadline - time.monotonic()) / 60
                    print(f"  {count} inputs, {left:.1f} min left", file=sys.stderr)
    print(tally.table())
    print()
    print("distinct findings (key: count; smallest example):")
    for key, count in tally.seen.most_common():
        example = tally.examples[key]
        flag = "known" if known(key, KNOWN_OPEN) else "NEW"
        print(f"- [{flag}] {key}: {count}")
        print(f"    {example['seed']}: {example['input'][:300]}")
        print(f"    -> {example['detail'][:300]}")
    if args.json:
        args.json.write_text(json.dumps(tally.to_json(), indent=2))
    return 0


def _save(folder: Path, seed: str, job: dict, outcome, contents: dict, done: list) -> None:
    """The first input giving each finding key: its seed, job and the mutated file(s)."""
    for finding in outcome.findings:
        slot = folder / finding["key"].replace("/", "_").replace(":", "~")[:150]
        if slot.exists():
            continue
        slot.mkdir(parents=True)
        meta = {"seed": seed, "key": finding["key"], "detail": finding["detail"], "done": done}
        meta["other_reader"] = job["readers"][1] if len(job["readers"]) > 1 else None
        (slot / "meta.json").write_text(json.dumps(meta, indent=2))
        for index, (name, data) in enumerate(sorted(contents.items())):
            (slot / f"{index}.bin").write_bytes(data)
            meta.setdefault("files", []).append(name)
        (slot / "meta.json").write_text(json.dumps(meta, indent=2))


if __name__ == "__main__":
    raise SystemExit(main())
