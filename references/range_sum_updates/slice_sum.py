"""O(n * q): assign in place and answer each query with sum() over a slice."""


def range_sums(nums, ops):
    arr = list(nums)
    out = []
    for t, a, b in ops:
        if t == 0:
            arr[a] = b
        else:
            out.append(sum(arr[a:b + 1]))
    return out
