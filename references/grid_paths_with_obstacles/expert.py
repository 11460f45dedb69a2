"""O(rows * cols): rolling row; along each free run the new row is a prefix sum (itertools.accumulate)."""

from itertools import accumulate, repeat
from operator import mod

MOD = 1_000_000_007


def count_grid_paths(grid):
    width = len(grid[0])
    # a virtual row above the grid that feeds one path into the top-left cell
    ways = [1] + [0] * (width - 1)
    for r, row in enumerate(grid, 1):
        if "#" not in row:
            ways = list(accumulate(ways))
        else:
            new = []
            pos = 0
            for run in row.split("#"):
                if run:
                    end = pos + len(run)
                    new += accumulate(ways[pos:end])
                    pos = end
                if pos < width:
                    new.append(0)
                    pos += 1
            ways = new
        if r % 8 == 0:
            ways = list(map(mod, ways, repeat(MOD)))
    return ways[-1] % MOD
