"""O(n^2 + m): keep a component label per vertex and relabel the whole array on every merge."""


def component_counts(n, edges):
    label = list(range(n))
    count = n
    out = []
    for u, v in edges:
        a, b = label[u], label[v]
        if a != b:
            for i in range(n):
                if label[i] == b:
                    label[i] = a
            count -= 1
        out.append(count)
    return out
