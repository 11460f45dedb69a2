"""O(n): two competing candidate starts i < j on the doubled string; after k equal characters
a mismatch discards k + 1 starts at once. Long equal stretches are measured with C-level
slice comparisons (galloping), so repetitive strings cost few Python steps."""


def min_rotation(s):
    n = len(s)
    ss = s + s
    startswith = ss.startswith
    short = min(24, n)
    i, j = 0, 1
    while j < n:
        k = 0
        while k < short and ss[i + k] == ss[j + k]:  # short agreements: plain loop
            k += 1
        if k == 24:
            # long agreement: gallop with C-level slice comparisons (chunks 1, 2, 4, ...)
            step = 1
            while k + step <= n and startswith(ss[j + k:j + k + step], i + k):
                k += step
                step <<= 1
            while step > 1:
                step >>= 1
                if k + step <= n and startswith(ss[j + k:j + k + step], i + k):
                    k += step
        if k >= n:  # the two rotations are equal: i is the smaller index
            break
        if ss[i + k] > ss[j + k]:
            i += k + 1
            if i <= j:
                i = j + 1
            i, j = j, i  # keep i < j with i the better candidate
        else:
            j += k + 1
    return i
