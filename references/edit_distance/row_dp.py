"""O(n * m): classic dynamic programming keeping only the previous row."""


def edit_distance(a, b):
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        left = i
        for j, cb in enumerate(b):
            if ca == cb:
                val = prev[j]
            else:
                val = prev[j]
                if prev[j + 1] < val:
                    val = prev[j + 1]
                if left < val:
                    val = left
                val += 1
            cur.append(val)
            left = val
        prev = cur
    return prev[-1]
