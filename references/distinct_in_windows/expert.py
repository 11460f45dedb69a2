"""O(n): slide the window with a dict of counts; a value entering or leaving changes the
distinct count only when its count moves between 0 and 1."""


def distinct_in_windows(nums, w):
    counts = {}
    get = counts.get
    for x in nums[:w]:
        counts[x] = get(x, 0) + 1
    distinct = len(counts)
    out = [distinct]
    append = out.append
    for x, y in zip(nums[w:], nums):  # x enters, y leaves
        if x != y:
            c = get(x, 0)
            counts[x] = c + 1
            if not c:
                distinct += 1
            c = counts[y]
            if c == 1:
                del counts[y]
                distinct -= 1
            else:
                counts[y] = c - 1
        append(distinct)
    return out
