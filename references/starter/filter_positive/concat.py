"""O(n^2): rebuild the result list with + for every kept item (repeated concatenation)."""


def filter_positive(nums):
    result = []
    for x in nums:
        if x > 0:
            result = result + [x]
    return result
