"""O(k * amount) time and memory: table[i][a] = ways using the first i coins."""

MOD = 1_000_000_007


def coin_change_ways(coins, amount):
    k = len(coins)
    table = [[0] * (amount + 1) for _ in range(k + 1)]
    table[0][0] = 1
    for i in range(1, k + 1):
        c = coins[i - 1]
        for a in range(amount + 1):
            total = table[i - 1][a]
            if a >= c:
                total += table[i][a - c]
            table[i][a] = total % MOD
    return table[k][amount]
