"""O(n): a Python loop over the characters that counts word starts (a large constant factor)."""


def count_words(text):
    count = 0
    in_word = False
    for ch in text:
        if ch == " ":
            in_word = False
        elif not in_word:
            in_word = True
            count += 1
    return count
