"""O((i + j) log(i + j)) per query (a linear merge of two runs inside sort): concatenate and sort."""


def median_two_sorted(a, b, queries):
    out = []
    for i, j in queries:
        merged = sorted(a[:i] + b[:j])
        n = len(merged)
        out.append(float(merged[n // 2]) if n % 2 else (merged[n // 2 - 1] + merged[n // 2]) / 2)
    return out
