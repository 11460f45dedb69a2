"""O(n * capacity): one-row DP updated a whole slice at a time, bounded by the weight seen so far."""


def knapsack_max_value(weights, values, capacity):
    dp = [0] * (capacity + 1)
    reach = 0  # every set of the items seen so far weighs at most this
    for w, v in zip(weights, values):
        if w > capacity:
            continue
        new_reach = min(capacity, reach + w)
        # above the old reach every item seen so far fits: extend that best value
        dp[reach + 1:new_reach + 1] = [dp[reach]] * (new_reach - reach)
        reach = new_reach
        # best[c] = max(best[c], best[c - w] + v) for w <= c <= reach, using the old row
        dp[w:reach + 1] = [
            old if old >= (cand := prev + v) else cand
            for old, prev in zip(dp[w:reach + 1], dp)
        ]
    return dp[reach]
