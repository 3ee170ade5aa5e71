# CCWMini/1. Expected: pass.
def task_func(number):
    """
    Write a positive integer as a Roman numeral in standard subtractive form.

    Parameters:
    - number (int): A whole number from 1 to 3999.

    Returns:
    - str: The Roman numeral, in upper case.

    Raises:
    - ValueError: If number is outside 1..3999.

    Example:
    >>> task_func(1994)
    'MCMXCIV'
    """
# ---- canonical_solution ----
    if not 1 <= number <= 3999:
        raise ValueError("number must be between 1 and 3999")
    values = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
              (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    parts = []
    for value, symbol in values:
        count, number = divmod(number, value)
        parts.append(symbol * count)
    return "".join(parts)
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func(1994), "MCMXCIV")

    def test_subtractive_forms(self):
        self.assertEqual([task_func(n) for n in (4, 9, 40, 90, 400, 900)], ["IV", "IX", "XL", "XC", "CD", "CM"])

    def test_largest(self):
        self.assertEqual(task_func(3999), "MMMCMXCIX")

    def test_out_of_range(self):
        for bad in (0, -7, 4000):
            with self.assertRaises(ValueError):
                task_func(bad)
