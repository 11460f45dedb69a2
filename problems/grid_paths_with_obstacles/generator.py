"""Stress inputs for count_grid_paths: large open grids (huge counts), sparse rocks and walls with gaps."""

import random

MAX_SIDE = 1000


def generate(size: int, rng: random.Random) -> list:
    rows = size
    cols = rng.randint(max(1, size // 2), size) if rng.random() < 0.3 else size
    kind = rng.randrange(3)
    cells = [["."] * cols for _ in range(rows)]
    if kind == 1:  # scattered rocks, a few percent
        density = rng.uniform(0.01, 0.08)
        for r in range(rows):
            for c in range(cols):
                if rng.random() < density:
                    cells[r][c] = "#"
    elif kind == 2:  # horizontal walls with a few gaps
        for r in range(2, rows - 1, max(3, rows // 10)):
            for c in range(cols):
                cells[r][c] = "#"
            for _ in range(rng.randint(1, 3)):
                cells[r][rng.randrange(cols)] = "."
    cells[0][0] = "."
    cells[-1][-1] = "."
    return [["".join(row) for row in cells]]


def check_input(grid: list) -> None:
    assert 1 <= len(grid) <= MAX_SIDE
    width = len(grid[0])
    assert 1 <= width <= MAX_SIDE
    assert all(isinstance(row, str) and len(row) == width and set(row) <= {".", "#"} for row in grid)
