"""O(n log E): the built-in three-argument pow for every term, summed in C."""

from itertools import repeat


def modpow_sum(bases, exps, m):
    return sum(map(pow, bases, exps, repeat(m))) % m
