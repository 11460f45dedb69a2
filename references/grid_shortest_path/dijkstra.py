"""O(R * C * log(R * C)): Dijkstra with a binary heap of (distance, row, col) tuples."""

import heapq


def grid_shortest_path(grid, start, goal):
    rows, cols = len(grid), len(grid[0])
    dist = {(start[0], start[1]): 0}
    heap = [(0, start[0], start[1])]
    target = (goal[0], goal[1])
    while heap:
        d, r, c = heapq.heappop(heap)
        if (r, c) == target:
            return d
        if d > dist[(r, c)]:
            continue
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < rows and 0 <= nc < cols and grid[nr][nc] == ".":
                nd = d + 1
                if nd < dist.get((nr, nc), float("inf")):
                    dist[(nr, nc)] = nd
                    heapq.heappush(heap, (nd, nr, nc))
    return -1
