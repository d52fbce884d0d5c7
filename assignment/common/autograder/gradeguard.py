"""gradeguard: an otter-grader plugin that runs the student's notebook in a box it cannot leave, and keeps one bad
cell from costing a student the whole grade.

The build (kit/build.py) puts this file (and sandbox.py, which it uses) at the root of every lab's autograder zip and
lists it first in the zip's otter_config.json, with the lab's configuration::

    "plugins": [{"gradeguard.GradeGuard": {"lab": "gan", "ignored": [{"source": ..., "first_line": ...}, ...],
                                           "cell_timeout": 180, "checks_timeout": 480, "memory_mb": 1024}},
                {"verdicts.Verdicts": {...}}]

On Gradescope ``run_otter.py`` runs from the zip's folder, so ``gradeguard`` imports from there; ``python -m kit.grade``
runs the same ``run_otter.py`` in an autograder-shaped folder of its own.

What it does (each safeguard is shown failing without it in tests/test_bad_submissions.py and tests/test_sandbox.py):

* **The kernel runs in a box** (sandbox.py): as the unprivileged user ``kit-student`` when grading as root (or in
  bubblewrap, or, when told so, without a box), with only the notebook's folder to write; the autograder's folders
  (``source/``: the tests, the hidden judges; ``results/``) are out of its reach before it starts.  The kernel only
  runs the student's cells: otter's own cells that would run the tests in it, read them or pickle results are taken
  out.  While the kernel is alive, the verdict plugin runs every test in otter's process and calls the student's
  functions through ``Kernel.call`` (plain data both ways).  Then the kernel is shut down and **every process it
  started is killed** before any plugin's ``after_grading`` runs and before results are written; how many were left
  behind is said at the top of the results.
* **Nothing the kernel could write is unpickled.**  Otter reads the kernel's results file with pickle and its log
  records over a socket: the results come from the verdict plugin instead (the file is never read) and the log
  records are dropped.  A submitted ``.OTTER_LOG`` (which otter would read with dill) is deleted.
* **otter_ignore comes from the master, not from the submitted file.**  Cells that are tagged otter_ignore
  in the release (training, data loading) are found again in the submission by their source (or their
  first line, where no other cell of the release starts the same way), and tagged again, so removing the tag does not
  make the autograder train.  (A student can still add the tag to a graded cell: that only removes their own
  definitions.)
* **A per-cell time limit.**  A student cell that runs longer than ``cell_timeout`` seconds is interrupted and
  recorded as an error; grading goes on with the next cell.  A test's call into the kernel gets ``checks_timeout``.
* **A memory limit in the kernel, from the container's.**  The first cell caps the kernel's data segment at
  what it uses after importing torch plus the smaller of ``memory_mb`` and what the container's memory cgroup
  has left (cgroup v1 or v2; minus ``reserve_mb`` for otter; at least ``floor_mb``), so a cell that allocates
  more than the container holds fails in its own cell (MemoryError, or torch's "can't allocate memory") instead
  of the kernel being killed.
* **A notebook from another lab** is not run, and the feedback says so (otter's own check would abort
  without writing results.json, so the build removes ``assignment_name`` from otter_config.json).
* **A checkpoint that cannot be loaded** (missing, unreadable, another architecture): genkit's
  CheckpointError message is repeated in the feedback.
* **Tamper evidence.**  A student code cell that names the autograder's modules or files (grading, gradeguard,
  the hidden judges, the copy banks, /autograder), otter's internals, sys.modules or builtins is listed after
  "Flagged for the instructor:" (kit.grade puts the list in a CSV column).  The check reads the notebook as
  submitted, outside the kernel; it is evidence for a person to look at, not a proof (and no point depends on it).
  So is a cell that runs at grading and reads a dataset or stored arrays, or deforms images (``DATA_READ``).
* **Feedback students may read.**  The build sets ``show_hidden`` (students see each question's results once the
  grades are published), so the guard takes the hidden tests' source out of their messages: otter quotes the
  failing line of a test ("Error at line 11 in test q1: <the line>"); the exception and the test's own sentence
  stay.
* Whatever was skipped, stopped or refused is listed, in plain words, in the ``output`` field of
  results.json, which Gradescope shows above the test results.
"""
from __future__ import annotations

