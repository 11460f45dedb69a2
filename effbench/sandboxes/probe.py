"""``effbench sandbox probe``: the threat corpus, run against a backend and a meter.

Each :class:`Threat` is a hostile candidate for a small built-in problem (``triangle(n)``, the sum
1 + ... + n), with the rule that says whether the sandbox contained it. Two kinds of rule:

- *capability* threats try to obtain something a candidate must never have (executable memory it
  wrote, its own ``/proc/self/mem``, a descriptor of the runner, a write outside its scratch
  folder, lasting IPC...). They return the right answer only when every attempt was refused, and
  a wrong one the moment one succeeds: contained means verdict ``ok``.
- *outcome* threats try to score better than their honest twin (forging counts, signalling in
  band, state left for a later sample, results built to crash the host...). Contained means the
  score is no better than the honest twin's, and the verdict is the one DESIGN.md requires.

The same corpus is the test suite of ``tests/threats/`` (one test per threat, on every backend CI
runs) and what users run before trusting a number on their own machine. Threats are listed in
the README's threat table with the defence that contains each.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from effbench.engine import EngineSettings, Evaluator, SampleRecord
from effbench.problems import Level, Problem, TestCase
from effbench.verdicts import ErrorKind, Verdict

#: the built-in problem's answer for n (its expert is deliberately O(n), so that honest slower
#: and faster code both exist)
EXPERT = "def triangle(n):\n    return sum(range(1, n + 1))\n"
#: the honest twin of most threats: the same O(n) work in a Python loop (slower than the expert)
SLOW = "def triangle(n):\n    total = 0\n    for i in range(1, n + 1):\n        total += i\n    return total\n"
#: returned by capability threats the moment a forbidden capability was obtained
BREACH_SENTINEL = -424242


def probe_problem() -> Problem:
    """The probe's problem: ``triangle(n)``.

    Three fixed level-0 tests, one test at n = 20,000 (weight 1) and one at n = 200,000
    (weight 3).
    """
    fixed = [TestCase(f"L0.t{i}", 0, [n], n * (n + 1) // 2 if n > 0 else 0, True) for i, n in enumerate((0, 1, 5))]
    generated = [[], [TestCase("L1.g0", 1, [20_000])], [TestCase("L2.g0", 2, [200_000])]]
    return Problem(
        id="effbench_probe",
        title="Sum of the first n integers (sandbox probe)",
        category="number_theory",
        complexity="O(n)",
        entry_point="triangle",
        prompt='def triangle(n: int) -> int:\n    """Return 1 + 2 + ... + n (0 for n <= 0)."""\n',
        checker="exact",
        tolerance=0.0,
        levels=[Level(0, 5, 0.0, 1), Level(1, 20_000, 1.0, 1), Level(2, 200_000, 3.0, 1)],
        tests=fixed,
        directory=None,  # type: ignore[arg-type]
        reference_dir=None,  # type: ignore[arg-type]
        references={"expert": EXPERT, "slow": SLOW},
        source="effbench-probe",
        version="probe-1",
        generated_tests=generated,
    )


@dataclass(frozen=True)
class Judgement:
    """Whether one threat was contained, and what showed it."""

    contained: bool
    evidence: str


@dataclass
class Threat:
    """A hostile candidate and the rule that judges it.

    ``code``: the candidate (entry point ``triangle``). ``before``: candidates run first, as
    earlier samples of the same run (to leave state behind). ``judge``: (record of ``code``,
    context) -> Judgement. ``kind``: the threat model's heading it belongs to.
    """

    name: str
    kind: str
    summary: str
    code: str
    judge: Callable[[SampleRecord, ProbeContext], Judgement]
    before: list[str] = field(default_factory=list)
    host_paths: list[str] = field(default_factory=list)


@dataclass
class ProbeContext:
    """What judges compare against: the honest twins' records, and host paths to look at."""

    slow: SampleRecord
    expert: SampleRecord
    host_paths_before: dict[str, bool] = field(default_factory=dict)
    #: how far an efficiency may lie from its twin's for the same work: 1e-6 under an exact meter
    #: (valgrind, perf); under a noisy one (time), NOISY_METER_TOLERANCE of the twin's efficiency
    tolerance: float = 1e-6

    def margin(self, twin: float) -> float:
        """The allowed difference from an efficiency ``twin`` (absolute, >= 1e-6)."""
        return self.tolerance if self.tolerance <= 1e-6 else max(1e-6, self.tolerance * twin)

    def near_twin(self, efficiency: float) -> bool:
        """Is ``efficiency`` the honest slow twin's, within :meth:`margin`?"""
        return abs(efficiency - self.slow.efficiency) <= self.margin(self.slow.efficiency)


#: under the time meter, the fraction of the twin's efficiency by which the same work may differ:
#: the twin is measured once at the probe's start and each threat later, and on a loaded machine
#: the same work's efficiency moved by up to 14% between them (0.41 against a twin's 0.47)
NOISY_METER_TOLERANCE = 0.25


