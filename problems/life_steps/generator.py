"""Stress inputs for life_steps: dense random soups (many live cells for a long time) on grids
of about size x size, run for about `size` generations."""

import random


def generate(size: int, rng: random.Random) -> list:
    rows = rng.randint(max(3, size * 3 // 4), size)
    cols = rng.randint(max(3, size * 3 // 4), size)
    density = rng.uniform(0.25, 0.5)
    grid = ["".join("#" if rng.random() < density else "." for _ in range(cols))
            for _ in range(rows)]
    steps = rng.randint(max(0, size * 3 // 4), size)
    return [grid, steps]


def check_input(grid: list, steps: int) -> None:
    assert 3 <= len(grid) <= 160
    cols = len(grid[0])
    assert 3 <= cols <= 160
    assert all(isinstance(row, str) and len(row) == cols and set(row) <= {"#", "."}
               for row in grid)
    assert isinstance(steps, int) and 0 <= steps <= 160
