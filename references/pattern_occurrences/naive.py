"""O(n * m): compare a slice of the text with the pattern at every start index."""


def count_occurrences(text, pattern):
    m = len(pattern)
    count = 0
    for i in range(len(text) - m + 1):
        if text[i:i + m] == pattern:
            count += 1
    return count
