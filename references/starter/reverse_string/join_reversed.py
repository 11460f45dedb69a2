"""O(n): join over reversed() (a constant factor: one string object per character)."""


def reverse_string(s):
    return "".join(reversed(s))
