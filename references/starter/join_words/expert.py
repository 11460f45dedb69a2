"""O(total length): str.join (one C copy)."""


def join_words(words):
    return " ".join(words)
