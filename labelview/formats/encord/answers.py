"""Encord answers: object attributes (static and dynamic) and item/frame classifications.

Answers are flattened in the file (nested ones are siblings of their parents); with the ontology
the tree is rebuilt and options resolve by featureHash, without it they stay flat and radio /
checklist answers stay lists of option names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson

from labelview.cancel import checked
from labelview.formats._reading import BAD_VALUE, at, describe, integer, number, sequence
from labelview.formats.base import ReadContext
from labelview.formats.encord.ontology import Ontology
from labelview.formats.encord.values import source
from labelview.model import Answer, Item, StageEvent

_ACTION_KEYS = ("dynamic", "shouldPropagate", "trackHash", "spaceId")


def answer(raw: dict, onto: Ontology, *, frames: tuple[int, int] | None = None) -> Answer:
    """One attribute-answer record as an Answer (no children yet)."""
    attribute = onto.attributes.get(raw.get("featureHash") or "") if onto.present else None
    name = raw.get("name") or (attribute or {}).get("name") or raw.get("value") or ""
    answers = raw.get("answers")
    if isinstance(answers, list):
        labels = []
        options = onto.options
        for option in answers:
            if not isinstance(option, dict):
                continue
            known = options.get(option.get("featureHash") or "") if options else None
            if known is not None:
                labels.append(known.get("label") or known.get("value") or "")
                continue
            label = option.get("name")
            # Platform exports put the attribute's name here in dynamic answers: the value names
            # the option then.
            if not label or label == name:
                label = option.get("value") or label or ""
            labels.append(label)
        value: Any = labels
        if attribute is not None and attribute.get("type") == "radio":
            value = labels[0] if labels else None
    else:
        value = answers
    extra = None
    if "dynamic" in raw:
        extra = {key: raw[key] for key in _ACTION_KEYS if key in raw}
    manual = raw.get("manualAnnotation")
    return Answer(
        name if isinstance(name, str) else str(name),
        value,
        frames=frames,
        source=None if manual is None else ("manual" if manual else "model"),
        extra=extra,
    )


def _merge(raws: Iterable[dict]) -> dict[str, dict]:
    """Answer records by attribute featureHash; repeated checklist records are unioned."""
    merged: dict[str, dict] = {}
    for index, raw in enumerate(raws):
        if not isinstance(raw, dict):
            continue
        key = raw.get("featureHash") or f"#{index}"
        seen = merged.get(key)
        if seen is None:
            merged[key] = raw
        elif isinstance(seen.get("answers"), list) and isinstance(raw.get("answers"), list):
            merged[key] = {**seen, "answers": [*seen["answers"], *raw["answers"]]}
    return merged


def build_answers(
    raws: list,
    attributes: list | None,
    onto: Ontology,
    *,
    frames: tuple[int, int] | None = None,
) -> list[Answer]:
    """Answers as a tree following the ontology `attributes` (flat when not known)."""
    if not attributes and len(raws) == 1 and isinstance(raws[0], dict):
        return [answer(raws[0], onto, frames=frames)]  # the common case, without the merge
    pending = _merge(raws)
    out: list[Answer] = []
    if attributes:
        out = _tree(attributes, pending, onto, frames)
    out.extend(answer(raw, onto, frames=frames) for raw in pending.values())
    return out


def _tree(
    attributes: list, pending: dict[str, dict], onto: Ontology, frames: tuple[int, int] | None
) -> list[Answer]:
    out = []
    for attribute in attributes:
        if not isinstance(attribute, dict):
            continue
        raw = pending.pop(attribute.get("featureNodeHash") or "", None)
        if raw is None:
            continue
        built = answer(raw, onto, frames=frames)
        chosen = {a.get("featureHash") for a in raw.get("answers") or [] if isinstance(a, dict)}
        for option in attribute.get("options") or []:
            if isinstance(option, dict) and option.get("featureNodeHash") in chosen:
                built.children.extend(_tree(option.get("options") or [], pending, onto, frames))
        out.append(built)
    return out


def runs(frames: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous inclusive runs of a set of frame numbers."""
    found: list[tuple[int, int]] = []
    for frame in sorted(set(frames)):
        if found and frame == found[-1][1] + 1:
            found[-1] = (found[-1][0], frame)
        else:
            found.append((frame, frame))
    return found


def _range(pair: Any) -> tuple[int, int]:
    start, end = sequence(pair, "range")
    return integer(start, "range start"), integer(end, "range end")


