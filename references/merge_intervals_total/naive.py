"""O(n^2): insert intervals one by one into a list of disjoint blocks, scanning all blocks."""


def merge_intervals_total(intervals):
    blocks = []
    for l, r in intervals:
        kept = []
        for bl, br in blocks:
            if br < l or bl > r:
                kept.append((bl, br))
            else:
                l = min(l, bl)
                r = max(r, br)
        kept.append((l, r))
        blocks = kept
    return sum(r - l for l, r in blocks)