def _describe(rec: SampleRecord) -> str:
    etype = f" {rec.error_type}" if rec.error_type else ""
    return f"verdict {rec.verdict}{etype}, efficiency {rec.efficiency:.4f}"


def capability(rec: SampleRecord, ctx: ProbeContext) -> Judgement:
    """Contained: no forbidden attempt succeeded, nothing was taken for an infrastructure failure.

    The candidate never returned the sentinel, so its verdict is not ``wrong``. An attempt that
    crashes the meter itself (valgrind dies on some raw syscalls) is a failure of the
    candidate's, which is contained too.
    """
    ok = rec.verdict not in (Verdict.WRONG, Verdict.INFRA)
    return Judgement(ok, _describe(rec) + ("" if ok else " (a forbidden capability was obtained)"))


def no_better_than_slow(rec: SampleRecord, ctx: ProbeContext) -> Judgement:
    """Contained: not scored above the honest twin doing the same work."""
    ok = rec.verdict != Verdict.INFRA and rec.efficiency <= ctx.slow.efficiency + ctx.margin(ctx.slow.efficiency)
    return Judgement(ok, f"{_describe(rec)}; honest twin {ctx.slow.efficiency:.4f}")


def verdict_is(
    *verdicts: Verdict, error_type: str | tuple[str, ...] | None = None
) -> Callable[[SampleRecord, ProbeContext], Judgement]:
    """A judge: contained when the verdict is one of ``verdicts`` with efficiency 0.

    ``error_type``: the error type it must have, or a tuple of those it may have (None: any).
    """
    error_types = (error_type,) if isinstance(error_type, str) else error_type

    def judge(rec: SampleRecord, ctx: ProbeContext) -> Judgement:
        ok = rec.verdict in verdicts and (error_types is None or rec.error_type in error_types) and rec.efficiency == 0
        want = "/".join(verdicts) + (f" {'/'.join(error_types)}" if error_types else "")
        return Judgement(ok, f"{_describe(rec)}; required {want} with efficiency 0")

    return judge


def leaves_no_host_file(rec: SampleRecord, ctx: ProbeContext) -> Judgement:
    """Contained: no host path a write would reach appeared, and the attempts ran to a test's end.

    The verdict is ``ok``, or ``censored_budget`` (its attempts, many
    refused system calls, are work: under the time meter they cost a test of this small problem
    more than its budget on a loaded machine, eff 0.108, where valgrind counts it within).
    """
    created = [p for p, existed in ctx.host_paths_before.items() if not existed and os.path.lexists(p)]
    for p in created:
        try:
            os.unlink(p)
        except OSError:
            pass
    ok = not created and rec.verdict in (Verdict.OK, Verdict.CENSORED_BUDGET)
    return Judgement(ok, _describe(rec) + (f"; host files created: {created}" if created else ""))


def _candidate(body: str, needs_ctypes: bool | None = None) -> str:
    """A capability threat: ``_attack(n)`` (True when it obtained what it tried), then the answer.

    The answer is the expert's, or the breach sentinel. ``needs_ctypes`` (default: whether the
    body calls it): an attack that needs ctypes is skipped where ctypes cannot be recovered.
    """
    if needs_ctypes is None:
        needs_ctypes = "ctypes." in body
    answer = EXPERT.replace("def triangle(n):", "def _honest(n):")
    return (
        "import os, sys, signal\n"
        + f"_NEEDS_CTYPES = {needs_ctypes}\n"
        + _RECOVER_CTYPES
        + answer
        + textwrap.dedent(body)
        + textwrap.dedent(f"""
        def triangle(n):
            if (not _NEEDS_CTYPES or ctypes is not None) and _attack(n):
                return {BREACH_SENTINEL}
            return _honest(n) if n > 0 else 0
        """)
    )


#: capability threats that need raw system calls recover ctypes however they can; where it is
#: out of reach (the runner cuts every path to it before candidate code runs, see
#: ``ffi_by_introspection``) they have nothing to attack with and ``ctypes`` is None
_RECOVER_CTYPES = """
def _recover_ctypes():
    try:
        import ctypes
        return ctypes
    except Exception:
        pass
    import types
    for cls in object.__subclasses__():
        if cls.__name__ == "CDLL":
            return types.SimpleNamespace(**cls.__init__.__globals__)
    return None
ctypes = _recover_ctypes()
"""

