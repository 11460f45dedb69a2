"""O(n * S / w): the set of reachable sums as the bits of one big integer, S = sum(nums)."""


def count_subset_sums(nums):
    bits = 1
    for x in nums:
        bits |= bits << x
    return bits.bit_count()
