"""O(steps * R * C / w): the whole torus is one big integer (bit r*C + c); neighbour planes
are shifts with wrap-around masks, and the neighbour count is summed bit-sliced with a few
word-parallel AND/XOR/OR operations per generation."""


def life_steps(grid, steps):
    rows, cols = len(grid), len(grid[0])
    size = rows * cols
    full = (1 << size) - 1
    flat = "".join(grid)
    x = int(flat.replace("#", "1").replace(".", "0")[::-1], 2)
    # masks: bits in column 0 and in column cols - 1 (bit index r*cols + c)
    col0 = int((("1" + "0" * (cols - 1)) * rows)[::-1], 2)
    col_last = int((("0" * (cols - 1) + "1") * rows)[::-1], 2)
    not_col0 = full ^ col0
    not_col_last = full ^ col_last
    up_shift = size - cols
    for _ in range(steps):
        # west / east neighbour planes
        w = ((x << 1) & not_col0) | ((x >> (cols - 1)) & col0)
        e = ((x >> 1) & not_col_last) | ((x << (cols - 1)) & col_last)
        # three-in-a-row count (w, x, e) as two bit planes, and the pair (w, e)
        we = w ^ e
        t0 = we ^ x
        t1 = (w & e) | (x & we)
        p0 = we
        p1 = w & e
        # the rows above and below (cyclic shifts by one row)
        u0 = ((t0 << cols) | (t0 >> up_shift)) & full
        u1 = ((t1 << cols) | (t1 >> up_shift)) & full
        d0 = (t0 >> cols) | ((t0 << up_shift) & full)
        d1 = (t1 >> cols) | ((t1 << up_shift) & full)
        # s = u + d  (3 bits), then r = s + p (mod 8)
        s0 = u0 ^ d0
        c0 = u0 & d0
        ud = u1 ^ d1
        s1 = ud ^ c0
        s2 = (u1 & d1) | (c0 & ud)
        r0 = s0 ^ p0
        c1 = s0 & p0
        sp = s1 ^ p1
        r1 = sp ^ c1
        r2 = s2 ^ ((s1 & p1) | (c1 & sp))
        # alive next: count == 3, or count == 2 and alive now
        x = r1 & (r0 | x) & (full ^ r2)
    return x.bit_count()