#: every path a candidate has to ctypes (or another way to write arbitrary memory: CPython's
#: test modules, a sub-interpreter without the audit hook)
_FFI_BY_INTROSPECTION = """
import importlib, importlib.util, glob, sys, os
def _is_ffi(obj):
    kind = obj if isinstance(obj, type) else type(obj)
    name = getattr(obj, "__name__", "") if type(obj) is type(sys) else str(getattr(kind, "__module__", ""))
    return name in ("ctypes", "_ctypes") or name.startswith("ctypes.")
def _attack(n):
    found = []
    seen, stack = set(), [object]
    while stack:  # the class tree
        cls = stack.pop()
        if id(cls) not in seen:
            seen.add(id(cls))
            if _is_ffi(cls):
                found.append(cls)
            stack.extend(type.__subclasses__(cls))
    found += [m for m in list(sys.modules.values()) if m is not None and _is_ffi(m)]
    frame = sys._getframe()
    while frame is not None:  # the runner's frames, its globals and locals
        for scope in (frame.f_globals, frame.f_locals):
            found += [v for v in list(scope.values()) if _is_ffi(v)]
        frame = frame.f_back
    try:
        import gc
        found += [o for o in gc.get_objects() if _is_ffi(o)]
    except Exception:
        pass
    sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__name__", "") != "_NoFFI"]
    for name in ("ctypes", "_ctypes", "_testcapi", "_testinternalcapi", "_xxsubinterpreters"):
        try:  # a module with nothing in it (the interpreter's emptied copy) gives nothing
            module = importlib.import_module(name)
            if any(not k.startswith("__") for k in vars(module)):
                found.append(module)
        except Exception:
            pass
    import _imp
    dynload = [p for d in sys.path for p in glob.glob(os.path.join(d, "_ctypes.*.so"))]
    class _Name(str):  # a str subclass answers comparisons as it likes
        pass
    for path in dynload:
        names = (
            ("_ctypes", path.replace("/_ctypes", "/./_ctypes")),
            ("x._ctypes", path),
            ("_ctypes\\x00", path),  # C reads the name up to the NUL
            (_Name("x._ctypes"), path),
            ("p", path),
        )
        for name, where in names:
            try:
                spec = importlib.util.spec_from_file_location("p", where)
                spec.name = name
                module = _imp.create_dynamic(spec)
                if any(not k.startswith("__") for k in vars(module)):
                    found.append(module)
            except Exception:
                pass
    # extension modules outside the standard library (cffi, numpy...: raw memory too)
    site = os.path.join(sys.base_prefix, "lib", "python3.11", "site-packages")
    others = {site, "/usr/lib/python3/dist-packages", "/usr/local/lib/python3.11/dist-packages"}
    for folder in {p for p in sys.path if "-packages" in p} | others:
        for path in glob.glob(os.path.join(folder, "*.so"))[:20]:
            name = os.path.basename(path).partition(".")[0]
            try:
                module = _imp.create_dynamic(importlib.util.spec_from_file_location(name, path))
                found.append(module)
            except Exception:
                pass
    return bool(found)
"""

#: a candidate that writes its own result on the runner's pipe and leaves (PAYLOAD: an expression)
_FORGED_RESULT = """
import os, sys
def triangle(n):
    fd = sys._getframe(1).f_locals["result_w"]
    data = (PAYLOAD).encode()
    while data:
        data = data[os.write(fd, data):]
    os._exit(0)
"""

#: ways to make a code object whose bytecode the compiler never checked
_FORGED_BYTECODE = """
import functools, marshal, operator, types, importlib.util, os, sys
def _attack(n):
    made = []
    code = (lambda: n).__code__
    try:
        made.append(code.replace(co_code=code.co_code))
    except Exception:
        pass
    try:
        made.append(types.CodeType(*[getattr(code, a) for a in (
            "co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_nlocals", "co_stacksize",
            "co_flags", "co_code", "co_consts", "co_names", "co_varnames", "co_filename", "co_name",
            "co_qualname", "co_firstlineno", "co_linetable", "co_exceptiontable")]))
    except Exception:
        pass
    try:
        made.append(marshal.loads(marshal.dumps(code)))
    except Exception:
        pass
    try:  # cached bytecode of its own, imported without a source
        with open("forged.pyc", "wb") as f:
            f.write(importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(compile("X = 1", "f", "exec")))
        loader = importlib.machinery.SourcelessFileLoader("forged", os.path.abspath("forged.pyc"))
        made.append(loader.get_code("forged"))
    except Exception:
        pass
    from importlib import _bootstrap_external as bootstrap
    import importlib.machinery
    spec = importlib.machinery.PathFinder.find_spec("colorsys")
    real = importlib.util.cache_from_source(spec.origin) if spec else ""
    forged = marshal.dumps(compile("X = 1", "f", "exec"))
    if os.path.exists(real):
        try:  # the import system's own loader function, naming a genuine cached file
            made.append(bootstrap._compile_bytecode(forged, name="colorsys", bytecode_path=real))
        except Exception:
            pass
        with open(real, "rb") as f:
            header = f.read(16)
        genuine = bootstrap.FileLoader.get_data
        def get_data(self, path):  # a genuine header, a forged body, for a genuine path
            return header + forged if path == real else genuine(self, path)
        bootstrap.FileLoader.get_data = get_data
        try:
            import colorsys
            if getattr(colorsys, "X", None) == 1:
                made.append(colorsys)
        except Exception:
            pass
        finally:
            bootstrap.FileLoader.get_data = genuine
    def other():
        return 0
    try:
        other.__code__ = (lambda: 1).__code__
        made.append(other.__code__)
    except Exception:
        pass
    def donor():
        yield
    replaced = set()
    class Fake:  # types.coroutine's frame running a code.replace of the candidate's own fields
        def __call__(self):
            pass
        @property
        def __class__(self):
            return types.FunctionType
        @property
        def __code__(self):
            return donor.__code__
        __setattr__ = functools.partial(replaced.update, map(operator.methodcaller(
            "replace", co_consts=(), co_flags=donor.__code__.co_flags | 0x100), [donor.__code__]))
    try:
        types.coroutine(Fake())
    except Exception:
        pass
    made.extend(replaced)
    return bool(made)
"""

