"""What the model is asked: prompts, stop sequences and refinement feedback.

A system prompt and a template per problem set, the stop sequences of completion mode, the
few-shot preamble of completion mode (:func:`completion_prompt`), and the refinement feedback
(its previous code, its verdict, its measured cost against the budget; never the reference,
never an expected answer).

A refinement prompt does not grow with the rounds: it holds the task, the latest attempt's code
(not its prose) and the feedback on it, with one line per earlier round (its verdict and
efficiency). That is a truncation of the conversation with a summary of what was dropped; where
the context length is known and the latest code would not fit, the code is left out too, and a
prompt that still does not fit ends its chain (the server's refusal is recorded with the reason).
"""

from __future__ import annotations

from effbench.engine import SampleRecord
from effbench.problems import Problem
from effbench.verdicts import ErrorKind, Verdict

SYSTEM_PROMPT = (
    "You are an expert Python programmer. You write correct code that is as efficient as possible: "
    "it is judged by the CPU instructions it costs on large inputs."
)
TEMPLATE = (
    "Complete this Python function. Use only the standard library. Aim for the best time complexity "
    "and small constant factors. Reply with the complete function (and any helpers or imports) in a "
    "single ```python code block.\n\n```python\n{prompt}```\n"
)


#: Completion mode: a base model continues the prompt past the function; these end it where a new
#: top-level definition, a main block or a fence starts (at most 4: the OpenAI API's limit).
#: A problem set overrides them with ``stop = [...]`` in its problemset.toml, a run with ``--stop``.
COMPLETION_STOP = ("\ndef ", "\nclass ", "\nif __name__", "\n```")


def completion_prompt(problem: Problem, prefix: str | None) -> str:
    """The first round's prompt in completion mode: the few-shot preamble, then the problem's prompt.

    A base model is shown solved examples before the function it is to complete, the way
    lm-evaluation-harness prompts base models with ``num_fewshot`` examples (Gao et al., "A framework
    for few-shot language model evaluation", 2021-2024; Brown et al. 2020, arXiv:2005.14165). The
    preamble's trailing whitespace is replaced by two blank lines (PEP 8's separation of top-level
    functions), so the problem's ``def`` starts a new top-level definition.

    Args:
        problem: the problem whose ``prompt`` (signature and docstring) the model continues.
        prefix: the preamble (``--prompt-prefix`` or the set's ``completion_prefix``); None or blank: none.

    Returns:
        The prompt text sent as the completion request's ``prompt``.
    """
    return _with_prefix(prefix, problem.prompt)


def _with_prefix(prefix: str | None, text: str) -> str:
    if not prefix or not prefix.strip():
        return text
    return prefix.rstrip() + "\n\n\n" + text


def chat_messages(problem: Problem, system_prompt: str | None, template: str | None) -> list[dict[str, str]]:
    """The first round's conversation: a system message and the problem's prompt in the template.

    Args:
        problem: the problem whose ``prompt`` and ``entry_point`` fill the template.
        system_prompt: the system message (None: :data:`SYSTEM_PROMPT`).
        template: a ``str.format`` template with ``{prompt}`` and ``{entry_point}`` (None: :data:`TEMPLATE`).

    Returns:
        OpenAI chat messages, ``[{"role": ..., "content": ...}, ...]``.
    """
    user = (template or TEMPLATE).format(prompt=problem.prompt, entry_point=problem.entry_point)
    return [{"role": "system", "content": system_prompt or SYSTEM_PROMPT}, {"role": "user", "content": user}]


def feedback(record: SampleRecord, problem: Problem, alpha: float) -> str:
    """What the model is told about its previous attempt."""
    if record.error_type == ErrorKind.NO_CODE:
        return (
            "I could not find a complete Python function named "
            f"`{problem.entry_point}` in your answer. Reply with the whole function in one ```python code block."
        )
    budget = alpha * max(record.reference_level_costs)
    sizes = [lv.size for lv in problem.levels]
    if record.failed:
        where = f" on a test of size {sizes[_level_of(record.failed_test)]}" if record.failed_test else ""
        what = {
            Verdict.WRONG: "returned a wrong answer",
            Verdict.ERROR: f"raised {record.error_type}",
            Verdict.KILLED: "was killed",
        }
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


def refine_chat_messages(
    problem: Problem,
    system_prompt: str | None,
    template: str | None,
    previous: str | None,
    note: str,
    earlier: list[str],
) -> list[dict[str, str]]:
    """The conversation for the next refinement round.

    The task, the latest attempt (its code in a fence, or None to leave it out) and the feedback
    ``note``, preceded by one line per earlier round.
    """
    messages = chat_messages(problem, system_prompt, template)
    if previous is not None:
        messages.append({"role": "assistant", "content": f"```python\n{previous.rstrip()}\n```"})
    else:
        note = "(Your previous answer is left out: it does not fit in the context.)\n" + note
    if earlier:
        note = "Earlier attempts: " + "; ".join(earlier) + ".\n" + note
    messages.append({"role": "user", "content": note})
    return messages


def refine_completion_prompt(
    problem: Problem, previous: str | None, note: str, earlier: list[str], prefix: str | None = None
) -> str:
    """The next refinement round's prompt in completion mode.

    The few-shot preamble (as in :func:`completion_prompt`), then the feedback and the latest code
    as comments, above a fresh copy of the prompt (which the model continues).
    """
    lines = []
    if earlier:
        lines.append("# Earlier attempts: " + "; ".join(earlier) + ".")
    if previous is not None:
        lines.append("# Previous attempt:")
        lines += ["# " + line for line in previous.rstrip().splitlines()]
    lines += ["# " + line for line in note.splitlines()]
    return _with_prefix(prefix, "\n".join(lines) + "\n" + problem.prompt)


def _level_of(test_id: str | None) -> int:
    try:
        return int((test_id or "L0").split(".")[0][1:])
    except ValueError:
        return 0
