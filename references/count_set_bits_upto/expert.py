"""O(q log hi): ones in lo..hi = ones(0..hi) - ones(0..lo-1), each by peeling off the highest bit;
0..2^b-1 holds b * 2^(b-1) ones."""


def total_set_bits(queries):
    out = []
    for lo, hi in queries:
        total = 0
        for n, sign in ((hi, 1), (lo - 1, -1)):
            ones = 0
            above = 0  # ones already fixed in the higher bits
            while n > 0:
                b = n.bit_length() - 1
                low = 1 << b
                # numbers with the higher bits fixed and bit b clear: b*2^(b-1) low ones plus `above` each
                ones += (b << b >> 1) + above * low
                above += 1
                n -= low
            if n == 0:
                ones += above  # the number itself
            total += sign * ones
        out.append(total)
    return out
