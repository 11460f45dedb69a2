"""O(steps * live): keep the set of live cells and count neighbours with a Counter."""

from collections import Counter


def life_steps(grid, steps):
    rows, cols = len(grid), len(grid[0])
    live = {(r, c) for r, row in enumerate(grid) for c, ch in enumerate(row) if ch == "#"}
    deltas = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc]
    for _ in range(steps):
        counts = Counter(((r + dr) % rows, (c + dc) % cols)
                         for r, c in live for dr, dc in deltas)
        live = {cell for cell, k in counts.items() if k == 3 or (k == 2 and cell in live)}
    return len(live)