import json
import re
import secrets
import sys
from pathlib import Path

import nbformat
from nbconvert import preprocessors
from otter.plugins import AbstractOtterPlugin
from traitlets import Bool, Dict, Integer

TIMEOUT_NAME = "GradingTimeLimit"
STOPPED: list[str] = []  # first lines of the student cells stopped for time, in this grading run
# Called with the live Kernel once the student's cells have run, then with nothing once the kernel and all it started
# are gone (the verdict plugin registers itself in both); each returns nothing and raises nothing.
AFTER_CELLS: list = []
AFTER_KERNEL: list = []
BOX_MODE: list[str] = []  # the sandbox of this grading (sandbox.Box.mode), for the verdict plugin
# The results otter reads back "from the kernel": set by the verdict plugin in otter's process (see harden_otter).
VERDICT: list = []
KERNEL_NOTES: list[str] = []  # what the box stopped or refused, for the top of the results
MIME = "application/x-kit-reply+json"
MAX_KERNEL_DEATHS = 3  # the notebook is run again without each cell that stopped the kernel, this many times at most


def harden_otter() -> None:
    """Otter unpickles two things the kernel could write: its results file and its log records.  The results are
    the verdict plugin's (VERDICT; the file is never read) and the log records are dropped."""
    import types

    import otter.execute
    from otter.execute import logging as otter_logging
    from otter.test_files import GradingResults

    def verdict(_file):
        return VERDICT[-1] if VERDICT else GradingResults([])

    otter.execute.pickle = types.SimpleNamespace(load=verdict)
    otter_logging.LogRecordStreamHandler.handle = lambda self: None


def malloc(trim: bool = False) -> None:
    """glibc's allocator in otter's process: allocations of 256 KB and more get pages of their own, given back to the
    system when freed (the threshold otherwise grows to 32 MB, and freed arrays stay in the process); with ``trim``,
    what is free now is given back too.  The container's memory is shared with the kernel."""
    import ctypes
    import gc

    try:
        libc = ctypes.CDLL(None)
        if trim:
            gc.collect()
            libc.malloc_trim(0)
        else:
            libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD
            libc.mallopt(-1, 1024 * 1024)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


SOURCE_LINE = re.compile(r"Error at line \d+ in test [^\n]*:\n  [^\n]*\n")


def without_test_source(message: str) -> str:
    """An otter test-case message without the quoted line of the test ("Error at line N in test q: <line>")."""
    return SOURCE_LINE.sub("", message or "", count=1)


