"""O(n): scan from the right keeping a stack of candidate indices with strictly decreasing
values from bottom to top."""


def next_greater_indices(nums):
    n = len(nums)
    ans = [-1] * n
    stack = []  # indices whose values strictly decrease from bottom to top
    pop = stack.pop
    push = stack.append
    for i in range(n - 1, -1, -1):
        v = nums[i]
        while stack and nums[stack[-1]] <= v:
            pop()
        if stack:
            ans[i] = stack[-1]
        push(i)
    return ans
