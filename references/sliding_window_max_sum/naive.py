"""O(n w): take max() of every window slice."""


def sliding_window_max_sum(nums, w):
    return sum(max(nums[i:i + w]) for i in range(len(nums) - w + 1))
