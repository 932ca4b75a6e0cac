"""Classifications (nested answers, per-frame answers merged into ranges) and relations."""

from __future__ import annotations

import re
from typing import Any

from labelview.formats.ango.ontology import _MAX_DEPTH
from labelview.formats.ango.sources import Place
from labelview.formats.ango.values import nonempty_str
from labelview.model import Answer, Item, Relation

_HEX_ID = re.compile(r"^[0-9a-f]{23,24}$")


class AnswersMixin:
    def _answers(self, where: Place, entries: list, item: Item, depth: int) -> list[Answer]:
        answers = []
        if depth > _MAX_DEPTH:
            self.warn(
                "classifications nested too deep",
                where,
                f"classifications nested deeper than {_MAX_DEPTH}; cut",
                item=item.id,
            )
            return answers
        for index, entry in enumerate(entries):
            at = where.child(index)
            if not isinstance(entry, dict):
                self.warn(
                    "classification not an object",
                    at,
                    "classification is not an object; skipped",
                    item=item.id,
                )
                continue
            if entry.get("interpolationStopped"):
                continue
            title = entry.get("title")
            if not isinstance(title, str) or not title:
                schema = self.ontology.schemas.get(nonempty_str(entry.get("schemaId")) or "", {})
                title = schema.get("title") or nonempty_str(entry.get("schemaId")) or "unknown"
            page = entry.get("page")
            nested = entry.get("classifications")
            children = (
                self._answers(at.child("classifications"), nested, item, depth + 1)
                if isinstance(nested, list) and nested
                else []
            )
            metadata = entry.get("metadata") if isinstance(entry.get("metadata"), dict) else {}
            shared = self.shared
            extra = {
                k: shared(v) if k in ("schemaId", "tool") else v
                for k, v in entry.items()
                if k not in ("title", "answer", "classifications", "page")
            }
            value = self._resolve(entry.get("answer"))
            answers.append(
                Answer(
                    name=shared(title),
                    value=shared(value),
                    children=children,
                    frames=(page, page) if isinstance(page, int) else None,
                    answered_by=shared(nonempty_str(metadata.get("createdBy"))),
                    extra=extra or None,
                )
            )
        return answers

    def _resolve(self, value: Any) -> Any:
        """Option schemaIds (the internal API's answers) become their values via the ontology."""
        if not self.ontology.options:
            return value
        if isinstance(value, str) and _HEX_ID.match(value):
            return self.ontology.options.get(value, value)
        if isinstance(value, list):
            return [self._resolve(v) if isinstance(v, str) else v for v in value]
        return value

    def _relation(self, where: Place, entry: Any, item: Item, known: set[str]) -> Relation | None:
        if not isinstance(entry, dict):
            self.warn(
                "relation not an object", where, "relation is not an object; skipped", item=item.id
            )
            return None
        title = entry.get("title") if isinstance(entry.get("title"), str) else "relation"
        extra = {k: v for k, v in entry.items() if k not in ("title", "from", "to", "group")}
        if isinstance(entry.get("group"), list):
            members = tuple(str(m) for m in entry["group"] if m is not None)
            directed = False
        elif entry.get("from") is not None and entry.get("to") is not None:
            first, second = str(entry["from"]), str(entry["to"])
            direction = entry.get("direction", "straight")
            members = (second, first) if direction == "reverse" else (first, second)
            directed = direction != "bidirectional"
        else:
            self.warn(
                "relation without members",
                where,
                "relation has neither from/to nor group; skipped",
                item=item.id,
            )
            return None
        missing = [m for m in members if m not in known]
        if missing:
            self.warn(
                "relation to missing objects",
                where,
                f"relation {title!r} refers to objects not in the task: {', '.join(missing[:3])}",
                item=item.id,
            )
        return Relation(name=title, members=members, directed=directed, extra=extra or None)


def _merge_frames(answers: list[Answer]) -> list[Answer]:
    """Video answers come one per frame: equal answers on consecutive frames become one range."""
    merged: list[Answer] = []
    open_runs: dict[tuple, Answer] = {}
    for answer in sorted(answers, key=lambda a: a.frames[0] if a.frames else -1):
        if answer.frames is None or answer.children:
            merged.append(answer)
            continue
        extra = answer.extra or {}
        key = (answer.name, nonempty_str(extra.get("schemaId")), repr(answer.value))
        run = open_runs.get(key)
        if run is not None and run.frames is not None and run.frames[1] + 1 == answer.frames[0]:
            run.frames = (run.frames[0], answer.frames[1])
            continue
        open_runs[key] = answer
        merged.append(answer)
    return merged
