"""Which sessions a report or comparison covers, written as a short expression.

    12-40            sessions 12 to 40 (ids and ranges, comma-separated: 1,2,5-9)
    run:3            every session of generation run 3 (run:3,4 for two runs)
    source:mathdial  sessions from a source (simulated, mathdial, practice, ...)
    teacher:SPEC     sessions whose teacher backend spec is SPEC (rest of the term, commas included)
    scenario:PREFIX  sessions whose scenario id starts with PREFIX
    run:3 & teacher:local    terms joined by '&' must all hold
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from practicum.errors import InputError

SELECTION_HELP = ("session ids/ranges (1,2,5-9), run:ID[,ID], source:NAME, teacher:SPEC, scenario:PREFIX; "
                  "join terms with '&'")


@dataclass
class Selection:
    """Filters that pick stored sessions; empty lists mean no filter on that field."""

    ids: list[int] | None = None
    run_ids: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    teacher_specs: list[str] = field(default_factory=list)
    scenario_prefix: str | None = None

    def resolve(self, store) -> list[int]:
        """The ids of the stored sessions that match, ascending."""
        from practicum.storage.metrics_queries import select_session_ids

        return select_session_ids(store, ids=self.ids, run_ids=self.run_ids, sources=self.sources,
                                  teacher_specs=self.teacher_specs, scenario_prefix=self.scenario_prefix)


def parse_ids(text: str) -> list[int]:
    """Parse "1,2,5-9" into [1, 2, 5, 6, 7, 8, 9]; InputError names the bad part."""
    ids: list[int] = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        match = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", part)
        if not match:
            raise InputError(f"session ids: '{part}' is not an id or a range like 5-9")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if last < first:
            raise InputError(f"session ids: range '{part}' runs backwards")
        if last - first > 1_000_000:
            raise InputError(f"session ids: range '{part}' is too large")
        ids.extend(range(first, last + 1))
    if not ids:
        raise InputError("session ids: none given")
    return sorted(set(ids))


def parse_selection(expression: str) -> Selection:
    """Parse a selection expression (see the module docstring); InputError on a malformed term."""
    selection = Selection()
    terms = [t.strip() for t in (expression or "").split("&")]
    if not any(terms):
        raise InputError(f"empty session selection; expected {SELECTION_HELP}")
    seen: set[str] = set()
    for term in terms:
        if not term:
            raise InputError(f"selection '{expression}': empty term around '&'")
        kind, sep, value = term.partition(":")
        kind = kind.strip().lower()
        if sep and kind in seen:
            raise InputError(f"selection '{expression}': '{kind}:' given twice (list alternatives as run:3,4)")
        seen.add(kind)
        if not sep:
            ids = parse_ids(term)
            selection.ids = ids if selection.ids is None else sorted(set(selection.ids) & set(ids))
        elif not value.strip():
            raise InputError(f"selection term '{term}': nothing after '{kind}:'")
        elif kind == "run":
            try:
                selection.run_ids += [int(v) for v in value.split(",") if v.strip()]
            except ValueError:
                raise InputError(f"selection term '{term}': run ids must be numbers") from None
        elif kind == "source":
            selection.sources.append(value.strip())
        elif kind == "teacher":
            selection.teacher_specs.append(value.strip())
        elif kind == "scenario":
            selection.scenario_prefix = value.strip()
        else:
            raise InputError(f"selection term '{term}': unknown kind '{kind}'; expected {SELECTION_HELP}")
    return selection
