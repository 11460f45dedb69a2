"""O(rows * cols): one rolling row, every cell updated in a Python loop."""

MOD = 1_000_000_007


def count_grid_paths(grid):
    width = len(grid[0])
    ways = [0] * width
    ways[0] = 1
    for row in grid:
        for c in range(width):
            if row[c] == "#":
                ways[c] = 0
            elif c > 0:
                ways[c] = (ways[c] + ways[c - 1]) % MOD
    return ways[-1]
