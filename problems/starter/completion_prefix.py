def digit_sum(n: int) -> int:
    """Return the sum of the decimal digits of n.

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


def word_lengths(words: list[str]) -> list[int]:
    """Return the length of every word in words, in the same order.

    >>> word_lengths(["hi", "there"])
    [2, 5]
    >>> word_lengths([])
    []
    """
    return [len(word) for word in words]


def has_zero(nums: list[int]) -> bool:
    """Return True if 0 is one of the numbers in nums, else False.

    >>> has_zero([4, 0, 7])
    True
    >>> has_zero([1, 2])
    False
    """
    return 0 in nums


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


def lowercase_letters(s: str) -> str:
    """Return s with every capital letter written in lowercase.

    >>> lowercase_letters("Hello World")
    'hello world'
    >>> lowercase_letters("")
    ''
    """
    return s.lower()
