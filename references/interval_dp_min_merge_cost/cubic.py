"""O(n^3): interval DP trying every split point of every interval."""


def min_merge_cost(piles):
    n = len(piles)
    if n <= 1:
        return 0
    prefix = [0]
    for x in piles:
        prefix.append(prefix[-1] + x)
    cost = [[0] * n for _ in range(n)]
    for length in range(2, n + 1):
        for i in range(n - length + 1):
            j = i + length - 1
            best = min(cost[i][m] + cost[m + 1][j] for m in range(i, j))
            cost[i][j] = best + prefix[j + 1] - prefix[i]
    return cost[0][n - 1]
