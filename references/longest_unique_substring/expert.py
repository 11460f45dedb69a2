"""O(n): sliding window; a dict remembers each character's last index, so the left edge jumps."""


def longest_unique_substring(s):
    last = {}
    get = last.get
    start = 0
    best = 0
    for i, c in enumerate(s):
        j = get(c, -1)
        if j >= start:
            if i - start > best:
                best = i - start
            start = j + 1
        last[c] = i
    n = len(s)
    return n - start if n - start > best else best
