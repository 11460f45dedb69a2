"""O(n^2) worst case: sort the suffixes, subtract the common prefix of each neighbouring pair
(found character by character) from the n(n+1)/2 substrings."""


def count_distinct(s):
    n = len(s)
    order = sorted(range(n), key=lambda i: s[i:])
    total = n * (n + 1) // 2
    for a, b in zip(order, order[1:]):
        k = 0
        while a + k < n and b + k < n and s[a + k] == s[b + k]:
            k += 1
        total -= k
    return total
