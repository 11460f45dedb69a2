"""O(n * B): binary trie of nested lists; each number walks down preferring the opposite bit."""


def max_xor_pair(nums):
    bits = 30
    root = [None, None]
    best = 0
    for idx, x in enumerate(nums):
        if idx:
            node = root
            cur = 0
            for b in range(bits - 1, -1, -1):
                bit = (x >> b) & 1
                if node[bit ^ 1] is not None:
                    cur |= 1 << b
                    node = node[bit ^ 1]
                else:
                    node = node[bit]
            if cur > best:
                best = cur
        node = root
        for b in range(bits - 1, -1, -1):
            bit = (x >> b) & 1
            if node[bit] is None:
                node[bit] = [None, None]
            node = node[bit]
    return best
