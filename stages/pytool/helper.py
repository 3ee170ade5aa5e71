"""ccw's pytool helper: reads generated Python without running it.

Started by ccw (package stages/pytool) as `python -I -S -c SOURCE MEMORY CPU
BUDGET MAXLINE`. It answers JSON lines on stdin with JSON lines on stdout,
one at a time, after a first line that says it is ready. Operations:

  compile       CPython compile(code, "tmp.py", "exec"): the sentinel
                "No syntax errors" or traceback.format_exc(), as
                ConvCodeWorld's compilation feedback.
  sanitize      BigCodeBench's sanitizer rebuilt on ast: the longest range
                of lines that parses, then the imports and the definitions
                the entry point reaches.
  test_methods  the names of the function definitions inside the classes of
                a test module, in the order ConvCodeWorld lists them.

Nothing here executes the code it reads: only compile() and ast. Limits
(address space, CPU seconds per request) are set by the helper itself
because compile() of hostile source can still be costly.
"""

import ast
import json
import linecache
import resource
import sys
import traceback

SENTINEL = "No syntax errors"

# The frame feedback shows: a file name that is the same on every machine,
# registered with linecache so that format_exc prints its source line.
CHECK_FILE = "ccw_check.py"
CHECK_SOURCE = """\
def compile_code(code):
    try:
        compile(code, "tmp.py", "exec")
    except Exception as e:
        return traceback.format_exc(), type(e).__name__
    return SENTINEL, ""
"""


def load_check():
    linecache.cache[CHECK_FILE] = (
        len(CHECK_SOURCE), None, CHECK_SOURCE.splitlines(True), CHECK_FILE)
    ns = {"traceback": traceback, "SENTINEL": SENTINEL}
    exec(compile(CHECK_SOURCE, CHECK_FILE, "exec"), ns)
    return ns["compile_code"]


compile_code = load_check()

LIMIT_OF = {"MemoryError": "memory", "RecursionError": "recursion"}


def op_compile(req):
    feedback, exc = compile_code(req.get("code", ""))
    return {"ok": exc == "", "feedback": feedback, "limit": LIMIT_OF.get(exc, "")}


# ---------------------------------------------------------------- sanitize


def parses(src):
    try:
        ast.parse(src)
        return True
    except Exception:  # SyntaxError, ValueError (NUL), MemoryError, RecursionError
        return False


# compile() flag (CPython 3.11+, as codeop uses it): input that more lines
# could complete fails with "incomplete input" instead of its error.
ALLOW_INCOMPLETE_INPUT = 0x4000 if sys.version_info >= (3, 11) else 0


def definite_error(src):
    """Whether src fails to parse in a way no following lines can mend.
    With ALLOW_INCOMPLETE_INPUT, CPython reports "incomplete input" as soon
    as its first parser pass reached the end of the input; any other error
    was decided on tokens before the end, which stay the same whatever
    lines follow. Without the flag only a fence line is known."""
    if not ALLOW_INCOMPLETE_INPUT:
        return src.lstrip().startswith("`") and "\n" not in src
    try:
        compile(src + "\n", "<range>", "exec", ast.PyCF_ONLY_AST | ALLOW_INCOMPLETE_INPUT, dont_inherit=True)
    except SyntaxError as e:
        return e.msg != "incomplete input"
    except ValueError:  # a NUL byte: every range holding it fails
        return True
    except Exception:
        return False
    return False


