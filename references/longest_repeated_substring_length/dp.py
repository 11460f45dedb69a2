"""O(n^2): longest common extension of every pair (i, j), i < j, by dynamic programming
along diagonals, one row at a time."""


def longest_repeat(s):
    n = len(s)
    best = 0
    prev = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        cur = [0] * (n + 1)
        c = s[i]
        for j in range(n - 1, i, -1):
            if s[j] == c:
                v = prev[j + 1] + 1
                cur[j] = v
                if v > best:
                    best = v
        prev = cur
    return best
