"""O(n): str.count (a C scan) once per vowel."""


def count_vowels(s):
    return s.count("a") + s.count("e") + s.count("i") + s.count("o") + s.count("u")
