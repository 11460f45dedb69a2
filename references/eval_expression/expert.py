"""O(n): tokenize with one regular expression, then a single left-to-right pass keeping, per
open parenthesis, the sum so far, the pending product and its sign on an explicit stack."""

import re

MOD = 1_000_000_007
_TOKEN = re.compile(r"\d+|[-+*()]")


def evaluate(expr):
    stack = []
    push = stack.append
    pop = stack.pop
    acc = 0      # sum of finished terms at this level
    prod = 1     # product of the current term so far
    sign = 1     # sign of the current term
    for tok in _TOKEN.findall(expr):
        c = tok[0]
        if c == "*":
            continue  # the next operand multiplies into prod
        if c == "+" or c == "-":
            acc = (acc + sign * prod) % MOD
            prod = 1
            sign = 1 if c == "+" else -1
        elif c == "(":
            push((acc, prod, sign))
            acc, prod, sign = 0, 1, 1
        elif c == ")":
            value = acc + sign * prod
            acc, prod, sign = pop()
            prod = prod * value % MOD
        else:
            prod = prod * int(tok) % MOD
    return (acc + sign * prod) % MOD
