"""O(n * L): from every start, extend while characters stay distinct (L = answer length)."""


def longest_unique_substring(s):
    n = len(s)
    best = 0
    for i in range(n):
        seen = set()
        j = i
        while j < n and s[j] not in seen:
            seen.add(s[j])
            j += 1
        if j - i > best:
            best = j - i
    return best
