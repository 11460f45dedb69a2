"""O(min(n, k log n)): the survivor recurrence J(m + 1) = (J(m) + k) mod (m + 1), advanced
many sizes at once while no wrap-around happens (about k log n batches for small k)."""


def last_survivor(n, k):
    if k == 1:
        return n
    x, m = 0, 1  # x: 0-based survivor among m people
    km1 = k - 1
    while m < n:
        t = (m - 1 - x) // km1  # steps with x + k < size each time: no reduction needed
        if t > 0:
            if t > n - m:
                t = n - m
            x += t * k
            m += t
        else:
            m += 1
            x = (x + k) % m
    return x + 1
