"""O(m + n): walk both lists in merge order up to the middle."""


def median_two_sorted(a, b):
    total = len(a) + len(b)
    i = j = 0
    prev = cur = 0
    for _ in range(total // 2 + 1):
        prev = cur
        if j >= len(b) or (i < len(a) and a[i] <= b[j]):
            cur = a[i]
            i += 1
        else:
            cur = b[j]
            j += 1
    if total % 2:
        return float(cur)
    return (prev + cur) / 2
