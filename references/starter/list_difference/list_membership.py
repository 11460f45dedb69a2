"""O(n * m): `not in` on the list b for every item of a."""


def list_difference(a, b):
    return [x for x in a if x not in b]
