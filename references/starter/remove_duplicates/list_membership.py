"""O(n * distinct): test membership with `in` on the result list."""


def remove_duplicates(nums):
    result = []
    for x in nums:
        if x not in result:
            result.append(x)
    return result
