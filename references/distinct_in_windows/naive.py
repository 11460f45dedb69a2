"""O(n w): build a set for every window."""


def distinct_in_windows(nums, w):
    return [len(set(nums[i:i + w])) for i in range(len(nums) - w + 1)]
