"""O(n + u log u): tokenize character by character in Python, count in a dict, sort with a
tuple key."""


def top_words(text, m):
    counts = {}
    word = []
    for ch in text + " ":
        if ("a" <= ch <= "z") or ("A" <= ch <= "Z"):
            word.append(ch.lower())
        elif word:
            w = "".join(word)
            counts[w] = counts.get(w, 0) + 1
            word = []
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked[:m]]
