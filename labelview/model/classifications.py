"""Nested answers: item-, frame- and object-level classifications and object attributes.

One shape serves all of them: a question (`name`) with its answer (`value`) and the answers nested
under the chosen option (`children`), to any depth. Frame-level answers carry the inclusive frame
range they hold for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, eq=False)
class Answer:
    """One answered question: `value` is a scalar, a list (multi-select) or None; `children` nest
    under it.
    """

    name: str
    value: Any = None
    children: list[Answer] = field(default_factory=list)
    frames: tuple[int, int] | None = None  # inclusive frame range (dynamic / frame-level answers)
    confidence: float | None = None
    source: str | None = None  # "manual" / "model"
    answered_by: str | None = None
    extra: dict[str, Any] | None = None

    def applies_to(self, frame: int | None) -> bool:
        """True when the answer holds on `frame` (answers without a range hold everywhere)."""
        if self.frames is None or frame is None:
            return True
        return self.frames[0] <= frame <= self.frames[1]


def walk(answers: Iterable[Answer], prefix: str = "") -> Iterator[tuple[str, Answer]]:
    """Depth-first (path, answer) pairs; paths join nested names with '/'."""
    for answer in answers:
        path = f"{prefix}/{answer.name}" if prefix else answer.name
        yield path, answer
        yield from walk(answer.children, path)


def flatten(answers: Iterable[Answer], frame: int | None = None) -> dict[str, Any]:
    """Nested answers as a flat {'question/sub-question': value} dict (for formats with flat
    attributes).
    """
    flat: dict[str, Any] = {}

    def visit(level: Iterable[Answer], prefix: str) -> None:
        for answer in level:
            if not answer.applies_to(frame):
                continue  # nor do the answers nested under it
            path = f"{prefix}/{answer.name}" if prefix else answer.name
            if answer.value is not None or not answer.children:
                flat[path] = answer.value
            visit(answer.children, path)

    visit(answers, "")
    return flat


def from_flat(values: dict[str, Any]) -> list[Answer]:
    """Flat {'name': value} attributes (COCO, VOC, LabelMe, CVAT) as answers without nesting."""
    return [Answer(str(name), value) for name, value in values.items()]
