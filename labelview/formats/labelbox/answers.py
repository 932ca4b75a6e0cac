"""Labelbox classifications (radio, checklist, free text; nested to any depth) as answers."""

from __future__ import annotations

from typing import Any

from labelview.formats._reading import Skip, mapping, sequence
from labelview.model import Answer

_MAX_DEPTH = 64
_IDS = ("feature_id", "feature_schema_id", "value", "message_id")


def _title(entry: dict) -> str:
    for key in ("name", "value", "title"):
        if isinstance(entry.get(key), str) and entry[key]:
            return entry[key]
    raise Skip("classification has no name")


def _ids(entry: dict) -> dict[str, Any] | None:
    extra = {key: entry[key] for key in _IDS if key in entry}
    return extra or None


def answers(entries: Any, depth: int = 0) -> list[Answer]:
    """Answers for a `classifications` list; Skip for one that is not readable."""
    if depth > _MAX_DEPTH:
        raise Skip(f"classifications nested deeper than {_MAX_DEPTH}")
    return [answer(mapping(entry, "classification"), depth) for entry in sequence(entries or [])]


def answer(entry: dict, depth: int = 0) -> Answer:
    """One classification: a radio's chosen option (its nested answers as children), a checklist's
    options as a list (every option's nested answers as children), a text's content.
    """
    name = _title(entry)
    for key in ("radio_answer", "conversational_radio_answer"):
        if key in entry:
            chosen = mapping(entry[key], key)
            return Answer(
                name,
                _title(chosen),
                children=answers(chosen.get("classifications"), depth + 1),
                extra=_extra(entry, chosen),
            )
    for key in ("checklist_answers", "conversational_checklist_answers"):
        if key in entry:
            options = [mapping(option, "option") for option in sequence(entry[key], key)]
            children = [
                child
                for option in options
                for child in answers(option.get("classifications"), depth + 1)
            ]
            return Answer(
                name,
                [_title(option) for option in options],
                children=children,
                extra=_ids(entry),
            )
    for key in ("text_answer", "conversational_text_answer"):
        if key in entry:
            content = mapping(entry[key], key).get("content")
            return Answer(name, content, extra=_ids(entry))
    raise Skip(f"classification {name!r} has no radio, checklist or text answer")


def _extra(entry: dict, chosen: dict) -> dict[str, Any] | None:
    extra = _ids(entry) or {}
    option = _ids(chosen)
    if option:
        extra["answer"] = option
    return extra or None
