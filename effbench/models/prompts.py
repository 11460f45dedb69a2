"""What the model is asked: a system prompt and a template per problem set, and the refinement
feedback (its previous code, its verdict, its measured cost against the budget; never the
reference, never an expected answer)."""

from __future__ import annotations

from effbench.engine import SampleRecord
from effbench.problems import Problem

SYSTEM_PROMPT = (
    "You are an expert Python programmer. You write correct code that is as efficient as possible: "
    "it is judged by the CPU instructions it costs on large inputs."
)
TEMPLATE = (
    "Complete this Python function. Use only the standard library. Aim for the best time complexity "
    "and small constant factors. Reply with the complete function (and any helpers or imports) in a "
    "single ```python code block.\n\n```python\n{prompt}```\n"
)


def chat_messages(problem: Problem, system_prompt: str | None, template: str | None) -> list[dict[str, str]]:
    user = (template or TEMPLATE).format(prompt=problem.prompt, entry_point=problem.entry_point)
    return [{"role": "system", "content": system_prompt or SYSTEM_PROMPT}, {"role": "user", "content": user}]


def feedback(record: SampleRecord, problem: Problem, alpha: float) -> str:
    """What the model is told about its previous attempt."""
    if record.error_type == "NoCode":
        return (
            "I could not find a complete Python function named "
            f"`{problem.entry_point}` in your answer. Reply with the whole function in one ```python code block."
        )
    budget = alpha * max(record.reference_level_costs)
    sizes = [lv.size for lv in problem.levels]
    if record.failed:
        where = f" on a test of size {sizes[_level_of(record.failed_test)]}" if record.failed_test else ""
        what = {"wrong": "returned a wrong answer", "error": f"raised {record.error_type}", "killed": "was killed"}
        detail = what.get(record.verdict, record.verdict)
        return (
            f"Your previous code {detail}{where}. Fix it: return a correct and efficient version "
            "of the complete function in one ```python code block."
        )
    lines = ["Your previous code was correct on the tests it completed. Its measured cost per call:"]
    for i, cost in enumerate(record.level_costs):
        if problem.levels[i].weight == 0:
            continue
        if cost is None:
            lines.append(f"- input size {sizes[i]}: stopped at the budget of {budget:.3g} instructions")
        else:
            lines.append(f"- input size {sizes[i]}: {cost:.3g} instructions ({100 * cost / budget:.0f}% of the budget)")
    lines.append(
        "Write a faster version that stays correct (better complexity or smaller constant factors). "
        "Reply with the complete function in one ```python code block."
    )
    return "\n".join(lines)


def _level_of(test_id: str | None) -> int:
    try:
        return int((test_id or "L0").split(".")[0][1:])
    except ValueError:
        return 0
