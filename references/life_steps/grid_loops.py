"""O(steps * R * C * 8): update a 0/1 matrix cell by cell, reading the eight neighbours."""


def life_steps(grid, steps):
    rows, cols = len(grid), len(grid[0])
    cur = [[1 if ch == "#" else 0 for ch in row] for row in grid]
    for _ in range(steps):
        nxt = [[0] * cols for _ in range(rows)]
        for r in range(rows):
            for c in range(cols):
                n = 0
                for dr in (-1, 0, 1):
                    for dc in (-1, 0, 1):
                        if dr or dc:
                            n += cur[(r + dr) % rows][(c + dc) % cols]
                if n == 3 or (n == 2 and cur[r][c]):
                    nxt[r][c] = 1
        cur = nxt
    return sum(map(sum, cur))
