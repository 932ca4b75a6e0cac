"""The fuzzer's findings as fixtures: each file replaces one file of a seed's layout.

`bench/fuzz.py --save DIR` keeps the first input of every finding and `bench/fuzz_minimise.py`
shrinks it into this folder; each is listed here with what must hold once it is fixed: no
finding (a located issue instead) and at least `objects` objects read (the untouched rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.fuzz.corpus import SEED_NAMES, Seed

FOLDER = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Regression:
    file: str  # in this folder
    seed_name: str
    replaces: str  # the seed's mutable file (or archive member) it stands in for
    objects: int  # at least this many objects still load
    what: str  # the input and what happened when it was found

    @property
    def name(self) -> str:
        return self.file.rsplit(".", 1)[0]

    @property
    def seed(self) -> Seed:
        return SEED_NAMES[self.seed_name]

    def build(self, folder: Path) -> Path:
        path = self.seed.build(folder)
        self.seed.place(folder, {self.replaces: (FOLDER / self.file).read_bytes()})
        return path


REGRESSIONS: list[Regression] = []
