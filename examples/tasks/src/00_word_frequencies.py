# CCWMini/0. Expected: pass.
import re
from collections import Counter

def task_func(text, n=3):
    """
    Count the words of a text, ignoring case and punctuation, and return the n most
    common ones. Ties are broken alphabetically.

    Parameters:
    - text (str): The text to analyse.
    - n (int, optional): How many words to return. Default is 3.

    Returns:
    - list of tuple: (word, count) pairs, the most common first.

    Raises:
    - ValueError: If n is negative.

    Requirements:
    - re
    - collections

    Example:
    >>> task_func("The cat and the hat. The end!", 2)
    [('the', 3), ('and', 1)]
    """
# ---- canonical_solution ----
    if n < 0:
        raise ValueError("n must not be negative")
    words = re.findall(r"[a-z0-9']+", text.lower())
    counts = Counter(words)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func("The cat and the hat. The end!", 2), [('the', 3), ('and', 1)])

    def test_ties_are_alphabetical(self):
        self.assertEqual(task_func("b a c b a c", 3), [('a', 2), ('b', 2), ('c', 2)])

    def test_empty_text(self):
        self.assertEqual(task_func("", 5), [])

    def test_zero_words(self):
        self.assertEqual(task_func("x y z", 0), [])

    def test_negative_n(self):
        with self.assertRaises(ValueError):
            task_func("x", -1)
