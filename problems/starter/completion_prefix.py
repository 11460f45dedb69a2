def digit_sum(n: int) -> int:
    """Return the sum of the decimal digits of n.

    Constraints: 0 <= n <= 10**18.

    >>> digit_sum(4096)
    19
    >>> digit_sum(0)
    0
    """
    total = 0
    while n > 0:
        total += n % 10
        n //= 10
    return total


def first_negative_index(nums: list[int]) -> int:
    """Return the index of the first negative number in nums, or -1 when there is none.

    >>> first_negative_index([3, 0, -2, -5])
    2
    >>> first_negative_index([1, 2])
    -1
    """
    for i, x in enumerate(nums):
        if x < 0:
            return i
    return -1


def shared_prefix_length(a: str, b: str) -> int:
    """Return how many characters a and b have in common at their start.

    >>> shared_prefix_length("planet", "plane")
    5
    >>> shared_prefix_length("cat", "dog")
    0
    """
    length = 0
    for x, y in zip(a, b):
        if x != y:
            break
        length += 1
    return length
