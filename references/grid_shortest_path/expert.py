"""O(R * C): breadth-first search by layers over a flattened grid padded with walls."""


def grid_shortest_path(grid, start, goal):
    width = len(grid[0]) + 1  # one wall column per row separates row ends
    border = "#" * width
    flat = (border + "#".join(grid) + "#" + border).encode()
    open_cells = bytearray(flat.translate(bytes.maketrans(b".#", b"\x01\x00")))
    src = (start[0] + 1) * width + start[1]
    dst = (goal[0] + 1) * width + goal[1]
    if src == dst:
        return 0
    open_cells[src] = 0
    frontier = [src]
    steps = 0
    while frontier:
        steps += 1
        nxt = []
        push = nxt.append
        for p in frontier:
            q = p - 1
            if open_cells[q]:
                open_cells[q] = 0
                push(q)
            q = p + 1
            if open_cells[q]:
                open_cells[q] = 0
                push(q)
            q = p - width
            if open_cells[q]:
                open_cells[q] = 0
                push(q)
            q = p + width
            if open_cells[q]:
                open_cells[q] = 0
                push(q)
        if not open_cells[dst]:  # reached in this layer
            return steps
        frontier = nxt
    return -1
