"""O(n): one pass with a stack of indices of unmatched brackets (a sentinel -1 marks the
position before the current balanced stretch)."""


def longest_valid(s):
    stack = [-1]
    push = stack.append
    pop = stack.pop
    best = 0
    for i, c in enumerate(s):
        if c == "(":
            push(i)
        else:
            pop()
            if stack:
                length = i - stack[-1]
                if length > best:
                    best = length
            else:
                push(i)
    return best
