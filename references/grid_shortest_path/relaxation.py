"""O(R * C * K) for K sweeps: relax every cell from its neighbours, alternating sweep
direction, until nothing changes; K grows with the number of turns on the path."""


def grid_shortest_path(grid, start, goal):
    rows, cols = len(grid), len(grid[0])
    inf = float("inf")
    dist = [[inf] * cols for _ in range(rows)]
    dist[start[0]][start[1]] = 0
    order = [(r, c) for r in range(rows) for c in range(cols) if grid[r][c] == "."]
    changed = True
    forward = True
    while changed:
        changed = False
        for r, c in (order if forward else reversed(order)):
            best = dist[r][c]
            if r > 0 and dist[r - 1][c] + 1 < best:
                best = dist[r - 1][c] + 1
            if r + 1 < rows and dist[r + 1][c] + 1 < best:
                best = dist[r + 1][c] + 1
            if c > 0 and dist[r][c - 1] + 1 < best:
                best = dist[r][c - 1] + 1
            if c + 1 < cols and dist[r][c + 1] + 1 < best:
                best = dist[r][c + 1] + 1
            if best < dist[r][c]:
                dist[r][c] = best
                changed = True
        forward = not forward
    d = dist[goal[0]][goal[1]]
    return -1 if d == inf else d
