"""O(n + m): C-level str.find/str.count for candidates; the pattern's smallest period (prefix
function) lets a run of overlapping matches be counted by galloping over whole periods."""


def count_occurrences(text, pattern):
    n, m = len(text), len(pattern)
    if m > n:
        return 0
    find = text.find
    i = find(pattern)
    if i < 0:
        return 0
    # smallest period p of the pattern: two matches closer than p cannot exist,
    # and a match at i is followed by one at i + p iff the text keeps period p
    pi = [0] * m
    k = 0
    for j in range(1, m):
        c = pattern[j]
        while k and pattern[k] != c:
            k = pi[k - 1]
        if pattern[k] == c:
            k += 1
        pi[j] = k
    p = m - pi[-1]
    if p == m:  # no border: matches never overlap, so the C-level count is exact
        return text.count(pattern)
    unit = pattern[m - p:]
    ext = unit * ((n - m) // p + 1)  # what the text must look like after a match
    startswith = text.startswith
    count = 0
    while i >= 0:
        end = i + m
        if not startswith(unit, end):  # isolated match
            count += 1
            i = find(pattern, i + p)
            continue
        top = (n - end) // p  # at most this many further matches in this run
        good = 1
        step = 1
        while good + step <= top and startswith(ext[:(good + step) * p], end):
            good += step
            step <<= 1
        step >>= 1
        while step:
            if good + step <= top and startswith(ext[:(good + step) * p], end):
                good += step
            step >>= 1
        count += good + 1
        i = find(pattern, i + good * p + p)
    return count
