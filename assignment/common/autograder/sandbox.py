"""sandbox: the grading kernel runs as an unprivileged user, sees only the notebook's folder, and dies whole.

The grading guard (gradeguard.py) starts the student's kernel through ``Box.kernel_command`` and calls
``Box.kill_all`` when the notebook and the tests are done, before any result is written.  Three ways, chosen by
``Box.open`` (the environment variable KIT_SANDBOX forces one: ``user``, ``bwrap`` or ``none``):

* ``user`` (the process runs as root: Gradescope, CI, containers, cluster jobs): the kernel runs as the user
  ``kit-student`` (``kit-student2``, ``kit-student3``, ... when several gradings share a machine: each holds a lock
  file of its own under LOCKS while it grades), created when missing (the zip's setup.sh creates ``kit-student``
  on Gradescope).  Before the kernel starts, the autograder folder is made unreadable to that user
  (``source/``, ``results/``, the grader's files) and only the notebook's folder is handed to it; the folders above
  the grading Python are made passable (``o+x``, not readable) so that it can start.  Where the machine allows it
  (root outside a locked-down container), the kernel also gets a mount namespace of its own: a private ``/tmp``, and
  the folders named in KIT_SANDBOX_HIDE (``python -m kit.grade`` names the kit, the class's submissions and
  results) replaced by empty ones, but for those named in KIT_SANDBOX_KEEP (the grading Python).  The kernel cannot
  read the grader's memory (another user's ``/proc/PID/mem``), gains no privilege (``no_new_privs``: setuid
  programs do not raise it), and cannot write the installed packages (root's).
* ``bwrap`` (not root, bubblewrap installed): the kernel runs in a bubblewrap sandbox: the whole file system read
  only, the notebook's folder writable, the autograder's folders hidden, its own process namespace.
* ``none``: the kernel runs as the grader's own user.  ``python -m kit.grade`` refuses this unless told
  ``--no-sandbox``, and then says so at the top of the results and in the CSV's flags column.

**Dies whole.**  The grading process is the child subreaper of everything it starts (``PR_SET_CHILD_SUBREAPER``):
a process the kernel leaves behind, however it detaches (a session of its own, a double fork), is re-parented to
it and not to init.  ``kill_all`` stops every such process and, in ``user`` mode, every process of the box's user
(``kill(-1, SIGKILL)`` run as that user, which the kernel applies to all its processes at once), until none is left.

Run as a script, this file is the launcher that drops privileges: ``python sandbox.py UID GID HOME -- CMD ...``.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

USER = "kit-student"
LOCKS = "/run/kit-sandbox"  # root-only: one lock file per user slot
MAX_SLOTS = 64
NPROC = 512  # processes the box's user may have at once (a fork bomb stops there)
FILE_SIZE = 4 * 2**30  # the largest file the kernel may write
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # folders every user may write: the kernel gets its own
KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
            "PYDEVD_DISABLE_FILE_VALIDATION")


def _prctl(option: int, value: int) -> bool:
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Make this process the child subreaper of what it starts (Linux); False where that is not possible."""
    return _prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


def user_name(slot: int) -> str:
    return USER if slot == 0 else f"{USER}{slot + 1}"


def ensure_user(name: str) -> tuple[int, int]:
    """(uid, gid) of the user ``name``, created (no home, no login shell) when missing."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        adder = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run([adder, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
                       check=True, capture_output=True)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def processes() -> dict[int, tuple[int, int]]:
    """{pid: (uid, parent pid)} of every process this one can see."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                status = dict(line.split(":", 1) for line in f if ":" in line)
            out[int(entry)] = (int(status["Uid"].split()[0]), int(status["PPid"].split()[0]))
        except (OSError, KeyError, ValueError):
            continue
    return out


