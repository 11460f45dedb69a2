"""O(N log k): concatenate and let Timsort merge the k existing sorted runs in C."""


def merge_sorted_lists(lists):
    out = []
    for lst in lists:
        out += lst
    out.sort()
    return out
