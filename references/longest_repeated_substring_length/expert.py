"""O(n log n + n * L): gallop then binary search on the length; each probe hashes all
length-L slices in C (map over slice objects into a set) to look for a duplicate."""


def longest_repeat(s):
    n = len(s)
    get = s.__getitem__

    def repeats(length):
        count = n - length + 1
        return len(set(map(get, map(slice, range(count), range(length, n + 1))))) < count

    lo, hi = 0, n  # repeats(lo) holds (or lo == 0); repeats(hi) fails
    step = 1
    while lo + step < hi and repeats(lo + step):
        lo += step
        step <<= 1
    hi = min(hi, lo + step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if repeats(mid):
            lo = mid
        else:
            hi = mid
    return lo
