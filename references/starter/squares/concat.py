"""O(n^2): rebuild the result list with + for every item (repeated concatenation)."""


def squares(nums):
    result = []
    for x in nums:
        result = result + [x * x]
    return result
