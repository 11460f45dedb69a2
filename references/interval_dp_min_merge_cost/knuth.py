"""O(n^2): interval DP with Knuth's optimisation of the split point."""


def min_merge_cost(piles):
    n = len(piles)
    if n <= 1:
        return 0
    prefix = [0]
    for x in piles:
        prefix.append(prefix[-1] + x)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for i in range(n):
        split[i][i] = i
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            best = None
            best_m = i
            lo = split[i][j - 1]
            hi = min(split[i + 1][j], j - 1)
            row_i = cost[i]
            for m in range(lo, hi + 1):
                c = row_i[m] + cost[m + 1][j]
                if best is None or c < best:
                    best = c
                    best_m = m
            cost[i][j] = best + prefix[j + 1] - prefix[i]
            split[i][j] = best_m
    return cost[0][n - 1]
