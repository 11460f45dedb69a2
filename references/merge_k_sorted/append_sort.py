"""O(k * N): append one list at a time and re-sort the growing result after each."""


def merge_sorted_lists(lists):
    out = []
    for lst in lists:
        out = sorted(out + lst)
    return out
