"""O((m + n) log(m + n)) in general (a linear merge of two runs inside sort): concatenate and sort."""


def median_two_sorted(a, b):
    merged = sorted(a + b)
    n = len(merged)
    if n % 2:
        return float(merged[n // 2])
    return (merged[n // 2 - 1] + merged[n // 2]) / 2
