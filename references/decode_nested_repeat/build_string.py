"""O(n + D) for a decoded length D: decode with a stack of partial strings, then count runs
with itertools.groupby."""

from itertools import groupby


def count_runs(s):
    stack = []
    cur = []
    num = 0
    for ch in s:
        if ch.isdigit():
            num = num * 10 + ord(ch) - 48
        elif ch == "[":
            stack.append((cur, num))
            cur = []
            num = 0
        elif ch == "]":
            inner = "".join(cur)
            cur, k = stack.pop()
            cur.append(inner * k)
        else:
            cur.append(ch)
    decoded = "".join(cur)
    return sum(1 for _ in groupby(decoded))
