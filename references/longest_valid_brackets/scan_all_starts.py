"""O(n^2) worst case: from every start, walk right tracking the balance until it turns
negative, remembering where it returns to zero."""


def longest_valid(s):
    n = len(s)
    best = 0
    for i in range(n):
        if s[i] != "(":
            continue
        bal = 0
        for j in range(i, n):
            bal += 1 if s[j] == "(" else -1
            if bal < 0:
                break
            if bal == 0 and j - i + 1 > best:
                best = j - i + 1
    return best
