# CCWMini/5. Expected: pass.
import json

def task_func(document):
    """
    Flatten a JSON document into a dictionary whose keys are dotted paths. List
    items are addressed by their index.

    Parameters:
    - document (str): A JSON object.

    Returns:
    - dict: Maps each dotted path to a scalar value (string, number, boolean or None).

    Raises:
    - ValueError: If document is not valid JSON or not an object.

    Requirements:
    - json

    Example:
    >>> task_func('{"a": {"b": 1, "c": [true, null]}}')
    {'a.b': 1, 'a.c.0': True, 'a.c.1': None}
    """
# ---- canonical_solution ----
    data = json.loads(document)
    if not isinstance(data, dict):
        raise ValueError("the document must be a JSON object")
    flat = {}

    def walk(value, path):
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = enumerate(value)
        else:
            flat[path] = value
            return
        for key, item in items:
            walk(item, f"{path}.{key}" if path else str(key))

    walk(data, "")
    return flat
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func('{"a": {"b": 1, "c": [true, null]}}'), {"a.b": 1, "a.c.0": True, "a.c.1": None})

    def test_flat_already(self):
        self.assertEqual(task_func('{"x": "y", "n": 2.5}'), {"x": "y", "n": 2.5})

    def test_empty_containers_vanish(self):
        self.assertEqual(task_func('{"a": {}, "b": [], "c": 0}'), {"c": 0})

    def test_not_an_object(self):
        with self.assertRaises(ValueError):
            task_func("[1, 2]")

    def test_invalid_json(self):
        with self.assertRaises(ValueError):
            task_func("{oops}")
