# CCWMini/9. Expected: pass.
def task_func(intervals):
    """
    Merge overlapping or touching closed intervals.

    Parameters:
    - intervals (list of tuple): (start, end) pairs with start <= end, in any order.

    Returns:
    - list of tuple: The merged intervals, sorted by start.

    Example:
    >>> task_func([(5, 8), (1, 3), (2, 4)])
    [(1, 4), (5, 8)]
    """
# ---- canonical_solution ----
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func([(5, 8), (1, 3), (2, 4)]), [(1, 4), (5, 8)])

    def test_touching(self):
        self.assertEqual(task_func([(1, 2), (2, 3)]), [(1, 3)])

    def test_contained(self):
        self.assertEqual(task_func([(1, 10), (2, 3), (4, 5)]), [(1, 10)])

    def test_empty(self):
        self.assertEqual(task_func([]), [])
