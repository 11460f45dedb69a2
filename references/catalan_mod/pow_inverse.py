"""O(n log MOD): the same ratio recurrence, but each division by a pow() modular inverse."""

MOD = 1_000_000_007


def catalan_numbers(n):
    out = [1]
    for m in range(n):
        out.append(out[-1] * (4 * m + 2) * pow(m + 2, MOD - 2, MOD) % MOD)
    return out
