"""The fuzz target, run in a subprocess with a memory cap: `python -m tests.fuzz.worker`.

It reads one job per line (JSON) on stdin, and answers on its original stdout: a `{"stage": …}`
line before each stage (so a crash or hang is attributed to it), then one `{"done": …}` line with
every finding. Library output that goes to stdout is redirected to stderr, so it cannot corrupt
the protocol.

A job: read `input` with each of `readers`, write what the first (its own format's) reader
accepted with each of `writers` into a fresh folder, and read each output back where we have a
reader. The oracle (see `tests/fuzz/harness.py` for the kinds):
- escaped: an exception that is not a LabelviewError (a traceback in the CLI, "unexpected X");
- unlocated: an issue or an error that names no file;
- loss: fewer objects than the seed without any more issues than the seed had, when the mutation
  did not delete a list element; or fewer objects read back than written, without an issue.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def _cap_memory() -> None:
    megabytes = int(os.environ.get("FUZZ_MEMORY_MB", "2048"))
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0), so each job reports its own peak.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def where_raised(error: BaseException) -> str:
    """`labelview/formats/coco/write.py:_segmentation`: the innermost frame in labelview (line
    numbers left out, so a finding keeps its key while the code around it changes)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/labelview/" in f.filename]
    frame = ours[-1] if ours else (frames[-1] if frames else None)
    if frame is None:
        return "?"
    name = frame.filename
    cut = name.rfind("/labelview/")
    return f"{name[cut + 1 :] if cut >= 0 else Path(name).name}:{frame.name}"


def _escaped(stage: str, fmt: str, error: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(error.__traceback__)
    innermost = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    return {
        "kind": "escaped",
        "key": f"escaped:{stage}:{fmt}:{type(error).__name__}@{where_raised(error)}",
        "detail": f"{type(error).__name__}: {str(error)[:200]} (raised at {innermost})",
    }


class Job:
    def __init__(self, spec: dict[str, Any], send: Any) -> None:
        self.spec = spec
        self.send = send
        self.findings: list[dict[str, Any]] = []
        self.counts: dict[str, Any] = {}

    def stage(self, name: str) -> None:
        self.send({"stage": name})

    def unlocated(self, stage: str, fmt: str, issues: list[Any]) -> None:
        bad = [issue for issue in issues if not issue.file]
        if bad:
            self.findings.append(
                {
                    "kind": "unlocated",
                    "key": f"unlocated:{stage}:{fmt}",
                    "detail": f"{len(bad)} issues name no file, e.g. {bad[0]!s:.160}",
                }
            )

    def read(self, fmt: str, path: Path, stage: str = "read") -> Any:
        from labelview import formats
        from labelview.errors import LabelviewError

        self.stage(f"{stage} {fmt}")
        try:
            dataset = formats.read(path, format=fmt)
        except LabelviewError as error:
            file = getattr(error, "file", None)
            if not file:
                self.findings.append(
                    {
                        "kind": "unlocated",
                        "key": f"unlocated:{stage}:{fmt}",
                        "detail": f"{type(error).__name__} names no file: {error!s:.160}",
                    }
                )
            self.counts.setdefault("rejected", []).append(f"{stage} {fmt}")
            return None
        except Exception as error:  # the point of the harness: anything else escaped
            self.findings.append(_escaped(stage, fmt, error))
            return None
        self.unlocated(stage, fmt, dataset.issues)
        return dataset

    def run(self) -> None:
        spec = self.spec
        if "probe" in spec:  # the harness's own tests: a stage that sleeps or allocates
            self.probe(spec["probe"], spec.get("amount", 1))
            return
        path = Path(spec["input"])
        readers = spec["readers"]
        own = readers[0]
        dataset = None
        for index, fmt in enumerate(readers):
            result = self.read(fmt, path)
            if index == 0:
                dataset = result
        if dataset is None:
            return
        objects, issues = dataset.object_count, len(dataset.issues)
        self.counts.update(objects=objects, issues=issues)
        seed = spec.get("seed_objects")
        expect = spec.get("expect_objects")
        if expect is not None and objects != expect:
            self.findings.append(
                {
                    "kind": "loss",
                    "key": f"count:read:{own}",
                    "detail": f"{objects} objects read, {expect} expected ({issues} issues)",
                }
            )
        elif (
            seed is not None
            and not spec.get("may_drop")
            and objects < seed
            and not [i for i in dataset.issues if str(i) not in set(spec.get("seed_issues", ()))]
        ):
            self.findings.append(
                {
                    "kind": "loss",
                    "key": f"loss:read:{own}",
                    "detail": f"{objects} objects read, seed has {seed}, and no new issue",
                }
            )
        for name in spec.get("writers", ()):
            self.write(name, dataset)

    def probe(self, what: str, amount: float) -> None:
        self.stage(f"probe {what}")
        try:
            if what == "sleep":
                time.sleep(amount)
            elif what == "allocate":  # amount in MiB, touched so it is resident
                block = bytearray(int(amount) * 1024 * 1024)
                block[::4096] = b"x" * len(block[::4096])
        except Exception as error:
            self.findings.append(_escaped("probe", what, error))

    def write(self, name: str, dataset: Any) -> None:
        from labelview import formats
        from labelview.convert import readback_path
        from labelview.errors import LabelviewError
        from labelview.formats.base import WriteContext
        from labelview.output import OutputDir

        out = Path(self.spec["out"]) / name
        shutil.rmtree(out, ignore_errors=True)
        self.stage(f"write {name}")
        fmt = formats.writer(name)
        ctx = WriteContext()
        try:
            output = OutputDir(out)
            report = formats.write(name, dataset, output, fmt.options(), ctx)
            output.commit()
        except LabelviewError as error:
            self.counts.setdefault("rejected", []).append(f"write {name}: {error!s:.100}")
            return
        except Exception as error:
            self.findings.append(_escaped("write", name, error))
            return
        self.unlocated("write", name, ctx.issues)
        if not fmt.readable or report.objects == 0:
            return
        back = self.read(name, readback_path(name, out), "readback")
        if back is None:
            return
        if back.object_count < report.objects and not back.issues:
            self.findings.append(
                {
                    "kind": "loss",
                    "key": f"loss:readback:{name}",
                    "detail": f"{report.objects} objects written, {back.object_count} read back,"
                    " no issue",
                }
            )


def main() -> None:
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # stray prints go to stderr
    sys.path.insert(0, str(REPO))
    _cap_memory()
    sys.setrecursionlimit(int(os.environ.get("FUZZ_RECURSION", "1000")))
    import warnings

    warnings.simplefilter("ignore")
    if os.environ.get("FUZZ_PRELOAD", "1") == "1":
        from labelview import formats  # noqa: F401  (imported before the first job: not timed)

    def send(message: dict[str, Any]) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    send({"ready": os.getpid()})
    for raw in sys.stdin:
        spec = json.loads(raw)
        _reset_peak()
        started = time.perf_counter()
        job = Job(spec, send)
        try:
            job.run()
        except Exception as error:  # a bug in the harness itself, or an escape it did not expect
            job.findings.append(_escaped("job", spec["readers"][0], error))
        send(
            {
                "done": job.findings,
                "counts": job.counts,
                "rss_mb": round(peak_rss_mb(), 1),
                "seconds": round(time.perf_counter() - started, 3),
            }
        )


if __name__ == "__main__":
    main()
