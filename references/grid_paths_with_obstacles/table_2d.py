"""O(rows * cols) time and memory: the full table of path counts."""

MOD = 1_000_000_007


def count_grid_paths(grid):
    rows, cols = len(grid), len(grid[0])
    paths = [[0] * cols for _ in range(rows)]
    for r in range(rows):
        for c in range(cols):
            if grid[r][c] == "#":
                continue
            if r == 0 and c == 0:
                paths[r][c] = 1
                continue
            total = 0
            if r > 0:
                total += paths[r - 1][c]
            if c > 0:
                total += paths[r][c - 1]
            paths[r][c] = total % MOD
    return paths[-1][-1]
