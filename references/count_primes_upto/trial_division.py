"""O(W sqrt(hi) / log hi): test every number of the window by trial division with odd divisors up
to its square root."""


def count_primes(lo, hi):
    count = 0
    for x in range(max(lo, 2), hi):
        if x < 4:
            count += 1
            continue
        if x % 2 == 0:
            continue
        d = 3
        prime = True
        while d * d <= x:
            if x % d == 0:
                prime = False
                break
            d += 2
        if prime:
            count += 1
    return count
