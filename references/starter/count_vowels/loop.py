"""O(n): a Python loop with a membership test per character (a large constant factor)."""


def count_vowels(s):
    count = 0
    for ch in s:
        if ch in "aeiou":
            count += 1
    return count
