"""O(n^2): the defining convolution C(m+1) = sum C(i) * C(m-i), mod p."""


def catalan_numbers(n, p):
    c = [0] * (n + 1)
    c[0] = 1
    for m in range(1, n + 1):
        total = 0
        for i in range(m):
            total += c[i] * c[m - 1 - i]
        c[m] = total % p
    return c