def longest_code(text, budget):
    """Returns the longest contiguous range of lines of text that parses,
    by BigCodeBench's rule, and whether the search ran out of budget.

    The original tries every range i..j (j > i) in order and keeps the
    first one with strictly more non-blank lines than any before; with
    nothing found it returns line 0. The same answer comes out of a search
    that, for each start i, finds the first end e at which the range has a
    definite error (all longer ones fail too), then looks below e for the
    longest range that parses, skipping whatever cannot beat the best so
    far. budget bounds the characters handed to the parser: past it the
    result is the best found so far.
    """
    lines = text.split("\n")
    n = len(lines)
    nb = [0] * (n + 1)
    off = [0] * (n + 1)
    for k, line in enumerate(lines):
        nb[k + 1] = nb[k] + (1 if line.strip() else 0)
        off[k + 1] = off[k] + len(line) + 1
    joined = "\n".join(lines)
    spent = 0
    best, bi, bj = 0, 0, 0

    def piece(i, j):
        nonlocal spent
        spent += off[j + 1] - off[i]
        return joined[off[i]:off[j + 1] - 1]

    def first_error(i):
        """The smallest j >= i with a definite error in i..j, or n."""
        if definite_error(piece(i, i)):
            return i
        lo, step = i, 1
        while True:
            j = min(lo + step, n - 1)
            if j == lo:
                return n
            if definite_error(piece(i, j)):
                break
            lo, step = j, step * 2
        hi = j
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if definite_error(piece(i, mid)):
                hi = mid
            else:
                lo = mid
        return hi

    for i in range(n):
        if nb[n] - nb[i] <= best:
            break
        if spent > budget:
            return "\n".join(lines[bi:bj + 1]), True
        end = first_error(i)
        hi = -1
        for j in range(min(end, n) - 1, i, -1):
            c = nb[j + 1] - nb[i]
            if c <= best:
                break
            if spent > budget:
                return "\n".join(lines[bi:bj + 1]), True
            if parses(piece(i, j)):
                hi = j
                break
        if hi < 0:
            continue
        c = nb[hi + 1] - nb[i]
        j = i + 1
        while nb[j + 1] - nb[i] < c:
            j += 1
        while j < hi and spent <= budget and not parses(piece(i, j)):
            j += 1
        if j < hi and spent > budget:
            return "\n".join(lines[i:hi + 1]), True
        best, bi, bj = c, i, j
    return "\n".join(lines[bi:bj + 1]), False


class Source:
    """Maps ast positions (line, UTF-8 column) to offsets in the text,
    splitting lines as the parser does (\\r\\n, \\r or \\n)."""

    def __init__(self, text):
        self.text = text
        self.starts = [0]
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 2
                self.starts.append(i)
            elif ch in "\r\n":
                i += 1
                self.starts.append(i)
            else:
                i += 1
        self.starts.append(n)

    def line(self, no):  # 1-based, without its line ending
        s, e = self.starts[no - 1], self.starts[no]
        return self.text[s:e].rstrip("\r\n")

    def lines(self):
        return len(self.starts) - 1

    def offset(self, no, col):
        line = self.line(no)
        return self.starts[no - 1] + len(line.encode("utf-8")[:col].decode("utf-8", "replace"))


