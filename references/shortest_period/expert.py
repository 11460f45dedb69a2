"""O(n): prefix function; the smallest period is n minus the longest proper border."""


def shortest_period(s):
    n = len(s)
    pi = [0] * n
    k = 0
    for i in range(1, n):
        c = s[i]
        while k and s[k] != c:
            k = pi[k - 1]
        if s[k] == c:
            k += 1
        pi[i] = k
    return n - pi[-1]
