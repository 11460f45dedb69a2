"""O((n + m)^2): take the smaller head with pop(0), which shifts the whole list each time."""


def merge_sorted(a, b):
    a = list(a)
    b = list(b)
    out = []
    while a and b:
        if a[0] <= b[0]:
            out.append(a.pop(0))
        else:
            out.append(b.pop(0))
    return out + a + b