def names_in(node):
    """Every identifier under node, as tree-sitter would see them."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.Attribute):
            out.add(n.attr)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.keyword) and n.arg:
            out.add(n.arg)
        elif isinstance(n, ast.alias):
            out.update(n.name.split("."))
            if n.asname:
                out.add(n.asname)
        elif isinstance(n, ast.ImportFrom) and n.module:
            out.update(n.module.split("."))
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update(n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif type(n).__name__ in ("MatchAs", "MatchStar") and n.name:
            out.add(n.name)
        elif type(n).__name__ == "MatchMapping" and n.rest:
            out.add(n.rest)
        elif type(n).__name__ == "MatchClass":
            out.update(n.kwd_attrs)
    return out


def target_names(t, out):
    if isinstance(t, ast.Name):
        out.append(t.id)
    elif isinstance(t, (ast.Tuple, ast.List)):
        for e in t.elts:
            target_names(e, out)
    elif isinstance(t, ast.Starred):
        target_names(t.value, out)
    return out


DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
IMPORTS = (ast.Import, ast.ImportFrom)


def reachable(entry, deps):
    seen, queue = {entry}, [entry]
    while queue:
        for d in deps.get(queue.pop(), ()):
            if d not in seen:
                seen.add(d)
                queue.append(d)
    return seen


def sanitize_original(code, tree, entry):
    """The original's output: every import (not __future__), then the
    first definition of each name (undecorated functions and classes,
    assignments named as tree-sitter names them) that the entry point
    reaches, one per line, then its cut of trailing top-level lines that
    mention the entry point."""
    src = Source(code)
    imports, defs, taken = [], [], set()
    for st in tree.body:
        if isinstance(st, ast.Import) or (isinstance(st, ast.ImportFrom) and st.module != "__future__"):
            imports.append(st)
            continue
        if isinstance(st, DEFS):
            if st.decorator_list:
                continue  # tree-sitter: a decorated_definition, not kept
            name = st.name
        elif isinstance(st, (ast.Assign, ast.AnnAssign)):
            name = original_assign_name(st)
        else:
            continue
        if name not in taken:
            taken.add(name)
            defs.append((name, st))
    deps = {name: names_in(st) for name, st in defs if name is not None}
    reach = reachable(entry, deps)
    out = ""
    for st in imports:
        out += segment(src, st, False) + "\n"
    for name, st in defs:
        if name in reach:
            out += segment(src, st, isinstance(st, DEFS)) + "\n"
    out = out[:-1]
    lines = out.splitlines()
    cut = []
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(" "):
            break
        if entry in lines[i]:
            cut.append(i)
    if cut:
        out = "\n".join(lines[:cut[-1]])
    return out


def original_assign_name(st):
    """tree-sitter's name of an assignment: its first identifier child,
    that is the target when it is a plain name, else the value when that
    is (a, b = c is named c; x.y = 1 has no name)."""
    targets = st.targets if isinstance(st, ast.Assign) else [st.target]
    if isinstance(targets[0], ast.Name):
        return targets[0].id
    if len(targets) == 1 and isinstance(st.value, ast.Name):
        return st.value.id
    return None


def segment(src, st, trailing_comments):
    start = src.offset(st.lineno, st.col_offset)
    end = src.offset(st.end_lineno, st.end_col_offset)
    if trailing_comments:
        end = block_end(src, st, end)
    return src.text[start:end]


def block_end(src, st, end):
    """tree-sitter ends a block after the comments that follow its last
    statement on its line, or on later lines indented at least as deep as
    the block's body."""
    no = st.end_lineno
    rest = src.text[end:src.starts[no - 1] + len(src.line(no))]
    if rest.strip().startswith("#"):
        end += len(rest)
    body = st.body[0]
    if body.lineno == st.lineno:
        return end
    indent = len(src.line(body.lineno)) - len(src.line(body.lineno).lstrip())
    for k in range(no + 1, src.lines() + 1):
        line = src.line(k)
        text = line.lstrip()
        if not text:
            continue
        if not text.startswith("#") or len(line) - len(text) < indent:
            break
        end = src.starts[k - 1] + len(line)
    return end


def sanitize_minimal(code, tree, entry):
    """ccw's default: the extracted code with the top-level statements it
    does not keep removed, everything else as written. Kept: every import,
    and every definition (functions and classes with their decorators,
    assignments to plain names) of a name the entry point reaches, except
    assignments that call or name the entry point in their value (they
    would run it at import). A name defined twice keeps both, so the last
    one still wins as it did in the answer."""
    src = Source(code)
    deps, units = {}, []
    for st in tree.body:
        names = []
        if isinstance(st, DEFS):
            names = [st.name]
        elif isinstance(st, ast.Assign):
            for t in st.targets:
                target_names(t, names)
        elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
            names = [st.target.id]
        ids = names_in(st) if names else set()
        for name in names:
            deps.setdefault(name, set()).update(ids)
        units.append((st, names))
    reach = reachable(entry, deps)
    keep = []
    for st, names in units:
        k = isinstance(st, IMPORTS)
        if names and any(n in reach for n in names):
            k = True
            if isinstance(st, (ast.Assign, ast.AnnAssign)) and st.value is not None and entry in names_in(st.value):
                k = False
        keep.append(k)
    return assemble(src, [u[0] for u in units], keep)


def first_line(src, st):
    """The first line of a top-level statement, its decorators included."""
    no = st.lineno
    if isinstance(st, DEFS) and st.decorator_list:
        no = min(d.lineno for d in st.decorator_list)
        while no > 1 and not src.line(no).startswith("@"):
            no -= 1
    return no