class RowState:
    """Per-row lookups: answers and actions by objectHash, classification markers, reviews."""

    def __init__(
        self,
        answers: dict[str, dict],
        actions: dict[str, dict],
        shared: dict[tuple[str | None, bytes], list[Answer]],
    ) -> None:
        self.answers = answers
        self.shared = shared
        self.actions = actions
        self.static: dict[str, list[Answer]] = {}
        self.dynamic: dict[str, list[tuple[int, int, dict]]] = {}
        self.markers: dict[str, tuple[dict, set[int]]] = {}
        self.creators: list[str] = []  # counted once per row
        self.unknown: Counter[str] = Counter()
        # Review records, once each: a track repeats its object's reviews on every frame.
        self.reviews: list[StageEvent] = []
        self.reviews_seen: set[tuple] = set()

    def _shared(self, raws: list, feature: str | None, onto: Ontology) -> list[Answer]:
        """Static answers, the same Answer objects for every object answered identically.

        Sharing is safe: nothing mutates an object's Answers after reading (lists are per object).
        """
        try:
            key = (feature, orjson.dumps(raws))
        except (TypeError, orjson.JSONEncodeError):
            return build_answers(raws, onto.tree_of(feature), onto)
        answers = self.shared.get(key)
        if answers is None:
            answers = build_answers(raws, onto.tree_of(feature), onto)
            if len(self.shared) < 50_000:  # free-text answers may all differ
                self.shared[key] = answers
        return answers

    def attributes(
        self, object_hash: str | None, feature: str | None, frame: int | None, onto: Ontology
    ) -> list[Answer]:
        """The static answers of an object, plus the dynamic ones whose range holds `frame`."""
        if object_hash is None:
            return []
        if frame is None:  # a single image: each object shows once
            entry = self.answers.get(object_hash)
            raws = entry.get("classifications") if entry else None
            return [*self._shared(raws, feature, onto)] if raws else []
        static = self.static.get(object_hash)
        if static is None:
            entry = self.answers.get(object_hash)
            raws = entry.get("classifications") if entry else None
            static = self.static[object_hash] = self._shared(raws, feature, onto) if raws else []
            action_entry = self.actions.get(object_hash) if self.actions else None
            if action_entry:
                ranges = []
                for action in action_entry.get("actions") or []:
                    if isinstance(action, dict):
                        for pair in action.get("range") or []:
                            ranges.append((*_range(pair), action))
                self.dynamic[object_hash] = ranges
        ranges = self.dynamic.get(object_hash) if self.dynamic else None
        if not ranges:
            return list(static)
        out = list(static)
        holding = [(s, e, a) for s, e, a in ranges if s <= frame <= e]
        if holding:
            tree = onto.tree_of(feature)
            by_range: dict[tuple[int, int], list[dict]] = {}
            for start, end, action in holding:
                by_range.setdefault((start, end), []).append(action)
            for frames, actions in by_range.items():
                out.extend(build_answers(actions, tree, onto, frames=frames))
        return out


# --- classifications ------------------------------------------------------------------------------


def classifications(
    index: int, row: dict, state: RowState, item: Item, onto: Ontology, ctx: ReadContext
) -> list[Answer]:
    """The row's classifications: one Answer tree per contiguous run of frames it is marked on
    (None for a single image, a global classification, or an audio / text row, whose `range` is
    milliseconds or characters and is kept in `extra["range"]`).
    """
    out: list[Answer] = []
    by_hash = {}
    for key, entry in (row.get("classification_answers") or {}).items():
        if isinstance(entry, dict):
            by_hash[entry.get("classificationHash") or key] = entry
    hashes = list(dict.fromkeys([*state.markers, *by_hash]))
    framed = item.kind not in ("image", "other")
    for class_hash in checked(hashes, ctx):
        marker, frames = state.markers.get(class_hash, ({}, set()))
        entry = by_hash.get(class_hash, {})
        try:
            ranges: list[tuple[int, int] | None] = [None]
            if framed and frames:
                ranges = list(runs(frames))
            elif framed and entry.get("range"):
                ranges = [_range(pair) for pair in sequence(entry["range"], "range")]
            for frames_range in ranges:
                out.extend(
                    _classification(marker, entry, frames_range, onto, keep_range=not framed)
                )
        except BAD_VALUE as error:
            ctx.warn(
                at(index, "classification_answers", class_hash),
                f"classification skipped: {describe(error)}",
                item=item.name,
            )
    return out


def _classification(
    marker: dict,
    entry: dict,
    frames: tuple[int, int] | None,
    onto: Ontology,
    *,
    keep_range: bool,
) -> list[Answer]:
    feature = entry.get("featureHash") or marker.get("featureHash")
    raws = entry.get("classifications") or []
    onto_class = onto.classifications.get(feature or "")
    if onto_class is not None:
        built = build_answers(raws, onto_class.get("attributes"), onto, frames=frames)
    else:
        flat = build_answers(raws, None, onto, frames=frames)
        # A classification has one top-level question, named like the frame marker; without
        # the ontology the depth of the others is unknown, so they hang directly under it.
        top_name = marker.get("name")
        top = next((a for a in flat if a.name == top_name), flat[0] if flat else None)
        if top is None:
            top = Answer(name=str(top_name or feature or "classification"), frames=frames)
        top.children.extend(a for a in flat if a is not top)
        built = [top]
    meta = {**entry, **marker}
    for built_answer in built:
        if meta.get("confidence") is not None:
            built_answer.confidence = number(meta["confidence"], "confidence")
        built_answer.source = source(meta) or built_answer.source
        built_answer.answered_by = meta.get("createdBy")
        extra = dict(built_answer.extra or {})
        extra["classificationHash"] = marker.get("classificationHash") or entry.get(
            "classificationHash"
        )
        if keep_range:
            for key in ("range", "range_html"):
                if entry.get(key):
                    extra[key] = entry[key]
        built_answer.extra = extra
    return built
