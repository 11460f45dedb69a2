"""O(k * amount): exact counts; per coin, new[a] = old[a] + new[a - c] done as C-level slice operations."""

from itertools import accumulate
from operator import add

MOD = 1_000_000_007


def coin_change_ways(coins, amount):
    # Exact counts stay below C(amount + k, k) (a few hundred digits at most), so
    # big-int additions in C are cheaper than a Python-level modulo per cell.
    ways = [0] * (amount + 1)
    ways[0] = 1
    size = amount + 1
    for c in coins:
        if c > amount:
            continue
        if c * c <= size:
            # few residue classes: each becomes its own prefix sums
            for r in range(c):
                ways[r::c] = accumulate(ways[r::c])
        else:
            # few blocks of length c: each block adds the finished block before it
            for a in range(c, size, c):
                ways[a:a + c] = map(add, ways[a:a + c], ways[a - c:a])
    return ways[amount] % MOD
