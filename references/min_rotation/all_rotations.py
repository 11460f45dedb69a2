"""O(n^2): build every rotation as a slice of the doubled string and take the minimum."""


def min_rotation(s):
    n = len(s)
    ss = s + s
    best = 0
    best_rot = s
    for k in range(1, n):
        rot = ss[k:k + n]
        if rot < best_rot:
            best, best_rot = k, rot
    return best
