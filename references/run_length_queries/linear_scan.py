"""O(r * q): parse character by character, then walk the runs from the front for each query."""


def rle_lookup(encoded, queries):
    runs = []
    letter = None
    count = 0
    for ch in encoded:
        if ch.isdigit():
            count = count * 10 + int(ch)
        else:
            if letter is not None:
                runs.append((letter, count))
            letter = ch
            count = 0
    runs.append((letter, count))
    out = []
    for q in queries:
        pos = 0
        for letter, count in runs:
            if q < pos + count:
                out.append(letter)
                break
            pos += count
    return "".join(out)
