"""O(n log n): split in half; the best block is left, right, or crosses the middle."""


def max_subarray_sum(nums):
    def solve(lo, hi):
        if hi - lo == 1:
            return nums[lo]
        mid = (lo + hi) // 2
        best = max(solve(lo, mid), solve(mid, hi))
        s = 0
        left = nums[mid - 1]
        for i in range(mid - 1, lo - 1, -1):
            s += nums[i]
            if s > left:
                left = s
        s = 0
        right = nums[mid]
        for i in range(mid, hi):
            s += nums[i]
            if s > right:
                right = s
        return max(best, left + right)

    return solve(0, len(nums))
