"""O(n + m): textbook Knuth-Morris-Pratt, one Python step per text character."""


def count_occurrences(text, pattern):
    n, m = len(text), len(pattern)
    if m > n:
        return 0
    pi = [0] * m
    k = 0
    for j in range(1, m):
        while k and pattern[k] != pattern[j]:
            k = pi[k - 1]
        if pattern[k] == pattern[j]:
            k += 1
        pi[j] = k
    count = 0
    k = 0
    for c in text:
        while k and pattern[k] != c:
            k = pi[k - 1]
        if pattern[k] == c:
            k += 1
        if k == m:
            count += 1
            k = pi[k - 1]
    return count
