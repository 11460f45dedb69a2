"""No importer shows a traceback on any input: malformed rows are skipped with one line each."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from effbench.errors import EffbenchError
from effbench.importers import _parse_rows, load_dataset_problems
from effbench.importers.enamel import COLUMNS as ENAMEL_COLUMNS
from effbench.importers.evalperf import COLUMNS as EVALPERF_COLUMNS

from .importer_rows import sound_rows

SOUND = sound_rows()
COLUMNS = {"enamel": ENAMEL_COLUMNS, "evalperf": EVALPERF_COLUMNS}
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["", "def", "def f(:", "1 2 3 4", "[[1]]", "[", "def generate_input(size, lid, cid): pass"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def rows(draw, fmt):
    """A sound row with some columns replaced, dropped or added."""
    row = dict(SOUND[fmt])
    for column in draw(st.lists(st.sampled_from(COLUMNS[fmt]), max_size=4, unique=True)):
        if draw(st.booleans()):
            row[column] = draw(values)
        else:
            row.pop(column)
    if draw(st.booleans()):
        row[draw(st.text(max_size=8))] = draw(values)
    return row


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["enamel", "evalperf"]).flatmap(
        lambda fmt: st.tuples(st.just(fmt), st.lists(rows(fmt) | values, max_size=4))
    )
)
def test_malformed_rows_never_raise_out_of_the_parser(case):
    """Every row is either a problem or one skipped line: the parser itself never raises."""
    fmt, batch = case
    problems, skipped, anonymous = _parse_rows(fmt, batch, "fuzz.jsonl")
    assert len(problems) + len(skipped) + len(anonymous) == len(batch)
    assert all("\n" not in why for why in list(skipped.values()) + anonymous)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(["enamel", "evalperf"]),
    st.sampled_from([".jsonl", ".json", ".csv"]),
    st.lists(st.one_of(st.text(max_size=40), values.map(json.dumps)), max_size=5),
)
def test_malformed_files_give_one_clear_error_or_a_set(tmp_path, fmt, suffix, lines):
    """Arbitrary CSV / JSON / JSON-lines files: a problem set, or an EffbenchError (one line,
    exit 2); nothing else."""
    path = tmp_path / f"fuzz{suffix}"
    path.write_text("\n".join(lines) + "\n")
    try:
        ps = load_dataset_problems(f"{fmt}:{path}", generate=False, warn=lambda m: None)
    except EffbenchError as exc:
        assert "\n" not in str(exc)
    else:
        assert ps.problems