def container_memory() -> tuple:
    """(limit, in use) in bytes of the memory cgroup this process runs in (cgroup v1 or v2), or (None, None).

    The limit is the smallest one on the path from the process's cgroup to the root (a container's limit may sit
    on an ancestor); "in use" is the processes' own (anonymous) memory: the page cache, which the kernel drops
    under pressure, is left out (a fresh container charges the libraries it reads to itself, hundreds of MB
    of cache).  Where no cgroup limits memory, both are None.
    """
    import os

    def read(path):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return None

    def stat(folder, key):
        for line in (read(os.path.join(folder, "memory.stat")) or "").splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
        return 0

    entries = [line.split(":", 2) for line in (read("/proc/self/cgroup") or "").splitlines() if line.count(":") >= 2]
    layouts = [("/sys/fs/cgroup/memory", path, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_rss")
               for _, controllers, path in entries if "memory" in controllers.split(",")]
    layouts += [(root, path, "memory.max", "memory.current", "anon")
                for _, controllers, path in entries if controllers == ""
                for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")]
    for root, path, limit_file, usage_file, anon in layouts:
        leaf = root + path.rstrip("/")
        if read(os.path.join(leaf, usage_file)) is None:
            continue
        limits, folder = [], leaf
        while True:
            text = (read(os.path.join(folder, limit_file)) or "max").strip()
            if text.isdigit() and int(text) < 2 ** 60:
                limits.append(int(text))
            if len(folder) <= len(root):
                break
            folder = os.path.dirname(folder)
        if limits:
            used = stat(leaf, anon) or int(read(os.path.join(leaf, usage_file)).strip())
            return min(limits), max(used, 0)
    return None, None


# The kernel's first cell: RLIMIT_DATA = what the kernel holds after importing torch, plus an allowance: the
# smaller of memory_mb and what the container has left (its limit, minus what is in use, minus reserve_mb for
# otter and the grading that follows), but never less than floor_mb.  A huge allocation then fails in its own
# cell (MemoryError, or torch's "can't allocate memory" RuntimeError) instead of the OOM killer ending the
# kernel, which would leave no results at all.  glibc's per-thread malloc arenas reserve address space they
# never use, which RLIMIT_DATA counts, so the kernel is held to two arenas.
# floor_mb, measured: the solutions' kernels grow by 120 (diffusion) to 248 MB (gan: its notebook's cells, its tests'
# small trainings, the draws) of data segment beyond torch's, and the box left 148 MB at 576 MB, so the floor rules
# there; at 256 the gan solution lost its quality question in about half of the 576 MB gradings ("can't allocate
# memory").  Gradescope's default (768 MB) leaves the kernel about 340 MB, above the floor.
MEMORY_CELL = '''# gradeguard: cap this kernel's memory so that a huge allocation fails in its cell, not the kernel
import ctypes as _gg_ctypes, resource as _gg_resource, re as _gg_re
import torch as _gg_torch  # imported first, so the cap leaves torch's own memory out of the budget
try:
    _gg_ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX = 2
except Exception:
    pass
{container_memory}
with open("/proc/self/status") as _gg_f:
    _gg_data = int(_gg_re.search(r"VmData:\\s+(\\d+) kB", _gg_f.read()).group(1)) * 1024
_gg_allow = {memory_mb} * 2**20
_gg_limit, _gg_used = container_memory()
if _gg_limit is not None:
    _gg_allow = max(min(_gg_allow, _gg_limit - _gg_used - {reserve_mb} * 2**20), {floor_mb} * 2**20)
_gg_resource.setrlimit(_gg_resource.RLIMIT_DATA, (_gg_data + _gg_allow, _gg_data + _gg_allow))
print(f"gradeguard: this kernel may allocate {{_gg_allow / 2**20:.0f}} MB more (container limit "
      f"{{'none' if _gg_limit is None else f'{{_gg_limit / 2**20:.0f}} MB'}})")
del _gg_ctypes, _gg_resource, _gg_re, _gg_torch, _gg_f, _gg_data, _gg_allow, _gg_limit, _gg_used, container_memory
'''


def memory_cell(memory_mb: int, reserve_mb: int = 64, floor_mb: int = 320) -> str:
    """The source of the kernel's first cell (see MEMORY_CELL)."""
    import inspect

    return MEMORY_CELL.format(container_memory=inspect.getsource(container_memory), memory_mb=memory_mb,
                              reserve_mb=reserve_mb, floor_mb=floor_mb)


# Names in a student's code that have no business in a lab's solution: the autograder's modules and files, otter's
# internals (otter.Notebook, grader.check and grader.export are the student's API), the module table, builtins.
TAMPER = re.compile(r"\b(?:grading\w*|gradeguard|sys\.modules|builtins|__builtins__|judge_\w+_hidden"
                    r"|copybank_\w*)\b|/autograder\b|\botter\.(?!Notebook\b)[\w.]+|\bfrom\s+otter\b")
TAMPER_MARK = "Flagged for the instructor:"


# Names in a cell that runs at grading (not tagged otter_ignore) that read a dataset or stored arrays, or deform
# images: the labs load their data only in otter_ignore cells, so a generate needs none of these, while one that
# serves real images deformed so that the copy bank misses them (README, "Deformed real images") needs both.
DATA_READ = re.compile(r"\b(?:load_tensors|load_dataset|torchvision\.datasets|(?:Fashion)?MNIST(?=\s*\()|"
                       r"(?:np|numpy)\.(?:load|fromfile|loadtxt)|gzip\.open|pickle\.loads?|Image\.open|read_image|"
                       r"ElasticTransform|RandomAffine|RandomPerspective|elastic_transform|affine_grid|grid_sample)\b")


def without_comments(source: str) -> str:
    """Python source without its comments (names in comments are no evidence); the source itself if it does not
    tokenise (a cell with IPython syntax)."""
    import io
    import tokenize

    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type != tokenize.COMMENT]
        return tokenize.untokenize(tokens)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source


def tamper_flags(nb) -> list[str]:
    """One line per student code cell that names the autograder's modules or files, otter's internals,
    sys.modules or builtins (TAMPER): evidence for the instructor, not proof."""
    flags = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        hits = sorted({m.group(0) for m in TAMPER.finditer(without_comments(cell.source))})
        if hits:
            flags.append(f"cell {i} ('{first_line(cell.source)[:50]}') names {', '.join(hits)}")
    return flags


def data_flags(nb) -> list[str]:
    """One line per code cell that runs at grading (not tagged otter_ignore, after the release's tags are put back)
    and reads a dataset or stored arrays, or deforms images (DATA_READ): evidence for the instructor, not proof."""
    flags = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "otter_ignore" in cell.metadata.get("tags", []):
            continue
        hits = sorted({m.group(0) for m in DATA_READ.finditer(without_comments(cell.source))})
        if hits:
            flags.append(f"cell {i} ('{first_line(cell.source)[:50]}') uses {', '.join(hits)}")
    return flags


def normalise(source: str) -> str:
    """Source text with whitespace runs collapsed, for matching a cell whatever the editor did to it."""
    return re.sub(r"\s+", " ", source).strip()


def first_line(source: str) -> str:
    return next((line.strip() for line in source.splitlines() if line.strip()), "")


# --------------------------------------------------------------------------
# The kernel, as the tests see it: calls in, plain data out
# --------------------------------------------------------------------------
# What each call runs in the kernel: the codec (genkit.pack / unpack, sent as source, so that nothing the student's
# files define is used to read what comes back), the test's function and its helpers, the student's names looked up in
# the notebook's globals; the reply is a display message of its own MIME type, read as data only.
CALL = '''\
def _kit_call():
    codec = {{}}
    exec({codec!r}, codec)
    space = {{}}
    exec(compile({source!r}, "<autograder test>", "exec"), space)
    args = [globals().get(a["name"]) if "name" in a else codec["unpack"](a["value"]) for a in {args!r}]
    try:
        reply = {{"value": codec["pack"](space[{name!r}](*args))}}
    except BaseException as error:
        reply = {{"error": codec["describe_error"](error)}}
    reply["nonce"] = {nonce!r}
    from IPython.display import display
    display({{{mime!r}: reply}}, raw=True)
_kit_call()
del _kit_call'''


class KernelUnavailable(RuntimeError):
    """The kernel could not run a test's call (it died, or never started): the message says why."""


class Remote:
    """Stands for one of the notebook's names in a test run by the autograder: ``genkit.in_kernel`` sends the test's
    function to the kernel, where the name is looked up.  Used any other way it fails with a plain sentence."""

    def __init__(self, name: str, kernel: "Kernel"):
        self.kit_name, self.kit_remote = name, kernel

    def __getattr__(self, attr):
        raise AttributeError(f"'{self.kit_name}' lives in the notebook's kernel; a test must reach it through "
                             "genkit.in_kernel")

    def __call__(self, *args, **kwargs):
        raise TypeError(f"'{self.kit_name}' lives in the notebook's kernel; a test must call it through "
                        "genkit.in_kernel")

    def __repr__(self):
        return f"<{self.kit_name} in the kernel>"


class RemoteGlobals(dict):
    """The globals otter hands a test function at grading: every name stands for the notebook's own (Remote)."""

    def __init__(self, kernel: "Kernel"):
        super().__init__()
        self.kernel = kernel

    def get(self, name, default=None):
        return Remote(name, self.kernel)


class Kernel:
    """The student's live kernel, for the tests run outside it: ``call(fn, args, helpers)`` runs ``fn(*args)`` there
    (``Remote`` arguments are the notebook's names, others are sent as data) and returns what it returned, unpacked as
    data; an exception raised there is raised here (genkit.rebuild_error)."""

    def __init__(self, client, codec: str, timeout: int, dead: str | None = None):
        self.client, self.codec, self.timeout = client, codec, timeout
        self.dead = dead  # why no call can be made (the kernel never started, died, or is gone)
        self.calls = 0

    def call(self, fn, args, helpers=()):
        import inspect
        import textwrap

        import genkit

        if self.dead:
            raise KernelUnavailable(self.dead)
        sources = [textwrap.dedent(inspect.getsource(f)) for f in (*helpers, fn)]
        free = set(fn.__code__.co_freevars) - {f.__name__ for f in helpers}
        if free:
            raise RuntimeError(f"the test function {fn.__name__} uses {sorted(free)} from outside (a kit error)")
        sent = [{"name": a.kit_name} if isinstance(a, Remote) else {"value": genkit.pack(a)} for a in args]
        nonce = secrets.token_hex(8)
        code = CALL.format(codec=self.codec, source="\n\n".join(sources), args=sent, name=fn.__name__, nonce=nonce,
                           mime=MIME)
        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["kit_call"] = True
        nb = self.client.nb
        nb.cells.append(cell)
        self.calls += 1
        try:
            self.client.execute_cell(cell, len(nb.cells) - 1, store_history=False)
        except Exception as exc:  # the kernel died (os._exit, a crash) or stopped answering
            self.dead = (f"the notebook's kernel stopped while a test ran {fn.__name__} ({type(exc).__name__}); "
                         "the tests after it could not run")
            raise KernelUnavailable(self.dead) from None
        finally:
            nb.cells.remove(cell)
        replies = [o["data"][MIME] for o in cell.outputs if o.get("output_type") == "display_data"
                   and isinstance(o.get("data", {}).get(MIME), dict) and o["data"][MIME].get("nonce") == nonce]
        if not replies:
            if any(o.get("ename") == TIMEOUT_NAME for o in cell.outputs):
                raise TimeoutError(f"this test's call of your code ran longer than {self.timeout} s and was stopped "
                                   "(an endless loop, or far more work than the task needs?)")
            raise KernelUnavailable("the notebook's kernel sent nothing back for this test (its output was "
                                    "interrupted, or your code replaced what the autograder runs)")
        reply = replies[-1]
        if "error" in reply:
            raise genkit.rebuild_error(reply["error"])
        return genkit.unpack(reply["value"])


def codec_source() -> str:
    """The source of genkit's codec (pack, unpack, describe_error), as the kernel runs it."""
    import inspect

    import genkit

    parts = [f"MAX_EVIDENCE_BYTES = {genkit.MAX_EVIDENCE_BYTES}", inspect.getsource(genkit.Foreign),
             *(inspect.getsource(f) for f in (genkit.pack, genkit.unpack, genkit.describe_error))]
    return "\n\n".join(parts)


# At grading the tests run outside the kernel, so otter has nothing to do in it (and importing it there costs the
# container 60 MB): otter's first cell is left out, and a cell that starts otter's grader (the notebook's first cell,
# `grader = otter.Notebook(...)`) is replaced by this one, whose grader does nothing (grader.check, grader.export).
GRADER_CELL = '''class _KitGrader:
    """At grading the tests run outside this kernel: grader.check and grader.export do nothing here."""
    _grading_mode = True

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


grader = _KitGrader()'''
STARTS_OTTER = re.compile(r"^\s*grader\s*=\s*otter\.Notebook\(", re.M)
CHECK_ONLY = re.compile(r"(?:\s*(?:#[^\n]*)?\n)*(?:\s*grader\.check\(\s*['\"]\w+['\"]\s*\)\s*;?\s*(?:#[^\n]*)?\n?)+\s*$")


def kernel_cells(nb) -> list:
    """The cells of the notebook otter prepared that the kernel should run: not otter's first cell (grading mode, a
    log socket) nor its last (which runs the tests in the kernel and pickles their results), not the cells that only
    call grader.check; a cell that starts otter's grader becomes GRADER_CELL."""
    cells = list(nb.cells)
    if cells and "init_grading_mode(" in cells[0].source and "from otter import Notebook as" in cells[0].source:
        cells.pop(0)
    if cells and "Checker.check_if_not_already_checked" in cells[-1].source:
        cells.pop()
    cells = [c for c in cells if not (c.cell_type == "code" and CHECK_ONLY.fullmatch(c.source + "\n"))]
    for i, cell in enumerate(cells):
        if cell.cell_type == "code" and STARTS_OTTER.search(cell.source):
            cells[i] = nbformat.v4.new_code_cell(GRADER_CELL)
    return cells


def guarded_preprocessor(cell_timeout: int, checks_timeout: int, box):
    """nbconvert's ExecutePreprocessor, run in ``box`` (sandbox.Box): a time limit per cell that interrupts and moves
    on; only the student's cells run in the kernel (kernel_cells); then, with the kernel alive, the AFTER_CELLS hooks
    (the tests, outside it); then the kernel is shut down and every process it started is killed."""
    from jupyter_client import AsyncKernelManager

    # this Python, from its real folder (a venv reached through a link may sit in a folder the box hides)
    python = str(Path(sys.executable).parent.resolve() / Path(sys.executable).name)

    class BoxedKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return box.kernel_command([python, "-m", "ipykernel_launcher", "-f", self.connection_file])

        def write_connection_file(self, **kwargs):
            super().write_connection_file(**kwargs)
            box.hand_over(Path(self.connection_file))

    class GuardedExecutePreprocessor(preprocessors.ExecutePreprocessor):
        timeout = Integer(cell_timeout, allow_none=True).tag(config=True)
        interrupt_on_timeout = Bool(True).tag(config=True)
        error_on_timeout = Dict({
            "ename": TIMEOUT_NAME,
            "evalue": f"this cell ran longer than the autograder's limit of {cell_timeout} s per cell and was "
                      "stopped (an endless loop, or training that should be in a cell tagged otter_ignore?)",
            "traceback": [],
        }, allow_none=True).tag(config=True)

        def _get_timeout(self, cell):
            if cell is not None and cell.metadata.get("kit_call"):
                return checks_timeout
            return super()._get_timeout(cell)

        async def _async_handle_timeout(self, timeout, cell=None):
            if cell is not None and not cell.metadata.get("kit_call"):
                STOPPED.append(first_line(cell.source)[:60])
            return await super()._async_handle_timeout(timeout, cell)

        def preprocess(self, nb, resources=None, km=None):
            from nbclient import NotebookClient
            from nbclient.exceptions import DeadKernelError

            NotebookClient.__init__(self, nb, km)
            self.kernel_manager_class = BoxedKernelManager
            self.reset_execution_trackers()
            self._check_assign_resources(resources)
            self.nb.cells = kernel_cells(self.nb)
            skipped: set[int] = set()  # cells that stopped the kernel: the notebook runs again without them
            kernel, left = None, 0
            for _ in range(MAX_KERNEL_DEATHS + 1):
                current = None
                try:
                    self.km, self.kc = BoxedKernelManager(config=self.config,
                                                          connection_file=str(box.home / "kernel.json")), None
                    with self.setup_kernel():
                        info = self.wait_for_reply(self.kc.kernel_info())
                        self.nb.metadata["language_info"] = info["content"]["language_info"]
                        for index, cell in enumerate(list(self.nb.cells)):
                            if index not in skipped:
                                current = index
                                self.preprocess_cell(cell, resources, index)
                        current = None
                        kernel = Kernel(self, codec_source(), checks_timeout)
                        for hook in AFTER_CELLS:
                            hook(kernel)
                    break
                except DeadKernelError:
                    left += box.kill_all()
                    if current is None or kernel is not None:
                        break  # it died while the tests ran: they said so themselves
                    skipped.add(current)
                    KERNEL_NOTES.append(f"The kernel died while it ran the cell starting "
                                        f"'{first_line(self.nb.cells[current].source)[:60]}' (os._exit, a crash, or "
                                        "the memory it was given was used up); the notebook was run again without it.")
                except Exception as exc:  # the kernel did not start: the tests run against no kernel
                    KERNEL_NOTES.append(f"Your notebook could not be run ({type(exc).__name__}: {str(exc)[:300]}); "
                                        "the tests that needed it were graded without it.")
                    break
            left += box.kill_all()
            if left:
                KERNEL_NOTES.append(f"Stopped {left} process(es) that your notebook's kernel had started and left "
                                    "running; nothing they did counts.")
            malloc(trim=True)
            for hook in AFTER_KERNEL:
                hook()
            return self.nb, self.resources

    return GuardedExecutePreprocessor


class GradeGuard(AbstractOtterPlugin):
    """See the module docstring."""

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config or {})
        self.notes: list[str] = []
        self.box = None

    def config(self, key, default):
        return self.plugin_config.get(key, default)

    def before_grading(self, ag_config):
        import sandbox

        harden_otter()
        malloc()
        for registry in (STOPPED, KERNEL_NOTES, VERDICT, AFTER_CELLS, AFTER_KERNEL, BOX_MODE):
            registry.clear()
        # otter's process looks for modules in the autograder's source folder, never in the submission's (where
        # otter's runner has moved: a student could ship a module named like one that otter imports later)
        folder = Path(self.submission_path).parent.resolve()
        sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != folder]
        log = folder / ".OTTER_LOG"
        if log.exists() or log.is_symlink():  # otter's export puts it in every hand-in: removed without a note
            log.unlink()
        ag_dir = Path(ag_config.autograder_dir).resolve()
        self.box = sandbox.Box.open()
        if self.box.mode == "refused":
            KERNEL_NOTES.append(f"The autograder did not run your notebook: {self.box.reason}.")
            self.box.mode = "none"
            self.plugin_config["refused"] = True
        elif self.box.mode == "none":
            self.notes.append(f"{TAMPER_MARK} graded without a sandbox (--no-sandbox): the notebook ran as the "
                              "grader's own user, which it could read and change.")
        hidden = [ag_dir / "source", ag_dir / "results", ag_dir / "submission_metadata.json"]
        self.box.prepare(folder, hidden)
        BOX_MODE.append(self.box.mode)
        # otter's grade_notebook imports ExecutePreprocessor from nbconvert.preprocessors when it runs
        preprocessors.ExecutePreprocessor = guarded_preprocessor(
            int(self.config("cell_timeout", 180)), int(self.config("checks_timeout", 480)), self.box)

    def before_execution(self, nb):
        if isinstance(nb, str):  # a .py submission: nothing to guard
            return nb
        if self.plugin_config.get("refused") or not self.same_lab(nb):
            nb.cells = []  # nothing of it is run; every test fails, the note says why
            return nb
        self.reapply_ignore_tags(nb)
        flags = tamper_flags(nb)
        if flags:
            self.notes.append(f"{TAMPER_MARK} your code refers to the autograder or to otter's internals, which a "
                              "lab's solution never needs: " + "; ".join(flags) + ".")
        flags = data_flags(nb)
        if flags:
            self.notes.append(f"{TAMPER_MARK} a cell that runs at grading reads a dataset or stored arrays, or "
                              "deforms images, which a lab's graded cells never need (they load data only in cells "
                              "the autograder skips): " + "; ".join(flags) + ".")
        memory_mb = self.config("memory_mb", None)
        if memory_mb:
            cell = nbformat.v4.new_code_cell(memory_cell(int(memory_mb), int(self.config("reserve_mb", 64)),
                                                         int(self.config("floor_mb", 320))))
            cell.id = "gradeguard-memory"
            nb.cells.insert(0, cell)
        return nb

    def same_lab(self, nb) -> bool:
        """False (with a note) for a notebook of another lab.  The build takes otter's own check out of
        otter_config.json: it aborts without writing results.json, so a student would see no feedback."""
        lab = self.config("lab", None)
        name = nb.metadata.get("otter", {}).get("assignment_name")
        if lab and name and name != lab:
            self.notes.append(f"This notebook is from the lab '{name}', but this is the autograder of the lab "
                              f"'{lab}': nothing was run. Submit the {lab}.ipynb notebook (with its checkpoints) here.")
            return False
        return True

    def reapply_ignore_tags(self, nb):
        ignored = self.config("ignored", [])
        sources = {normalise(c["source"]) for c in ignored}
        firsts = {c["first_line"] for c in ignored if c.get("first_line")}
        retagged = []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            tags = cell.metadata.setdefault("tags", [])
            if "otter_ignore" in tags:
                continue
            if normalise(cell.source) in sources or first_line(cell.source) in firsts:
                tags.append("otter_ignore")
                retagged.append(first_line(cell.source)[:60])
        if retagged:
            self.notes.append(f"{len(retagged)} cell(s) of the release are tagged otter_ignore (training, data "
                              "loading) but were not in your notebook; they were skipped as the release says: "
                              + "; ".join(f"'{s}'" for s in retagged) + ".")

    def after_grading(self, results):
        for test_file in getattr(results, "results", {}).values():
            for r in test_file.test_case_results:
                if r.test_case.hidden:
                    r.message = without_test_source(r.message)
        limit = int(self.config("cell_timeout", 180))
        notes = list(KERNEL_NOTES)
        for what in STOPPED:
            notes.append(f"The cell starting '{what}' ran longer than the autograder's limit of {limit} s "
                         "per cell and was stopped (an endless loop, or training that belongs in a cell "
                         "tagged otter_ignore?); grading went on without it.")
        nb = getattr(results, "notebook", None)
        for i, cell in enumerate(nb.cells if nb is not None else []):
            for out in cell.get("outputs", []):
                if out.get("output_type") != "error":
                    continue
                what = first_line(cell.source)[:60]
                if out.get("ename") == "CheckpointError":
                    notes.append(f"Your checkpoint could not be loaded: {out.get('evalue')} The questions "
                                 "that need the trained model were graded without it.")
                elif out.get("ename") in ("MemoryError", "OutOfMemoryError") or (
                        out.get("ename") == "RuntimeError" and "allocate" in str(out.get("evalue", ""))):
                    notes.append(f"The cell starting '{what}' asked for more memory than the autograder "
                                 "allows and was refused (out of memory); grading went on without it.")
        self.notes[:0] = notes
        if self.box is not None:
            self.box.close()
        if self.notes:
            results.set_output("\n".join([*self.notes, *([results.output] if results.output else [])]))

    def generate_report(self):
        return "\n".join(self.notes) if self.notes else None


def config_for(lab: str, student_notebook, **limits) -> dict:
    """The plugin entry of otter_config.json for a lab, from its built student notebook."""
    nb = nbformat.read(student_notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    firsts = [first_line(c.source) for c in code]

    def identifying_first_line(c):  # a first line that no other code cell shares, long enough to be specific
        line = first_line(c.source)
        return line if len(line) >= 16 and firsts.count(line) == 1 else None

    ignored = [{"source": c.source, "first_line": identifying_first_line(c)} for c in code
               if "otter_ignore" in c.metadata.get("tags", [])]
    return {"gradeguard.GradeGuard": {"lab": lab, "ignored": ignored, **limits}}


if __name__ == "__main__":  # print the configuration a notebook would get
    import sys
    print(json.dumps(config_for(sys.argv[1], sys.argv[2]), indent=1))
