"""O(n + u log u): lowercase and tokenize with one regular expression (C), count with
Counter, then two C-level stable sorts (alphabetical, then by count descending)."""

import re
from collections import Counter
from operator import itemgetter

_WORD = re.compile(r"[a-z]+")


def top_words(text, m):
    counts = Counter(_WORD.findall(text.lower()))
    items = sorted(counts.items())
    items.sort(key=itemgetter(1), reverse=True)  # stable: ties stay alphabetical
    return [w for w, _ in items[:m]]
