"""O(n^2): prepend every character to a growing string (repeated concatenation)."""


def reverse_string(s):
    out = ""
    for ch in s:
        out = ch + out
    return out
