"""O(n log S): binary search on the capacity over [max w, sum w], with a linear greedy check."""


def min_capacity_to_ship(weights, days):
    lo, hi = max(weights), sum(weights)
    while lo < hi:
        mid = (lo + hi) // 2
        used = 1
        load = 0
        for x in weights:
            if load + x > mid:
                used += 1
                load = 0
            load += x
        if used <= days:
            hi = mid
        else:
            lo = mid + 1
    return lo
