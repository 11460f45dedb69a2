"""O(n sqrt V): trial division of each number by 2 and the odd numbers up to its square root."""


def are_primes(nums):
    out = []
    for n in nums:
        if n < 2:
            out.append(False)
            continue
        if n % 2 == 0:
            out.append(n == 2)
            continue
        d = 3
        ok = True
        while d * d <= n:
            if n % d == 0:
                ok = False
                break
            d += 2
        out.append(ok)
    return out
