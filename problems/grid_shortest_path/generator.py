"""Stress inputs for grid_shortest_path: serpentine and spiral corridors give very long
paths (many relaxation rounds), open and random mazes give wide BFS frontiers."""

import random


def _serpentine(rows, cols, rng):
    g = [["."] * cols for _ in range(rows)]
    left = True
    for r in range(1, rows, 2):
        for c in range(cols):
            g[r][c] = "#"
        g[r][0 if left else cols - 1] = "."
        left = not left
    return g


def _spiral(n, rng):
    g = [["#"] * n for _ in range(n)]
    g[0][0] = "."
    cells = [(0, 0)]
    r = c = 0
    dirs = [(0, 1), (1, 0), (0, -1), (-1, 0)]
    k = 0

    def can(r, c, dr, dc):
        nr, nc = r + dr, c + dc
        if not (0 <= nr < n and 0 <= nc < n) or g[nr][nc] == ".":
            return False
        fr, fc = nr + dr, nc + dc
        return not (0 <= fr < n and 0 <= fc < n) or g[fr][fc] == "#"

    while True:
        dr, dc = dirs[k]
        if not can(r, c, dr, dc):
            k = (k + 1) % 4
            dr, dc = dirs[k]
            if not can(r, c, dr, dc):
                break
        r, c = r + dr, c + dc
        g[r][c] = "."
        cells.append((r, c))
    return g, cells


def generate(size: int, rng: random.Random) -> list:
    kind = rng.randrange(5)
    rows = cols = size
    if kind == 0:  # horizontal serpentine, start and goal at its two ends
        g = _serpentine(rows, cols, rng)
        start = [0, 0]
        last = rows - 1
        goal = [last, rng.choice([c for c in range(cols) if g[last][c] == "."])]
    elif kind == 1:  # vertical serpentine (transposed), goal at the far end
        g = _serpentine(cols, rows, rng)
        g = [list(col) for col in zip(*g)]
        start = [0, 0]
        last = cols - 1
        goal = [rng.choice([r for r in range(rows) if g[r][last] == "."]), last]
    elif kind == 2:  # inward spiral, goal in its centre
        g, cells = _spiral(size, rng)
        start = list(cells[0])
        goal = list(cells[-1])
        if rng.random() < 0.5:
            start, goal = goal, start
    else:  # random walls, open-ish (kind 3) or dense (kind 4)
        p = 0.15 if kind == 3 else 0.35
        g = [["#" if rng.random() < p else "." for _ in range(cols)] for _ in range(rows)]
        start = [rng.randrange(rows), rng.randrange(cols)]
        goal = [rng.randrange(rows), rng.randrange(cols)]
        if rng.random() < 0.7:
            start, goal = [0, 0], [rows - 1, cols - 1]
        g[start[0]][start[1]] = "."
        g[goal[0]][goal[1]] = "."
    return [["".join(row) for row in g], start, goal]


def check_input(grid, start, goal) -> None:
    rows = len(grid)
    assert 1 <= rows <= 400
    cols = len(grid[0])
    assert 1 <= cols <= 400 and rows * cols <= 100_000
    assert all(len(row) == cols and set(row) <= {".", "#"} for row in grid)
    for r, c in (start, goal):
        assert 0 <= r < rows and 0 <= c < cols and grid[r][c] == "."
