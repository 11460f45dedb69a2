"""O(n): the survivor recurrence J(m + 1) = (J(m) + k) mod (m + 1), one size at a time."""


def last_survivor(n, k):
    x = 0
    for m in range(2, n + 1):
        x = (x + k) % m
    return x + 1
