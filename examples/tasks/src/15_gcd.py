# CCWMini/15. Expected: timeout. Deliberate bug: Euclid by repeated
# subtraction never ends when one argument is 0 (a busy loop). test_zero runs
# last (unittest sorts by name), after the other tests have passed.
def task_func(a, b):
    """
    Compute the greatest common divisor of two non-negative integers.

    Parameters:
    - a (int): A non-negative integer.
    - b (int): A non-negative integer.

    Returns:
    - int: The greatest common divisor; task_func(n, 0) is n.

    Example:
    >>> task_func(12, 18)
    6
    """
# ---- canonical_solution ----
    while a != b:
        if a > b:
            a -= b
        else:
            b -= a
    return a
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func(12, 18), 6)

    def test_coprime(self):
        self.assertEqual(task_func(7, 13), 1)

    def test_equal(self):
        self.assertEqual(task_func(5, 5), 5)

    def test_zero(self):
        self.assertEqual(task_func(0, 9), 9)