def descendants(table: dict, root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (_, ppid) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class Box:
    """Where one grading's kernel runs (see the module docstring).  ``mode``: "user", "bwrap" or "none"."""

    def __init__(self, mode: str, uid: int | None = None, gid: int | None = None, user: str = "", lock=None):
        self.mode, self.uid, self.gid, self.user, self._lock = mode, uid, gid, user, lock
        self.home: Path | None = None
        self.hidden: list[Path] = []
        self.keep: list[Path] = []
        self.workdir: Path | None = None
        self.subreaper = False

    # ---------------------------------------------------------------- choosing
    @classmethod
    def open(cls, forced: str | None = None) -> "Box":
        """The box this process can make: ``forced`` (or KIT_SANDBOX) if given, else ``user`` as root, ``bwrap``
        where bubblewrap is installed, else a Box whose ``refused`` says why no sandbox could be made."""
        mode = (forced or os.environ.get("KIT_SANDBOX") or "").strip() or None
        if mode == "none":
            return cls("none")
        if mode in (None, "user") and os.geteuid() == 0:
            return cls._user_slot()
        if mode in (None, "bwrap") and shutil.which("bwrap"):
            return cls("bwrap")
        box = cls("refused")
        box.reason = ("no sandbox is available: grade as root (the kernel then runs as the unprivileged user "
                      f"{USER}), or install bubblewrap, or pass --no-sandbox to run student code as this user")
        return box

    @classmethod
    def _user_slot(cls) -> "Box":
        import fcntl

        os.makedirs(LOCKS, mode=0o700, exist_ok=True)
        os.chmod(LOCKS, 0o700)
        for slot in range(MAX_SLOTS):
            handle = open(os.path.join(LOCKS, f"slot-{slot}.lock"), "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            name = user_name(slot)
            uid, gid = ensure_user(name)
            return cls("user", uid, gid, name, handle)
        raise RuntimeError(f"all {MAX_SLOTS} sandbox users are busy")

    @property
    def describe(self) -> str:
        return {"user": f"as the unprivileged user {self.user}", "bwrap": "in a bubblewrap sandbox",
                "none": "without a sandbox, as the grader's own user"}.get(self.mode, "nowhere")

    # ---------------------------------------------------------------- the folders
    def prepare(self, workdir: Path, hidden: list[Path]) -> None:
        """Hand ``workdir`` (the notebook's folder) to the box and keep ``hidden`` (the autograder's own folders
        and files, and those KIT_SANDBOX_HIDE names) out of its reach; make the kernel's home; become the subreaper
        of what the kernel starts."""
        extra = [Path(p) for p in os.environ.get("KIT_SANDBOX_HIDE", "").split(os.pathsep) if p]
        self.keep = [Path(p).resolve() for p in os.environ.get("KIT_SANDBOX_KEEP", "").split(os.pathsep) if p]
        self.workdir, self.hidden = Path(workdir).resolve(), [Path(p).resolve() for p in [*hidden, *extra]]
        self.subreaper = become_subreaper()
        self.home = self.workdir.parent / "kernel-home"
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(mode=0o700)
        if self.mode != "user":
            return
        for path in self.hidden:
            if path.exists():
                os.chmod(path, 0o700 if path.is_dir() else 0o600)
        # every folder above the notebook's and above the grading Python may be passed through (not listed) by the
        # kernel's user
        python = [Path(os.path.realpath(sys.executable)), Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
        for folder in {f for path in [self.workdir, *python] for f in path.parents}:
            mode = os.stat(folder).st_mode & 0o777
            if not mode & 0o001:
                os.chmod(folder, mode | 0o001)
        for folder in (self.workdir, self.home):
            for root, dirs, files in os.walk(folder):
                for name in [*dirs, *files]:
                    os.lchown(os.path.join(root, name), self.uid, self.gid)
            os.chown(folder, self.uid, self.gid)
            os.chmod(folder, 0o700)

    def hand_over(self, path: Path) -> None:
        """Let the kernel read a file the grader wrote for it (its connection file)."""
        if self.mode == "user":
            os.chown(path, self.uid, self.gid)

    def kernel_command(self, cmd: list[str]) -> list[str]:
        """The command that starts the kernel ``cmd`` in the box."""
        env = ["--env", f"HOME={self.home}", f"MPLCONFIGDIR={self.home}/.matplotlib", f"IPYTHONDIR={self.home}/.ipython",
               f"TMPDIR={self.home}", f"XDG_CACHE_HOME={self.home}/.cache", f"TORCH_HOME={self.home}/.torch"]
        if self.mode == "user":
            mounts = [arg for path in self.hidden if path != self.workdir for arg in ("--hide", str(path))]
            mounts += [arg for path in self.keep for arg in ("--keep", str(path))]
            mounts += ["--bind", str(self.workdir), "--bind", str(self.home)]
            return [sys.executable, "-I", os.path.abspath(__file__), str(self.uid), str(self.gid), *mounts, *env,
                    "--", *cmd]
        if self.mode == "bwrap":
            mounts = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
            for path in self.hidden:
                if path.is_dir():
                    mounts += ["--tmpfs", str(path)]
                elif path.exists():
                    mounts += ["--ro-bind", "/dev/null", str(path)]
            for path in self.keep:
                mounts += ["--ro-bind", str(path), str(path)]
            mounts += ["--bind", str(self.workdir), str(self.workdir), "--bind", str(self.home), str(self.home)]
            variables = [arg for pair in (e.split("=", 1) for e in env[1:]) for arg in ("--setenv", *pair)]
            return [shutil.which("bwrap"), "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
                    *mounts, *variables, "--chdir", str(self.workdir), "--", *cmd]
        return cmd

    # ---------------------------------------------------------------- the end
    def kill_all(self) -> int:
        """Stop every process the kernel started (and, in ``user`` mode, every process of the box's user) until
        none is left; return how many there were.  Zombies re-parented to this process are reaped."""
        me, killed = os.getpid(), set()
        for _ in range(200):
            table = processes()
            # the kernel's processes: all that this process started (the kernel was shut down before this runs)
            targets = descendants(table, me)
            if self.mode == "user":
                targets |= {pid for pid, (uid, _) in table.items() if uid == self.uid}
            targets.discard(me)
            alive = {pid for pid in targets if not _is_zombie(pid)}
            if not alive:
                break
            if self.mode == "user":
                _kill_as(self.uid)
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            killed |= alive
            _reap()
            import time
            time.sleep(0.02)
        _reap()
        return len(killed)

    def close(self) -> None:
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _kill_as(uid: int) -> None:
    """kill(-1, SIGKILL) as ``uid``: every process of that user at once, forks in flight included."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def private_mounts(hide: list[str], keep: list[str], bind: list[str]) -> bool:
    """In a mount namespace of this process's own (root only): private SHARED_TMP folders, each folder of ``hide``
    replaced by an empty one (a file by /dev/null), but for the folders of ``keep`` (read only) and ``bind``
    (writable) within them, which stay.  False, and nothing changed, where the machine does not allow it (a
    container without CAP_SYS_ADMIN)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    bind_flag, rec, private, move, readonly, remount = 4096, 16384, 1 << 18, 8192, 1, 32

    def mount(source, target, fstype, flags, data=None):
        if libc.mount(source.encode(), target.encode(), fstype and fstype.encode(), flags,
                      data and data.encode()) != 0:
            raise OSError(ctypes.get_errno(), f"mount {target}")

    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        return False
    mount("none", "/", None, rec | private)
    stage = os.path.join(LOCKS, f"keep-{os.getpid()}")
    staged = []
    for i, (path, writable) in enumerate([(p, False) for p in keep] + [(p, True) for p in bind]):
        if os.path.isdir(path):
            os.makedirs(f"{stage}-{i}", exist_ok=True)
            mount(path, f"{stage}-{i}", None, bind_flag | rec)
            staged.append((f"{stage}-{i}", path, writable))
    for path in [*SHARED_TMP, *hide]:
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", 0, "mode=1777" if path in SHARED_TMP else "mode=755")
        elif os.path.exists(path):
            mount("/dev/null", path, None, bind_flag)
    for source, path, writable in staged:
        os.makedirs(path, exist_ok=True)
        mount(source, path, None, move)
        os.rmdir(source)
        if not writable:
            mount("none", path, None, remount | bind_flag | readonly | rec)
    return True


def launch(argv: list[str]) -> None:
    """The launcher: ``UID GID [--hide PATH ...] [--keep PATH ...] [--env NAME=VALUE ...] -- CMD ...``; makes the
    mounts (private_mounts), drops to that user and runs CMD."""
    import resource

    uid, gid = int(argv[0]), int(argv[1])
    rest = argv[2:]
    split = rest.index("--")
    settings, cmd = rest[:split], rest[split + 1:]
    options: dict[str, list[str]] = {"--hide": [], "--keep": [], "--bind": [], "--env": []}
    flag = None
    for item in settings:
        if item in options:
            flag = item
        elif flag:
            options[flag].append(item)
            flag = None if flag != "--env" else flag
    try:
        private_mounts(options["--hide"], options["--keep"], options["--bind"])
    except OSError:
        pass  # the machine does not allow it: the folders keep their own permissions
    env = {k: v for k, v in os.environ.items() if k in KEEP_ENV or k.startswith("JPY_")}
    env.update(dict(item.split("=", 1) for item in options["--env"] if "=" in item))
    for limit, value in ((resource.RLIMIT_NPROC, NPROC), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_FSIZE, FILE_SIZE)):
        resource.setrlimit(limit, (value, value))
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("sandbox: could not drop privileges")
    _prctl(38, 1)  # PR_SET_NO_NEW_PRIVS: no setuid program gives them back
    os.execvpe(cmd[0], cmd, env)


if __name__ == "__main__":
    launch(sys.argv[1:])
