"""O(n): never decode; keep for each open group a summary (length, runs, first letter, last
letter) and combine summaries on concatenation and repetition."""

import re

_TOKEN = re.compile(r"(\d+)\[|(\])|([a-z]+)")
_RUN = re.compile(r"(.)\1*")


def count_runs(s):
    stack = []
    # summary of the current sequence: runs, first letter, last letter ('' when empty)
    runs, first, last = 0, "", ""
    for num, close, letters in _TOKEN.findall(s):
        if letters:
            r = len(_RUN.findall(letters))
            if not first:
                runs, first = r, letters[0]
            else:
                runs += r - (last == letters[0])
            last = letters[-1]
        elif num:
            stack.append((runs, first, last, int(num)))
            runs, first, last = 0, "", ""
        else:
            k_runs, k_first, k_last = runs, first, last
            runs, first, last, k = stack.pop()
            k_runs = k * k_runs - (k - 1) * (k_first == k_last)
            if not first:
                runs, first = k_runs, k_first
            else:
                runs += k_runs - (last == k_first)
            last = k_last
    return runs
