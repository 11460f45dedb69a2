"""Sample files: errors name the file and line; both solution and completion styles work."""

import json

import pytest

from effbench.errors import SampleFileError
from effbench.samples import load_samples_file, reference_samples


def write(tmp_path, lines):
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_solution_and_completion_styles(tmp_path, mini_set):
    path = write(
        tmp_path,
        [
            json.dumps({"task_id": "triangle", "solution": "def triangle(n):\n    return 0\n", "model": "m"}),
            json.dumps({"task_id": "triangle", "completion": "    return 1\n", "model": "m"}),
        ],
    )
    a, b = load_samples_file(path, mini_set)
    assert (a.index, b.index) == (0, 1)
    assert b.code.startswith("def triangle(n: int) -> int:") and b.code.endswith("    return 1\n")


@pytest.mark.parametrize(
    "line,message",
    [
        ("{not json", r"s.jsonl:2: invalid JSON"),
        (json.dumps({"task_id": "nope", "solution": "x"}), r"s.jsonl:2: unknown task_id 'nope'"),
        (json.dumps({"solution": "x"}), r"s.jsonl:2: missing field 'task_id'"),
        (json.dumps({"task_id": "triangle"}), r"s.jsonl:2: needs exactly one of 'solution' or 'completion'"),
        ("[1, 2]", r"s.jsonl:2: each line must be a JSON object"),
    ],
)
def test_bad_lines_are_named(tmp_path, mini_set, line, message):
    good = json.dumps({"task_id": "triangle", "solution": "def triangle(n):\n    return 0\n"})
    with pytest.raises(SampleFileError, match=message):
        load_samples_file(write(tmp_path, [good, line]), mini_set)


def test_reference_tiers_as_models(mini_set):
    samples = reference_samples(mini_set, ["triangle"], ["expert", "slower"])
    assert [(s.model, s.meta.get("tier")) for s in samples] == [("expert", None), ("slower", "loop")]