def assemble(src, stmts, keep):
    # Statements that share lines (a; b) form one group; a group owns its
    # lines and the comment lines right above it.
    groups = []  # [first, last, [indexes]] of statements sharing lines
    for idx, st in enumerate(stmts):
        first, last = first_line(src, st), st.end_lineno
        if groups and first <= groups[-1][1]:
            groups[-1][1] = max(groups[-1][1], last)
            groups[-1][2].append(idx)
        else:
            groups.append([first, last, [idx]])
    out = []
    line_no = 1
    last_kept = 0
    for first, last, members in groups:
        lead = first
        while lead - 1 >= line_no and src.line(lead - 1).lstrip().startswith("#"):
            lead -= 1
        for k in range(line_no, lead):
            out.append(("glue", src.line(k)))
        kept = [keep[i] for i in members]
        if all(kept):
            for k in range(lead, last + 1):
                out.append(("kept", src.line(k)))
            last_kept = len(out)
        elif any(kept):
            for k in range(lead, first):
                out.append(("kept", src.line(k)))
            for i in members:
                if keep[i]:
                    out.append(("kept", segment(src, stmts[i], False)))
            last_kept = len(out)
        else:
            out.append(("dropped", ""))
        line_no = last + 1
    # Blank lines between two kept lines stay as written, except where a
    # statement was dropped: there the longest of the blank runs around
    # it stays. None stay before the first kept line.
    lines, runs, started = [], [[]], False
    for kind, text in out[:last_kept]:
        if kind == "dropped":
            runs.append([])
        elif not text.strip() and kind == "glue":
            runs[-1].append(text)
        else:
            if started:
                lines.extend(max(runs, key=len))
            lines.append(text)
            runs, started = [[]], True
    return "\n".join(lines)


def op_sanitize(req, budget):
    answer, entry = req.get("code", ""), req["entry_point"]
    text = answer
    prompt = req.get("prompt") or ""
    if prompt:
        text = text.replace("```python\n    ", "```python\n" + prompt + "    ")
    code, bounded = longest_code(text.strip(), budget)
    try:
        tree = ast.parse(code)
    except Exception:
        tree = ast.Module(body=[], type_ignores=[])
    if req.get("fidelity"):
        out = sanitize_original(code, tree, entry)
    else:
        out = sanitize_minimal(code, tree, entry)
    return {"code": out, "changed": out != answer, "found": defines(out, entry),
            "limit": "search" if bounded else ""}


def defines(code, name):
    """Whether code defines name at top level."""
    try:
        tree = ast.parse(code)
    except Exception:
        return False
    for st in tree.body:
        if isinstance(st, DEFS) and st.name == name:
            return True
        if isinstance(st, ast.Assign) and name in [n for t in st.targets for n in target_names(t, [])]:
            return True
        if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name) and st.target.id == name:
            return True
    return False


# ------------------------------------------------------------ test methods


def op_test_methods(req):
    """ConvCodeWorld's extract_methods: for every class in ast.walk order,
    the FunctionDefs below it in source order (nested ones included; a
    class inside a class is listed again when the walk reaches it)."""
    try:
        tree = ast.parse(req.get("test", ""))
    except Exception as e:
        return {"error": "the test module does not parse: %s: %s" % (type(e).__name__, e)}
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            stack = list(reversed(list(ast.iter_child_nodes(node))))
            while stack:
                n = stack.pop()
                if isinstance(n, ast.FunctionDef):
                    names.append(n.name)
                stack.extend(reversed(list(ast.iter_child_nodes(n))))
    return {"names": names}


# ------------------------------------------------------------------- serve


def set_limits(memory):
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def cpu_deadline(seconds):
    """Lets the process use `seconds` more CPU seconds: past them the
    kernel sends SIGXCPU, whose default action ends it."""
    if seconds <= 0:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    now = int(used.ru_utime + used.ru_stime) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = now + seconds
    if hard != resource.RLIM_INFINITY and soft > hard:
        soft = hard
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def handle(req, budget):
    op = req.get("op")
    if op == "compile":
        return op_compile(req)
    if op == "sanitize":
        return op_sanitize(req, budget)
    if op == "test_methods":
        return op_test_methods(req)
    return {"error": "unknown op %r" % (op,)}


def main():
    memory, cpu, budget, maxline = (int(a) for a in sys.argv[1:5])
    set_limits(memory)
    out = sys.stdout
    out.write(json.dumps({"ready": True, "python": sys.version.split()[0]}) + "\n")
    out.flush()
    stdin = sys.stdin.buffer
    while True:
        line = stdin.readline(maxline + 1)
        if not line:
            return
        if len(line) > maxline:
            out.write(json.dumps({"error": "request longer than %d bytes" % maxline}) + "\n")
            out.flush()
            return
        cpu_deadline(cpu)
        try:
            resp = handle(json.loads(line), budget)
        except MemoryError:
            resp = {"limit": "memory"}
        except RecursionError:
            resp = {"limit": "recursion"}
        except Exception as e:  # a bug of the helper: an error, never a result
            resp = {"error": "helper failed: %s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(resp) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
