"""effbench.generator_kit: the prime helpers that problem generators share."""

import random

import pytest

from effbench.generator_kit import IS_PRIME_LIMIT, is_prime, palindrome_heavy_string, prime_at_or_below, random_prime


def _sieve(n):
    flags = bytearray([1]) * (n + 1)
    flags[0:2] = b"\0\0"
    for i in range(2, int(n**0.5) + 1):
        if flags[i]:
            flags[i * i :: i] = bytearray(len(flags[i * i :: i]))
    return flags


def test_is_prime_agrees_with_a_sieve_and_rejects_strong_pseudoprimes():
    """Invariant: is_prime is exact, including on the composites that fool Miller-Rabin with few bases.

    The generators of catalan_mod, binomial_mod_queries and derangements_mod draw their modulus with
    it and their check_input refuses a composite one; primality_batch's 'large prime' inputs must be
    prime, or the expert and the slower tiers would be tested on the wrong kind of number.
    """
    flags = _sieve(200_000)
    assert [n for n in range(-3, 200_001) if is_prime(n)] == [n for n in range(200_001) if flags[n]]
    # the smallest strong pseudoprimes to the first 1, 2, 3, 4, 5, 7 and 9 prime bases
    for composite in (2047, 1373653, 25326001, 3215031751, 2152302898747, 341550071728321, 3825123056546413051):
        assert not is_prime(composite)
    for prime in (10**9 + 7, 998_244_353, 2**31 - 1, 10**12 - 11, 2**61 - 1):
        assert is_prime(prime)
    with pytest.raises(ValueError):
        is_prime(IS_PRIME_LIMIT)  # a strong pseudoprime to every base it tries: it would say "prime"


def test_prime_at_or_below_and_random_prime_stay_in_their_bounds():
    """Invariant: prime_at_or_below(x) is the largest prime <= x (x itself when x <= 2), and
    random_prime(rng, low, high) a prime strictly between low and high that takes one draw of rng.
    """
    flags = _sieve(2000)
    for x in range(2001):
        want = x if x <= 2 else max(p for p in range(2, x + 1) if flags[p])
        assert prime_at_or_below(x) == want
    rng, twin = random.Random(7), random.Random(7)
    for _ in range(50):
        p = random_prime(rng, 10**8, 2**30)
        assert 10**8 < p < 2**30 and is_prime(p)
        twin.randrange(10**8 + 1, 2**30 - 1000)
        assert rng.getstate() == twin.getstate()


def _expand(s, lo, hi):
    while lo >= 0 and hi < len(s) and s[lo] == s[hi]:
        lo, hi = lo - 1, hi + 1
    return hi - lo - 1


def test_palindrome_heavy_strings_have_the_asked_length_letters_and_long_palindromes():
    """Invariant: palindrome_heavy_string(n, rng) is n letters of 'abcd', the same for the same rng
    state, and rich in long palindromes (the slow path of expand-around-centre that the palindrome
    problems' levels are sized for): on 2000 letters the longest is far above a random string's."""
    for n in (0, 1, 7, 2000):
        s = palindrome_heavy_string(n, random.Random(n))
        assert len(s) == n and set(s) <= set("abcd")
        assert s == palindrome_heavy_string(n, random.Random(n))
    s = palindrome_heavy_string(2000, random.Random(5))
    longest = max(_expand(s, c // 2, (c + 1) // 2) for c in range(2 * len(s) - 1))
    assert longest >= 50, longest  # a uniform string over 4 letters has about 10
