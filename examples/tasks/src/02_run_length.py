# CCWMini/2. Expected: pass.
from itertools import groupby

def task_func(text):
    """
    Run-length encode a string: every run of one repeated character becomes a
    (character, length) pair.

    Parameters:
    - text (str): The string to encode.

    Returns:
    - list of tuple: (character, run length) pairs in order.

    Requirements:
    - itertools

    Example:
    >>> task_func("aaabcc")
    [('a', 3), ('b', 1), ('c', 2)]
    """
# ---- canonical_solution ----
    return [(char, len(list(run))) for char, run in groupby(text)]
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func("aaabcc"), [('a', 3), ('b', 1), ('c', 2)])

    def test_empty(self):
        self.assertEqual(task_func(""), [])

    def test_no_repeats(self):
        self.assertEqual(task_func("abc"), [('a', 1), ('b', 1), ('c', 1)])

    def test_long_run(self):
        self.assertEqual(task_func("z" * 1000), [('z', 1000)])

    def test_case_matters(self):
        self.assertEqual(task_func("aAa"), [('a', 1), ('A', 1), ('a', 1)])
