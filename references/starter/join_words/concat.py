"""O(total length * words): rebuild the string with + for every word (repeated concatenation)."""


def join_words(words):
    result = ""
    for i in range(len(words)):
        if i == 0:
            result = words[i]
        else:
            result = result + " " + words[i]
    return result
