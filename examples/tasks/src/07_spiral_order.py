# CCWMini/7. Expected: pass.
def task_func(matrix):
    """
    List the elements of a rectangular matrix in clockwise spiral order, starting
    at the top left corner.

    Parameters:
    - matrix (list of list): The rows of the matrix, all of one length.

    Returns:
    - list: The elements in spiral order.

    Example:
    >>> task_func([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    [1, 2, 3, 6, 9, 8, 7, 4, 5]
    """
# ---- canonical_solution ----
    result = []
    rows = [list(row) for row in matrix]
    while rows:
        result.extend(rows.pop(0))
        rows = [list(row) for row in zip(*rows)][::-1]
    return result
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_square(self):
        self.assertEqual(task_func([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), [1, 2, 3, 6, 9, 8, 7, 4, 5])

    def test_wide(self):
        self.assertEqual(task_func([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]),
                         [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7])

    def test_single_column(self):
        self.assertEqual(task_func([[1], [2], [3]]), [1, 2, 3])

    def test_empty(self):
        self.assertEqual(task_func([]), [])
