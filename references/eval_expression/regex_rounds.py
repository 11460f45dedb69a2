"""O(n * d) for nesting depth d: in each round, a regular expression finds every innermost
parenthesised group, evaluates it, and the string is rebuilt, until no parentheses remain."""

import re

MOD = 1_000_000_007
_INNER = re.compile(r"\(([^()]*)\)")


def _flat(e):
    # e has no parentheses: numbers joined by + - *
    total = 0
    for i, part in enumerate(re.split(r"([+-])", e)):
        if i % 2:
            sign = 1 if part == "+" else -1
            continue
        prod = 1
        for f in part.split("*"):
            prod = prod * int(f) % MOD
        total = (total + (prod if i == 0 or sign > 0 else -prod)) % MOD
    return total


def evaluate(expr):
    s = expr
    while "(" in s:
        s = _INNER.sub(lambda m: str(_flat(m.group(1))), s)
    return _flat(s)
