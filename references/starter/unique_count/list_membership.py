"""O(n * distinct): keep the values seen in a list and test membership with `in`."""


def unique_count(nums):
    seen = []
    for x in nums:
        if x not in seen:
            seen.append(x)
    return len(seen)
