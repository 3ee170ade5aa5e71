# CCWMini/8. Expected: pass. Its tests write files in a temporary directory.
import hashlib
import os

def task_func(directory):
    """
    Compute the SHA-256 digest of every regular file below a directory.

    Parameters:
    - directory (str): The directory to walk, recursively.

    Returns:
    - dict: Maps each file's path relative to directory (with '/' separators) to
            the hex digest of its contents.

    Raises:
    - FileNotFoundError: If directory does not exist.

    Requirements:
    - hashlib
    - os

    Example:
    >>> task_func('/path/to/empty_dir')
    {}
    """
# ---- canonical_solution ----
    if not os.path.isdir(directory):
        raise FileNotFoundError(directory)
    digests = {}
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            digests[os.path.relpath(path, directory).replace(os.sep, "/")] = digest
    return digests
# ---- test ----
import hashlib
import os
import tempfile
import unittest

class TestCases(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def write(self, rel, data):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def test_empty_directory(self):
        self.assertEqual(task_func(self.root), {})

    def test_nested_files(self):
        self.write("a.txt", b"alpha")
        self.write("sub/b.bin", b"\x00\x01")
        self.assertEqual(task_func(self.root), {
            "a.txt": hashlib.sha256(b"alpha").hexdigest(),
            "sub/b.bin": hashlib.sha256(b"\x00\x01").hexdigest(),
        })

    def test_empty_file(self):
        self.write("empty", b"")
        self.assertEqual(task_func(self.root)["empty"],
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    def test_missing_directory(self):
        with self.assertRaises(FileNotFoundError):
            task_func(os.path.join(self.root, "nope"))
