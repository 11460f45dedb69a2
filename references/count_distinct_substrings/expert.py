"""O(n) (alphabet-bounded dict transitions): suffix automaton; each state adds
len(state) - len(link(state)) new distinct substrings."""


def count_distinct(s):
    link = [-1]
    length = [0]
    trans = [{}]
    last = 0
    total = 0
    for ch in s:
        cur = len(length)
        length.append(length[last] + 1)
        link.append(0)
        trans.append({})
        p = last
        while p != -1 and ch not in trans[p]:
            trans[p][ch] = cur
            p = link[p]
        if p != -1:
            q = trans[p][ch]
            if length[p] + 1 == length[q]:
                link[cur] = q
            else:
                clone = len(length)
                length.append(length[p] + 1)
                link.append(link[q])
                trans.append(trans[q].copy())
                while p != -1 and trans[p].get(ch) == q:
                    trans[p][ch] = clone
                    p = link[p]
                link[q] = clone
                link[cur] = clone
        total += length[cur] - length[link[cur]]
        last = cur
    return total