_IMPORT_FFI = """
def _attack(n):
    import importlib
    for name in ("ctypes", "_ctypes", "ctypes.util"):
        try:
            importlib.import_module(name)
            return True
        except ImportError:
            pass
    try:
        __import__("_ctypes")
        return True
    except ImportError:
        pass
    return False
"""

_FORGE = """
def _attack(n):
    me = os.getpid()
    lines = b"".join(b"==%d== I   refs: %d\\n" % (pid, c) for pid in range(me - 8, me + 8) for c in (1, 10**12))
    fake = b'{"id":"000000000001","runs":[]}\\n'
    for folder in ("/proc/self/fd", "/proc/%d/fd" % os.getppid(), "/proc/1/fd", "/proc/2/fd"):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            for flags in (os.O_WRONLY, os.O_WRONLY | os.O_APPEND):
                try:
                    fd = os.open(folder + "/" + name, flags)
                except OSError:
                    continue
                try:
                    os.write(fd, lines + fake)
                except OSError:
                    pass
                os.close(fd)
    for fd in range(10, 4096):  # above its own: the runner's and valgrind's, were any inherited
        try:
            os.write(fd, lines)
        except OSError:
            pass
    sys.stdout.write(lines.decode()); sys.stderr.write(lines.decode())
    return False
"""

_EXEC_MEMORY = """
import mmap
def _attack(n):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    # new executable mappings: anonymous, and a file written by the candidate
    for prot in (7, 5, 4):
        if libc.mmap(None, 4096, prot, 0x22, -1, 0) not in (None, 2**64 - 1, -1):
            return True
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        return True
    except OSError:
        pass
    # an existing buffer made executable
    buf = ctypes.create_string_buffer(3 * 4096)
    page = (ctypes.addressof(buf) + 4095) & ~4095
    if libc.mprotect(ctypes.c_void_p(page), 4096, 7) == 0:
        return True
    try:
        if libc.pkey_mprotect(ctypes.c_void_p(page), 4096, 7, -1) == 0:
            return True
    except AttributeError:
        pass
    # memory that is already writable and executable (valgrind maps the client's brk rwx)
    floor = None
    for line in open("/proc/self/maps"):
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if line.split()[1].startswith("rwx") and lo >= 1 << 32:
            floor = lo if floor is None else min(floor, lo)
    for line in open("/proc/self/maps"):
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        perms = line.split()[1]
        if perms.startswith("rwx") and (floor is None or lo < floor):
            return True
    # read implies exec
    if libc.personality(0x0400000) != -1:
        return True
    # files it can write or create, mapped executable: its scratch (noexec), /dev/zero, a memfd
    with open("code.bin", "wb") as f:
        f.write(b"\\xc3" * 4096)
    # (a private read-only executable /dev/zero is harmless: nothing can ever write it)
    sources = [("code.bin", os.O_RDONLY, 5, 0x02), ("/dev/zero", os.O_RDWR, 7, 0x02), ("/dev/zero", os.O_RDWR, 5, 0x01)]
    for path, flags, prot, share in sources:
        try:
            fd = os.open(path, flags)
        except OSError:
            continue
        if libc.mmap(None, 4096, prot, share, fd, 0) not in (None, 2**64 - 1, -1):
            return True
        os.close(fd)
    try:
        fd = os.memfd_create("x")
        os.write(fd, b"\\xc3" * 4096)
        if libc.mmap(None, 4096, 5, 0x02, fd, 0) not in (None, 2**64 - 1, -1):
            return True
    except OSError:
        pass
    return False
"""

_PROC_MEM = """
def _attack(n):
    libc = ctypes.CDLL(None, use_errno=True)
    for attempt in range(2):
        for path in ("/proc/self/mem", "/proc/%d/mem" % os.getppid(), "/proc/1/mem"):
            try:
                fd = os.open(path, os.O_RDWR)
            except OSError:
                continue
            os.close(fd)
            return True
        libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE, then try again
    return False
"""

_PARENT = """
def _attack(n):
    libc = ctypes.CDLL(None, use_errno=True)
    for pid in (os.getppid(), 1, -1):
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            pass
    for call in ((101, 16, os.getppid(), 0, 0), (298, 0, 0, -1, -1, 0), (425, 8, 0)):
        if libc.syscall(*call) >= 0:  # ptrace attach, perf_event_open, io_uring_setup
            return True
    if libc.syscall(0x40000000 | 57) >= 0:  # fork through the x32 numbering
        return True
    try:
        pid = os.fork()
    except OSError:
        pid = None
    if pid == 0:
        os._exit(0)
    if pid is not None:
        return True
    import socket
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.socket(family, socket.SOCK_STREAM)
            return True
        except OSError:
            pass
    attr = ctypes.create_string_buffer(128)
    if libc.syscall(321, 0, attr, 128) >= 0:  # bpf (last: valgrind itself may die on it)
        return True
    return False
"""

