"""O(n * B): per bit, (#ones) * (#zeros) pairs differ there; bits counted as columns of binary strings."""


def pairwise_xor_sum(nums):
    n = len(nums)
    if n < 2:
        return 0
    width = max(nums).bit_length()
    if width == 0:
        return 0
    text = "".join([format(x, "0%db" % width) for x in nums])
    total = 0
    for col in range(width):
        ones = text[col::width].count("1")
        total += ones * (n - ones) << (width - 1 - col)
    return total
