"""O(n * distinct): list.count for every distinct value."""


def most_common(nums):
    return max(set(nums), key=nums.count)