_IPC = """
def _attack(n):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.shmget(0x5EFF, 4096, 0o1666) >= 0 or libc.msgget(0x5EFF, 0o1666) >= 0:
        return True
    if libc.semget(0x5EFF, 1, 0o1666) >= 0:
        return True
    try:
        rt = ctypes.CDLL("librt.so.1", use_errno=True)
        if rt.mq_open(b"/effbench", 0o100 | 2, 0o666, None) >= 0:
            return True
    except OSError:
        pass
    if libc.syscall(248, b"user", b"effbench", b"x", 1, -4) >= 0:  # add_key to the user keyring
        return True
    return False
"""

_FILESYSTEM_AND_CACHE = """
def _attack(n):
    import mmap
    took = False
    for path in ("/", "."):
        try:
            os.statvfs(path)
            took = True
        except OSError:
            pass
    try:
        os.fstatvfs(0)
        took = True
    except OSError:
        pass
    fd = os.open(os.__file__, os.O_RDONLY)
    try:
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            took = True
        except OSError:
            pass
        m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
        for advice in (20, 21):  # MADV_COLD, MADV_PAGEOUT
            try:
                m.madvise(advice)
                took = True
            except OSError:
                pass
        m.close()
    finally:
        os.close(fd)
    return took
"""

_WRITES = """
def _attack(n):
    import sysconfig
    here = os.getcwd()
    targets = ["/tmp/effbench-probe", "/dev/shm/effbench-probe", "/var/tmp/effbench-probe",
               "/effbench-probe", "/etc/effbench-probe", os.path.expanduser("~/effbench-probe"),
               os.path.join(sysconfig.get_paths()["stdlib"], "effbench_probe.py"),
               os.path.join(os.path.dirname(here), "effbench-probe")]
    main = sys.modules.get("__main__")
    runner = getattr(main, "__file__", None)
    if runner:
        targets.append(runner)
        targets.append(os.path.join(os.path.dirname(runner), "effbench-probe"))
    for path in targets:
        try:
            with open(path, "a") as f:
                f.write("x")
            return True
        except OSError:
            pass
    for path in [runner, here] if runner else [here]:
        try:
            os.chmod(path, 0o777)
            if path != here:
                return True
        except OSError:
            pass
    try:
        os.rename(here, here + ".moved")  # replace the scratch folder (a link for the cleaner)
        return True
    except OSError:
        pass
    return False
"""

_LEAVE_STATE = """
import os, json
def triangle(n):
    answer = sum(range(1, n + 1)) if n > 0 else 0
    for folder in (os.getcwd(), os.environ.get("TMPDIR", "/tmp"), "/tmp", "/dev/shm", "/var/tmp",
                   os.path.expanduser("~"), os.path.dirname(os.getcwd())):
        try:
            with open(os.path.join(folder, "effbench-answer-%d" % n), "w") as f:
                f.write(str(answer))
        except OSError:
            pass
    return answer
"""

_READ_STATE = """
import os
def triangle(n):
    for folder in (os.getcwd(), os.environ.get("TMPDIR", "/tmp"), "/tmp", "/dev/shm", "/var/tmp",
                   os.path.expanduser("~"), os.path.dirname(os.getcwd())):
        try:
            with open(os.path.join(folder, "effbench-answer-%d" % n)) as f:
                return int(f.read())
        except (OSError, ValueError):
            pass
    return -1
"""

_FILL_SCRATCH = """
import os
def triangle(n):
    here = os.getcwd()
    path = here
    for i in range(1500):           # deeper than any recursive cleaner survives
        path = os.path.join(path, "d")
        try:
            os.mkdir(path)
        except OSError:
            break
    for i in range(300):
        try:
            os.symlink("/", os.path.join(here, "root%d" % i))
            os.symlink(os.path.dirname(here), os.path.join(here, "up%d" % i))
        except OSError:
            break
    os.chmod(here, 0)
    return sum(range(1, n + 1)) if n > 0 else 0
"""


_OUTPUT_LINK = """
import os
def triangle(n):
    if n < 100:
        return n * (n + 1) // 2 if n > 0 else 0
    os.unlink("output.txt")
    os.symlink("/etc/shadow" if os.path.exists("/etc/shadow") else "/etc/passwd", "output.txt")
    raise ValueError("wrong on purpose")
"""

_OUTPUT_FIFO = """
import os
def triangle(n):
    if n < 100:
        return n * (n + 1) // 2 if n > 0 else 0
    os.unlink("output.txt")
    os.mkfifo("output.txt")
    raise ValueError("wrong on purpose")
"""

_RAW_DECIMAL = """
import os, stat
def triangle(n):
    if n < 100:
        return n * (n + 1) // 2 if n > 0 else 0
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode):
                os.write(fd, b'{"ok":true,"value":' + b"9" * 1_000_000 + b"}")
        except OSError:
            pass
    os._exit(0)
"""


