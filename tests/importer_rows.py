"""Sound rows of the published formats effbench imports, written by us, for tests that vary one
field at a time (a row of each format that imports as one problem, ``f(x) = x``)."""

from __future__ import annotations

PROMPT = 'def f(x):\n    """Return x.\n    >>> f(1)\n    1\n    """\n'


def sound_rows(prompt: str = PROMPT) -> dict[str, dict]:
    """{format name: one sound row of it} with ``prompt`` as the row's prompt; new dicts each call."""
    return {
        "enamel": {
            "task_id": "T/0",
            "prompt": prompt,
            "entry_point": "f",
            "input_generator": "def generate_input(size, lid, cid):\n    return (size,)\n",
            "input_levels": "1 2 3 4",
            "reference_solution": "def f(x):\n    return x\n",
            "checker": "def __check(__input, __answer, __output):\n    return __answer == __output\n",
        },
        "evalperf": {
            "task_id": "T/0",
            "prompt": prompt,
            "entry_point": "f",
            "reference": ["def f(x):\n    return x\n"],
            "pe_input": "[[1]]",
        },
    }
