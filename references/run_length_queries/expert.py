"""O((r + q) log r): parse the runs with one regular expression, prefix sums of the counts
with itertools.accumulate, and answer every query with bisect, all driven by C-level map."""

import re
from bisect import bisect_right
from itertools import accumulate, repeat

_RUN = re.compile(r"([a-z])(\d+)")


def rle_lookup(encoded, queries):
    runs = _RUN.findall(encoded)
    letters = [a for a, _ in runs]
    ends = list(accumulate(map(int, [b for _, b in runs])))  # ends[i] = start of run i + 1
    return "".join(map(letters.__getitem__, map(bisect_right, repeat(ends), queries)))
