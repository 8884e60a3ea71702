"""Session selection expressions for `practicum eval` and `practicum compare`."""

from __future__ import annotations

import pytest

from practicum.errors import InputError
from practicum.evaluation.selection import parse_ids, parse_selection


def test_ids_and_ranges():
    assert parse_ids("1,2,5-7, 3") == [1, 2, 3, 5, 6, 7]
    for bad in ("", "x", "5-2", "1,,a"):
        with pytest.raises(InputError):
            parse_ids(bad)


def test_terms_combine():
    s = parse_selection("run:3,4 & teacher:openai:gpt-4o-mini,base_url=http://x & 1-9")
    assert s.run_ids == [3, 4]
    assert s.teacher_specs == ["openai:gpt-4o-mini,base_url=http://x"]
    assert s.ids == list(range(1, 10))
    assert parse_selection("source:mathdial").sources == ["mathdial"]
    assert parse_selection("scenario:mathdial-").scenario_prefix == "mathdial-"


@pytest.mark.parametrize("bad", ["", "run:x", "colour:red", "run:1 & run:2", "source:", "1 &"])
def test_malformed_selections_name_the_problem(bad):
    with pytest.raises(InputError):
        parse_selection(bad)
