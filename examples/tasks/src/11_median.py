# CCWMini/11. Expected: fail. Deliberate bug: for an even number of values the
# reference returns the upper middle value instead of the mean of the two
# middle values. Fails test_even_length.
def task_func(values):
    """
    Return the median of a list of numbers.

    Parameters:
    - values (list of float): The numbers, in any order.

    Returns:
    - float: The middle value of the sorted numbers, or the mean of the two middle
             values when there is an even number of them.

    Raises:
    - ValueError: If values is empty.

    Example:
    >>> task_func([3, 1, 2])
    2
    >>> task_func([4, 1, 3, 2])
    2.5
    """
# ---- canonical_solution ----
    if not values:
        raise ValueError("median of an empty list")
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_odd_length(self):
        self.assertEqual(task_func([3, 1, 2]), 2)

    def test_even_length(self):
        self.assertEqual(task_func([4, 1, 3, 2]), 2.5)

    def test_single(self):
        self.assertEqual(task_func([7.5]), 7.5)

    def test_empty(self):
        with self.assertRaises(ValueError):
            task_func([])
