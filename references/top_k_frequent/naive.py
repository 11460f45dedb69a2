"""O(n d): count every distinct value with list.count."""


def top_k_frequent(nums, k):
    ranked = sorted((-nums.count(v), v) for v in set(nums))
    return [v for _, v in ranked[:k]]
