"""O(n * B): the answer is 2^(n - rank) - 1, rank of the values as GF(2) vectors (XOR basis)."""

MOD = 1_000_000_007


def count_zero_xor_subsets(nums):
    basis = {}  # highest bit -> basis vector with that highest bit
    rank = 0
    for x in nums:
        while x:
            h = x.bit_length()
            b = basis.get(h)
            if b is None:
                basis[h] = x
                rank += 1
                break
            x ^= b
        if rank == 20:  # full rank: nothing later can be independent
            break
    return (pow(2, len(nums) - rank, MOD) - 1) % MOD
