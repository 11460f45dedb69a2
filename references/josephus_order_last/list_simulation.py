"""O(n^2): simulate the circle with a Python list and pop the removed person."""


def last_survivor(n, k):
    people = list(range(1, n + 1))
    i = 0
    while len(people) > 1:
        i = (i + k - 1) % len(people)
        people.pop(i)
    return people[0]
