# CCWMini/15. Expected: fail. Deliberate bug: Euclid by repeated subtraction
# never ends when one argument is 0 (a busy loop in Python code). test_zero
# runs last (unittest sorts by name), after the other tests have passed.
# BigCodeBench's time limit is an alarm inside the test process: it
# interrupts the loop, test_zero errors with "Timed out!", and the suite
# ends normally, so the verdict is fail, not timeout (see CCWMini/16).
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
