"""O(n log p): the same ratio recurrence, but each division by a pow() modular inverse."""


def catalan_numbers(n, p):
    out = [1]
    for m in range(n):
        out.append(out[-1] * (4 * m + 2) * pow(m + 2, p - 2, p) % p)
    return out
