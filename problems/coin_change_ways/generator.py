"""Stress inputs for coin_change_ways: many small denominations, so every amount is reachable."""

import random

MAX_COINS = 50
MAX_VALUE = 10**5


def generate(size: int, rng: random.Random) -> list:
    amount = size
    kind = rng.randrange(3)
    if kind == 0:  # 1 plus small denominations: huge counts, every cell non-zero
        coins = [1] + rng.sample(range(2, 60), 24)
    elif kind == 1:  # mixed small and medium denominations, some above the amount
        coins = rng.sample(range(1, max(3, amount // 4)), min(25, max(1, amount // 4 - 1)))
        coins += [amount + rng.randint(1, 100)]
    else:  # no coin 1, denominations sharing factors
        coins = sorted({rng.randint(1, 30) * rng.choice([2, 3, 6]) for _ in range(30)})[:25]
    rng.shuffle(coins)
    return [coins, amount]


def check_input(coins: list, amount: int) -> None:
    assert len(coins) <= MAX_COINS and len(set(coins)) == len(coins)
    assert all(isinstance(c, int) and 1 <= c <= MAX_VALUE for c in coins)
    assert isinstance(amount, int) and 0 <= amount <= MAX_VALUE
