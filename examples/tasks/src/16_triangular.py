# CCWMini/16. Expected: timeout. Deliberate bug: the reference sums the
# series one term at a time, which takes hours for the test's n = 10**12.
# The loop runs inside one C call (sum over a range) that no Python-level
# alarm can interrupt, so only the hard kill at the limit ends it: the
# verdict is timeout, and the tests that ran before it (in name order) pass.
def task_func(n, modulus=1000000007):
    """
    Return the sum 0 + 1 + ... + n, modulo a prime.

    Parameters:
    - n (int): The last term, n >= 0 (it can be very large).
    - modulus (int): The modulus, 1000000007 by default.

    Returns:
    - int: (0 + 1 + ... + n) % modulus.

    Example:
    >>> task_func(10)
    55
    """
# ---- canonical_solution ----
    return sum(range(n + 1)) % modulus
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_a_small(self):
        self.assertEqual(task_func(10), 55)

    def test_b_zero(self):
        self.assertEqual(task_func(0), 0)

    def test_c_modulus(self):
        self.assertEqual(task_func(100, modulus=7), 5050 % 7)

    def test_d_huge(self):
        n = 10**12
        self.assertEqual(task_func(n), (n * (n + 1) // 2) % 1000000007)
