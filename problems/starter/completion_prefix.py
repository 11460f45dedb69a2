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


def count_multiples(nums: list[int], k: int) -> int:
    """Return how many numbers in nums are multiples of k.

    >>> count_multiples([3, 4, 9, 10], 3)
    2
    >>> count_multiples([], 5)
    0
    """
    count = 0
    for x in nums:
        if x % k == 0:
            count += 1
    return count


def longest_string(words: list[str]) -> str:
    """Return the longest string in words (the first one on a tie, "" when words is empty).

    >>> longest_string(["ab", "abcd", "xyz"])
    'abcd'
    >>> longest_string([])
    ''
    """
    best = ""
    for word in words:
        if len(word) > len(best):
            best = word
    return best


def cube_all(nums: list[int]) -> list[int]:
    """Return the cube of every number in nums, in the same order.

    >>> cube_all([1, 2, -3])
    [1, 8, -27]
    >>> cube_all([])
    []
    """
    return [x ** 3 for x in nums]


def total_positive(nums: list[int]) -> int:
    """Return the sum of the numbers in nums that are greater than 0.

    >>> total_positive([4, -1, 6])
    10
    >>> total_positive([-2])
    0
    """
    return sum(x for x in nums if x > 0)


def letters_only(s: str) -> str:
    """Return the letters of s in the same order, without digits, spaces or other characters.

    >>> letters_only("a1 b2!c")
    'abc'
    >>> letters_only("42")
    ''
    """
    return "".join(ch for ch in s if ch.isalpha())