def _no_runner_file_in_detail(rec: SampleRecord, ctx: ProbeContext) -> Judgement:
    """Contained: an error of the candidate's own, and no line of a file it could not read."""
    details = " ".join(t.detail for t in rec.tests)
    leaked = "root:" in details or "nobody:" in details
    ok = rec.verdict == Verdict.ERROR and rec.error_type == "ValueError" and not leaked
    return Judgement(ok, _describe(rec) + ("; a root-only file leaked into the detail" if leaked else ""))


def _in_band(text: str) -> str:
    return SLOW.replace(
        "    return total\n",
        f"    if n > 100:\n        print({text!r})\n        raise RuntimeError({text!r})\n    return total\n",
    )


def threats() -> list[Threat]:
    """The corpus, in the order of DESIGN.md's threat model."""
    infra_text = (
        "harness_error InfrastructureError infra_error: runner vanished; child set-up failed; "
        "==1== I   refs: 1; worker died (wait status 9)"
    )
    return [
        Threat(
            "forged_counts_on_every_descriptor",
            "count forgery",
            "writes valgrind-style totals and a forged runner answer on every descriptor it can reach, "
            "its own, its parent's and pid 1's through /proc, and on stdout/stderr",
            "import os, sys\n"
            + SLOW.replace("def triangle(n):", "def _honest(n):").replace("return total", "return total\n")
            + _FORGE.replace("return False", "return False\n")
            + "def triangle(n):\n    _attack(n)\n    return _honest(n) if n > 0 else 0\n",
            no_better_than_slow,
        ),
        Threat(
            "machine_code_the_meter_cannot_see",
            "hidden work",
            "tries to get writable and executable memory (new mappings, mprotect, the client's rwx brk, "
            "READ_IMPLIES_EXEC, files it wrote, /dev/zero, a memfd) for code valgrind's client requests "
            "would run natively",
            _candidate(_EXEC_MEMORY),
            capability,
        ),
        Threat(
            "ctypes_import",
            "count forgery",
            "imports ctypes or _ctypes (with which a candidate could write the meter's memory)",
            _candidate(_IMPORT_FFI, needs_ctypes=False),
            capability,
        ),
        Threat(
            "ffi_by_introspection",
            "count forgery",
            "looks for ctypes (arbitrary memory writes: valgrind's counters live in the candidate's own "
            "memory) through the class tree, sys.modules, the runner's frames and globals, the collector, "
            "importing it again under other names and paths; also CPython's test modules and "
            "sub-interpreters",
            _candidate(_FFI_BY_INTROSPECTION, needs_ctypes=False),
            capability,
        ),
        Threat(
            "forged_bytecode",
            "count forgery",
            "makes code objects the compiler never checked (arbitrary memory access from bytecode): the "
            "code constructor, code.replace (also from types.coroutine's frame, through a fake function), "
            "marshal.loads, cached bytecode of its own, __code__ assignment",
            _candidate(_FORGED_BYTECODE, needs_ctypes=False),
            capability,
        ),
        Threat(
            "forged_result_nested_600_deep",
            "host robustness",
            "writes its own result on the runner's result pipe (found through its caller's frame): a list "
            "nested 600 deep, past what the runner ever writes, for the host's checker to recurse into",
            _FORGED_RESULT.replace("PAYLOAD", "'{\"ok\":true,\"value\":' + '[' * 600 + ']' * 600 + '}'"),
            verdict_is(Verdict.ERROR, error_type="BadResult"),
        ),
        Threat(
            "forged_result_huge_decimal",
            "host robustness",
            "writes its own result: a tagged integer of 3,000,000 decimal digits (quadratic to parse)",
            _FORGED_RESULT.replace(
                "PAYLOAD", '\'{"ok":true,"value":{"__effbench__":"int","dec":"\' + \'9\' * 3000000 + \'"}}\''
            ),
            verdict_is(Verdict.ERROR, error_type="BadResult"),
        ),
        Threat(
            "compile_bomb",
            "in-band signalling",
            "a source whose compilation takes minutes (40,000 definitions): were the worker to hang on it, "
            "the sample would be lost as an infrastructure failure",
            "def _f():\n    pass\n" * 40_000 + EXPERT,
            verdict_is(Verdict.ERROR, error_type="CompileTimeout"),
        ),
        Threat(
            "own_memory_through_proc",
            "count forgery",
            "opens /proc/self/mem (and the parent's, pid 1's), also after PR_SET_DUMPABLE",
            _candidate(_PROC_MEM),
            capability,
        ),
        Threat(
            "signals_tracing_processes_and_network",
            "escape",
            "signals its parent and pid 1, ptrace, perf_event_open, bpf, io_uring, fork (also through x32 "
            "numbers), IPv4/IPv6 sockets",
            _candidate(_PARENT),
            capability,
        ),
        Threat(
            "state_in_ipc_and_keyrings",
            "shared state",
            "System V shared memory, message queues and semaphores, POSIX message queues, the user keyring",
            _candidate(_IPC),
            capability,
        ),
        Threat(
            "filesystem_usage_and_page_cache_eviction",
            "shared state",
            "reads how full a filesystem is (statvfs, fstatvfs) and drops a file's pages from the "
            "machine's page cache (posix_fadvise DONTNEED, madvise MADV_COLD and MADV_PAGEOUT)",
            _candidate(_FILESYSTEM_AND_CACHE),
            capability,
        ),
        Threat(
            "writes_outside_scratch",
            "host writes",
            "writes /tmp, /dev/shm, /var/tmp, /, /etc, $HOME, the standard library, the runner's copy and its "
            "folder; chmods the runner; renames its scratch folder",
            _candidate(_WRITES),
            capability,
        ),
        Threat(
            "answers_left_for_a_later_sample",
            "shared state",
            "an earlier sample stores each answer in every writable place; this one only reads them back",
            _READ_STATE,
            verdict_is(Verdict.WRONG),
            before=[_LEAVE_STATE],
        ),
        Threat(
            "scratch_filled_with_depth_and_links",
            "path tampering",
            "an earlier sample nests 1,500 folders, plants links to / and to the runner's folder and "
            "chmods its scratch 000; the next honest sample must be scored normally",
            SLOW,
            lambda rec, ctx: Judgement(
                rec.verdict == ctx.slow.verdict and ctx.near_twin(rec.efficiency),
                f"{_describe(rec)}; honest twin {ctx.slow.efficiency:.4f}",
            ),
            before=[_FILL_SCRATCH],
        ),
        Threat(
            "harness_words_in_output_and_exceptions",
            "in-band status",
            "prints and raises text with the harness's own words at the larger levels",
            _in_band(infra_text),
            verdict_is(Verdict.ERROR, error_type="RuntimeError"),
        ),
        Threat(
            "self_sent_cpu_limit_signal",
            "in-band status",
            "sends itself SIGXCPU at the larger levels, as if the CPU-time limit had stopped it",
            SLOW.replace(
                "    return total\n",
                "    if n > 100:\n        import os, signal\n        os.kill(os.getpid(), signal.SIGXCPU)\n"
                "    return total\n",
            ),
            verdict_is(Verdict.KILLED),
        ),
        Threat(
            "raised_memory_error",
            "in-band status",
            "raises MemoryError at the larger levels, as if the memory limit had stopped it",
            SLOW.replace("    return total\n", "    if n > 100:\n        raise MemoryError()\n    return total\n"),
            verdict_is(Verdict.ERROR, error_type=ErrorKind.MEMORY_ERROR),
        ),
        Threat(
            "result_nested_5000_deep",
            "result bomb",
            "returns a list nested 5,000 deep",
            "def triangle(n):\n    x = []\n    for _ in range(5000):\n        x = [x]\n    return x\n",
            verdict_is(Verdict.WRONG, error_type=ErrorKind.RESULT_TOO_DEEP),
        ),
        Threat(
            "result_of_40_megabytes",
            "result bomb",
            "returns a 40 MB string",
            "def triangle(n):\n    return 'x' * (40 << 20)\n",
            verdict_is(Verdict.WRONG, Verdict.ERROR, Verdict.CENSORED_BUDGET),
        ),
        Threat(
            "output_file_replaced_by_a_link",
            "path tampering",
            "replaces its output file by a link to a file only the runner can read, then fails",
            _OUTPUT_LINK,
            _no_runner_file_in_detail,
        ),
        Threat(
            "output_file_replaced_by_a_fifo",
            "in-band status",
            "replaces its output file by a FIFO (the runner's read would block), then fails",
            _OUTPUT_FIFO,
            verdict_is(Verdict.ERROR, error_type="ValueError"),
        ),
        Threat(
            "integer_of_5000_digits",
            "result bomb",
            "returns 10**5000 (a wrong answer too long for decimal printing)",
            "def triangle(n):\n    return 10 ** 5000\n",
            verdict_is(Verdict.WRONG),
        ),
        Threat(
            "million_digits_on_the_result_pipe",
            "result bomb",
            "writes its own result with a 1,000,000-digit decimal integer (quadratic to parse) on the pipe",
            _RAW_DECIMAL,
            verdict_is(Verdict.ERROR, error_type=ErrorKind.BAD_RESULT),
        ),
        Threat(
            "always_equal_object",
            "forged answer",
            "returns an object whose __eq__ always says yes",
            "class Yes:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
            "def triangle(n):\n    return Yes()\n",
            verdict_is(Verdict.WRONG),
        ),
        Threat(
            "int_subclass_with_forged_eq",
            "forged answer",
            "returns an int subclass whose __eq__ always says yes",
            "class Liar(int):\n    def __eq__(self, other):\n        return True\n"
            "def triangle(n):\n    return Liar(-1)\n",
            verdict_is(Verdict.WRONG),
        ),
        Threat(
            "exit_zero_before_returning",
            "forged answer",
            "calls os._exit(0) instead of returning",
            "import os\ndef triangle(n):\n    os._exit(0)\n",
            verdict_is(Verdict.ERROR, error_type=ErrorKind.NO_RESULT),
        ),
        Threat(
            "answer_by_hand_then_exit_nonzero",
            "in-band signalling",
            "writes the right answer on its result pipe itself (found through its caller's frame) and "
            "exits with status 1: a count below the baseline's, whose dropped cost once made the test "
            "infra and left the sample out of scoring",
            "import os, sys\ndef triangle(n):\n    fd = sys._getframe(1).f_locals['result_w']\n"
            '    os.write(fd, (\'{"ok":true,"value":%d}\' % (n * (n + 1) // 2 if n > 0 else 0)).encode())\n'
            "    os._exit(1)\n",
            verdict_is(Verdict.ERROR, error_type=ErrorKind.NO_RESULT),
        ),
        Threat(
            "endless_loop_catching_everything",
            "resource exhaustion",
            "loops forever inside try/except BaseException",
            "def triangle(n):\n    while True:\n        try:\n            pass\n        except BaseException:\n"
            "            pass\n",
            verdict_is(Verdict.CENSORED_BUDGET),
        ),
        Threat(
            "work_moved_into_a_thread",
            "hidden work",
            "does the slow loop in a thread",
            SLOW.replace("def triangle(n):", "def _work(n):") + "import threading\ndef triangle(n):\n    out = []\n"
            "    t = threading.Thread(target=lambda: out.append(_work(n) if n > 0 else 0))\n"
            "    t.start(); t.join()\n    return out[0]\n",
            no_better_than_slow,
        ),
        Threat(
            "work_moved_past_the_return",
            "hidden work",
            "returns at once and leaves the slow loop to a thread, with another left waiting",
            SLOW.replace("def triangle(n):", "def _work(n):") + "import threading\n_gate = threading.Event()\n"
            "def triangle(n):\n    threading.Thread(target=_gate.wait).start()\n"
            "    threading.Thread(target=_work, args=(n,)).start()\n    return n * (n + 1) // 2 if n > 0 else 0\n",
            no_better_than_slow,
        ),
        Threat(
            "threads_past_the_limit",
            "resource exhaustion",
            "starts 100 threads through the runner's own thread start (reached around its limit)",
            "import _thread, time\ndef triangle(n):\n    start = _thread.start_new_thread.__defaults__[1]\n"
            "    for _ in range(100):\n        start(time.sleep, (30,))\n    return n * (n + 1) // 2 if n > 0 else 0\n",
            # valgrind stops the process itself past its thread slots (MeterAnomaly); under the
            # other meters the runner stops it from outside (ThreadLimit)
            verdict_is(Verdict.ERROR, error_type=(ErrorKind.METER_ANOMALY.value, ErrorKind.THREAD_LIMIT.value)),
        ),
    ]


