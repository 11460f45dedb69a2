"""Stress inputs for merge_sorted_lists: many lists whose values interleave (no list can be
copied in one block), uneven lengths with empty lists, and heavy duplication."""

import random

LIMIT = 10**9


def generate(size: int, rng: random.Random) -> list:
    total = size
    kind = rng.randrange(3)
    k = max(1, int(total ** 0.5) * rng.choice([1, 2, 4]))
    # random split of total elements into k lengths (some zero)
    cuts = sorted(rng.randrange(total + 1) for _ in range(k - 1))
    lengths = [b - a for a, b in zip([0] + cuts, cuts + [total])]
    lists = []
    for length in lengths:
        if kind == 0:  # every list spans the whole range
            lst = [rng.randint(-LIMIT, LIMIT) for _ in range(length)]
        elif kind == 1:  # few distinct values
            lst = [rng.randint(-20, 20) for _ in range(length)]
        else:  # lists concentrated around their own centres, still overlapping
            c = rng.randint(-LIMIT // 2, LIMIT // 2)
            lst = [c + rng.randint(-LIMIT // 2, LIMIT // 2) for _ in range(length)]
        lst.sort()
        lists.append(lst)
    return [lists]


def check_input(lists) -> None:
    assert len(lists) <= 5_000
    assert sum(map(len, lists)) <= 200_000
    for lst in lists:
        assert all(isinstance(x, int) and -LIMIT <= x <= LIMIT for x in lst)
        assert all(a <= b for a, b in zip(lst, lst[1:]))
