"""O(n * m): `in` on the list b for every item of a."""


def count_common(a, b):
    count = 0
    for x in a:
        if x in b:
            count += 1
    return count
