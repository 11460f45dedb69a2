"""O(n log log n): sieve of Eratosthenes over odd numbers only, crossing off with bytearray
slice assignment."""


def count_primes(n):
    if n < 2:
        return 0
    # index i stands for the odd number 2*i + 1; index 0 (the number 1) is not prime
    half = (n + 1) // 2
    sieve = bytearray([1]) * half
    sieve[0] = 0
    i = 1
    while True:
        p = 2 * i + 1
        start = p * p // 2
        if start >= half:
            break
        if sieve[i]:
            sieve[start::p] = bytes(len(range(start, half, p)))
        i += 1
    return sieve.count(1) + 1  # + 1 for the prime 2