@dataclass
class ProbeResult:
    """One threat's outcome on one backend."""

    name: str
    kind: str
    contained: bool
    evidence: str


def run_probe(
    sandbox: Any,
    meter: Any,
    only: list[str] | None = None,
    log: Callable[[ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Run the corpus (or the threats named in ``only``) in an open sandbox; one result each.

    ``sandbox``: an open :class:`~effbench.sandboxes.base.Sandbox`; ``meter``: its meter. Raises
    KeyError for an unknown threat name. Never raises for what a candidate does. Efficiencies are
    compared with the honest twin's within 1e-6 under an exact meter, within
    :data:`NOISY_METER_TOLERANCE` of the twin's under the time meter (whose own runs move that much).
    """
    corpus = threats()
    if only:
        known = {t.name for t in corpus}
        unknown = [n for n in only if n not in known]
        if unknown:
            raise KeyError(f"unknown threat(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        corpus = [t for t in corpus if t.name in only]
    problem = probe_problem()
    evaluator = Evaluator(sandbox, meter, EngineSettings(memory_bytes=512 << 20))
    ctx = ProbeContext(
        slow=evaluator.evaluate(problem, SLOW, model="honest-slow"),
        expert=evaluator.evaluate(problem, EXPERT, model="honest-expert"),
        tolerance=1e-6 if getattr(meter, "exact", False) else NOISY_METER_TOLERANCE,
    )
    results = []
    for threat in corpus:
        for earlier in threat.before:
            evaluator.evaluate(problem, earlier, model=f"{threat.name}:before")
        ctx.host_paths_before = {p: os.path.lexists(p) for p in _host_paths()}
        record = evaluator.evaluate(problem, threat.code, model=threat.name)
        verdict = threat.judge(record, ctx)
        if verdict.contained and threat.kind == "host writes":
            verdict = leaves_no_host_file(record, ctx)
        result = ProbeResult(threat.name, threat.kind, verdict.contained, verdict.evidence)
        results.append(result)
        if log:
            log(result)
    return results


def _host_paths() -> list[str]:
    """Where a candidate's writes would land on this machine, were they not contained."""
    return [
        "/tmp/effbench-probe",
        "/dev/shm/effbench-probe",
        "/var/tmp/effbench-probe",
        "/effbench-probe",
        "/etc/effbench-probe",
        os.path.join(tempfile.gettempdir(), "effbench-probe"),
    ]
