# CCWMini/6. Expected: pass.
from collections import deque

def task_func(values, k):
    """
    Compute the maximum of every window of k consecutive values in linear time.

    Parameters:
    - values (list of int): The sequence.
    - k (int): The window size.

    Returns:
    - list of int: The maximum of each window, len(values) - k + 1 of them.

    Raises:
    - ValueError: If k is smaller than 1 or larger than len(values).

    Requirements:
    - collections

    Example:
    >>> task_func([1, 3, -1, -3, 5, 3, 6, 7], 3)
    [3, 3, 5, 5, 6, 7]
    """
# ---- canonical_solution ----
    if not 1 <= k <= len(values):
        raise ValueError("k must be between 1 and len(values)")
    window = deque()
    result = []
    for i, value in enumerate(values):
        while window and values[window[-1]] <= value:
            window.pop()
        window.append(i)
        if window[0] <= i - k:
            window.popleft()
        if i >= k - 1:
            result.append(values[window[0]])
    return result
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func([1, 3, -1, -3, 5, 3, 6, 7], 3), [3, 3, 5, 5, 6, 7])

    def test_window_of_one(self):
        self.assertEqual(task_func([4, 2, 9], 1), [4, 2, 9])

    def test_whole_list(self):
        self.assertEqual(task_func([4, 2, 9, 1], 4), [9])

    def test_decreasing(self):
        self.assertEqual(task_func([5, 4, 3, 2, 1], 2), [5, 4, 3, 2])

    def test_bad_window(self):
        for k in (0, 5):
            with self.assertRaises(ValueError):
                task_func([1, 2, 3, 4], k)
