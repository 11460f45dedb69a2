"""O(q log n): peel off the highest bit; 0..2^b-1 holds b * 2^(b-1) ones."""


def total_set_bits(queries):
    out = []
    for n in queries:
        total = 0
        above = 0  # ones already fixed in the higher bits
        while n:
            b = n.bit_length() - 1
            low = 1 << b
            # numbers high*2^(b+1)+0 .. +2^b-1 contribute b*2^(b-1) low ones plus `above` each
            total += (b << b >> 1) + above * low
            above += 1
            n -= low
        out.append(total + above)  # the number n itself
    return out
