"""O(n * B): decide the answer bit by bit from the top with sets of prefixes."""


def max_xor_pair(nums):
    values = set(nums)
    if len(values) == 1:
        return 0
    top = max(values).bit_length()
    # prefix sets for every shift, built from the previous (smaller) one
    levels = [values]
    for _ in range(top):
        levels.append({p >> 1 for p in levels[-1]})
    best = 0
    for shift in range(top - 1, -1, -1):
        prefixes = levels[shift]
        want = (best << 1) | 1
        best = want if any(want ^ p in prefixes for p in prefixes) else want - 1
    return best
