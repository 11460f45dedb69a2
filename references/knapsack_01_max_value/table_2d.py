"""O(n * capacity) time and memory: the full items x capacity table."""


def knapsack_max_value(weights, values, capacity):
    n = len(weights)
    table = [[0] * (capacity + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        w, v = weights[i - 1], values[i - 1]
        above = table[i - 1]
        row = table[i]
        for c in range(capacity + 1):
            best = above[c]
            if c >= w and above[c - w] + v > best:
                best = above[c - w] + v
            row[c] = best
    return table[n][capacity]
