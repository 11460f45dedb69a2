"""O(n * 2^r): dictionary DP counting subsets by their XOR value (r = rank of the values)."""

MOD = 1_000_000_007


def count_zero_xor_subsets(nums):
    counts = {0: 1}  # XOR value -> number of subsets (including the empty one)
    for x in nums:
        new = dict(counts)
        for v, c in counts.items():
            w = v ^ x
            new[w] = (new.get(w, 0) + c) % MOD
        counts = new
    return (counts[0] - 1) % MOD
