"""The CI fuzz budget: hypothesis mutates every seed (derandomized: the same inputs every run),
each input goes through its reader, one other reader, every writer and the read-back, in a
memory-capped worker subprocess. Any finding not listed in known_open.py fails the test, and
hypothesis shrinks the input to the simplest mutation that still fails.

The long run is `python bench/fuzz.py --minutes N`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.corpus import READERS, SEEDS, Case, cases
from tests.fuzz.harness import Worker, known
from tests.fuzz.known_open import KNOWN_OPEN
from tests.fuzz.mutate import HypothesisChooser, pick

# Inputs per seed, and a wall-clock cap over the whole module: on a loaded machine the budget
# stops early rather than slowing the suite (the examples past it pass without running).
EXAMPLES_PER_SEED = 10
BUDGET_SECONDS = 30.0
STAGE_TIMEOUT = 10.0
_started: list[float] = []


@pytest.fixture(scope="module")
def worker():
    with Worker(timeout=STAGE_TIMEOUT) as running:
        yield running


@pytest.fixture(scope="module")
def seed_cases(tmp_path_factory) -> dict[str, Case]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    return {case.seed.name: case for case in cases(folder)}


def _over_budget() -> bool:
    if not _started:
        _started.append(time.monotonic())
    return time.monotonic() - _started[0] > BUDGET_SECONDS


@pytest.mark.parametrize("seed", [seed.name for seed in SEEDS])
@settings(
    max_examples=EXAMPLES_PER_SEED,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_inputs_give_no_new_finding(seed, data, worker, seed_cases, tmp_path_factory):
    if _over_budget():
        return
    case = seed_cases[seed]
    chooser = HypothesisChooser(data)
    contents, done = case.mutated(chooser)
    others = [name for name in READERS if name != case.seed.format]
    other = pick(chooser, [None, *others])
    out = case.folder.parent / f"out-{seed}"
    outcome = worker.run(case.job(contents, done, out, other_reader=other))
    new = [f for f in outcome.findings if known(f["key"], KNOWN_OPEN) is None]
    assert not new, "new fuzz findings (add a fix, or a known_open.py line):\n" + "\n".join(
        f"  {f['key']}: {f['detail']}\n    input: {'; '.join(done)[:400]}" for f in new
    )


def _probe(what: str, amount: float) -> dict:
    return {"probe": what, "amount": amount, "readers": ["probe"]}


def test_the_oracle_sees_a_signal_a_hang_the_memory_cap_and_peak_rss():
    """The harness itself: a worker killed mid-stage is a `signal` finding, a stage past the
    timeout a `hang`, an allocation past the cap a MemoryError; the worker restarts each time."""
    import os
    import signal
    import threading

    with Worker(timeout=1.0, memory_mb=1024, preload=False) as running:
        first = running.proc.pid
        threading.Timer(0.3, os.kill, (first, signal.SIGSEGV)).start()
        assert running.run(_probe("sleep", 3)).finding_keys() == ["signal:probe:sleep:SIGSEGV"]
        assert running.proc.pid != first

        assert running.run(_probe("sleep", 3)).finding_keys() == ["hang:probe:sleep"]

        capped = running.run(_probe("allocate", 2048), timeout=15)
        keys = [key.split("@")[0] for key in capped.finding_keys()]
        assert keys == ["escaped:probe:allocate:MemoryError"]

        fine = running.run(_probe("allocate", 300), timeout=15)
        assert fine.ok
        assert 300 < fine.rss_mb < 1024
        # The peak is per job (VmHWM is reset before each): a small job reports a small one.
        assert running.run(_probe("sleep", 0)).rss_mb < fine.rss_mb - 200
