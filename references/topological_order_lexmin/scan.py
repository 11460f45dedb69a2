"""O(n^2 + m): repeatedly scan every vertex for the smallest one with no remaining
predecessors."""


def smallest_topological_order(n, edges):
    succ = [[] for _ in range(n)]
    indeg = [0] * n
    for u, v in edges:
        succ[u].append(v)
        indeg[v] += 1
    used = [False] * n
    order = []
    for _ in range(n):
        pick = -1
        for v in range(n):
            if not used[v] and indeg[v] == 0:
                pick = v
                break
        if pick == -1:
            return []
        used[pick] = True
        order.append(pick)
        for v in succ[pick]:
            indeg[v] -= 1
    return order
