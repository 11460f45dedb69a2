"""The measured interpreter's allocator (sandbox/effalloc.c): what one call costs follows its own
arguments, never the heap's history (issue 14), and it behaves as a C allocator must."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from effbench.sandboxes.allocator import allocator_fingerprint, built_allocator

#: N blocks of SIZE bytes, then either freed and asked for again (every second malloc pops a free
#: list) or kept while N more are asked for (every malloc bumps a fresh region); "mixed" frees
#: every other one (pops and bumps alternate). Each mode makes 2N malloc calls.
HISTORY_PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define N 1000
static void *a[N], *b[N];
int main(int argc, char **argv) {
    size_t size = (size_t)atol(argv[2]);
    for (int i = 0; i < N; i++) a[i] = malloc(size);
    if (strcmp(argv[1], "pop") == 0) for (int i = 0; i < N; i++) free(a[i]);
    if (strcmp(argv[1], "mixed") == 0) for (int i = 0; i < N; i += 2) free(a[i]);
    for (int i = 0; i < N; i++) b[i] = malloc(size);
    printf("%p\n", b[N - 1]);
    return 0;
}
"""

#: what a C allocator must do: alignment, calloc's zeros, realloc keeping the contents,
#: memalign's alignment, usable sizes, errors for impossible requests
BEHAVIOUR_PROGRAM = r"""
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); return 1; } } while (0)
int main(void) {
    size_t sizes[] = {0, 1, 15, 16, 17, 500, 1008, 1009, 5000, 131056, 131057, 1 << 20};
    for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        unsigned char *p = malloc(sizes[i]);
        CHECK(p != NULL && ((uintptr_t)p & 15) == 0 && malloc_usable_size(p) >= sizes[i]);
        if (sizes[i] >= 304 && sizes[i] <= 131056) CHECK(((uintptr_t)p & 63) == 0);
        memset(p, 0xAB, sizes[i]);
        unsigned char *z = calloc(sizes[i] + 1, 1);
        CHECK(z != NULL);
        for (size_t j = 0; j <= sizes[i]; j++) CHECK(z[j] == 0);
        for (unsigned k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            unsigned char *q = malloc(sizes[i]);
            memset(q, 0x5A, sizes[i]);
            q = realloc(q, sizes[k] ? sizes[k] : 1);
            CHECK(q != NULL && ((uintptr_t)q & 15) == 0);
            size_t kept = sizes[i] < sizes[k] ? sizes[i] : sizes[k];
            for (size_t j = 0; j < kept; j++) CHECK(q[j] == 0x5A);
            free(q);
        }
        free(p);
        free(z);
    }
    for (size_t align = 16; align <= 65536; align *= 2) {
        void *p = memalign(align, 100), *q = NULL;
        CHECK(p != NULL && ((uintptr_t)p % align) == 0 && malloc_usable_size(p) >= 100);
        CHECK(posix_memalign(&q, align, 3000) == 0 && ((uintptr_t)q % align) == 0);
        memset(p, 1, 100);
        memset(q, 1, 3000);
        p = realloc(p, 5000);
        CHECK(p != NULL && ((unsigned char *)p)[99] == 1);
        free(p);
        free(q);
    }
    CHECK(posix_memalign(&(void *){NULL}, 24, 10) == EINVAL);
    errno = 0;
    CHECK(malloc(SIZE_MAX - 8) == NULL && errno == ENOMEM);
    CHECK(calloc(SIZE_MAX / 2, 3) == NULL);
    CHECK(realloc(malloc(10), 0) == NULL);
    CHECK(((uintptr_t)valloc(10) & 4095) == 0 && ((uintptr_t)aligned_alloc(64, 64) & 63) == 0);
    free(NULL);
    printf("ok\n");
    return 0;
}
"""


def _build(tmp_path: Path, source: str, name: str) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("a C compiler is required (scripts/setup.sh installs gcc)")
    (tmp_path / f"{name}.c").write_text(source)
    subprocess.run([cc, "-O1", "-o", str(tmp_path / name), str(tmp_path / f"{name}.c")], check=True)
    return tmp_path / name


def _malloc_instructions(out_file: Path) -> int:
    """The instructions counted in the allocator's malloc, from a cachegrind output file."""
    total, in_malloc = 0, False
    for line in out_file.read_text().splitlines():
        if line.startswith("fn="):
            in_malloc = line[3:] in ("malloc", "eff_malloc")
        elif in_malloc and line[:1].isdigit():
            total += int(line.split()[1])
    return total


def test_a_malloc_costs_the_same_whether_it_reuses_a_block_or_not(tmp_path):
    """Invariant: one malloc call executes the same instructions whether its class's free list
    has a block (a freed one is reused) or not (the next block of the bump region), for a small,
    a large-class and a mapped size; so its cost cannot follow what was allocated and freed
    before. Threat (issue 14): glibc's malloc costs more or less by the free blocks around the
    one asked for, and a program that did more could cost less than the expert. Measured with
    cachegrind: the 2,000 calls of each mode cost the same to the instruction."""
    if shutil.which("valgrind") is None:
        pytest.fail("valgrind is required (scripts/setup.sh installs it)")
    program = _build(tmp_path, HISTORY_PROGRAM, "history")
    env = {"LD_PRELOAD": str(built_allocator()), "PATH": "/usr/bin:/bin"}
    for size in ("24", "700", "5000", "200000"):
        costs = {}
        for mode in ("pop", "bump", "mixed"):
            out = tmp_path / f"cg.{mode}.{size}"
            subprocess.run(
                ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}", str(program)]
                + [mode, size],
                env=env,
                check=True,
                capture_output=True,
            )
            costs[mode] = _malloc_instructions(out)
        assert costs["pop"] > 0 and len(set(costs.values())) == 1, (size, costs)


def test_the_allocator_behaves_as_a_c_allocator(tmp_path):
    """Invariant: blocks 16-byte aligned (64 from 304 bytes to 128 KiB) and at least as large as
    asked; calloc zeroes;
    realloc keeps the contents across classes and mappings; memalign, posix_memalign, valloc
    and aligned_alloc align; impossible sizes give NULL with ENOMEM, a bad alignment EINVAL.
    Threat: the interpreter (and the libraries it loads) misbehaving under the preloaded
    allocator, so that a candidate fails or crashes for the harness's sake."""
    program = _build(tmp_path, BEHAVIOUR_PROGRAM, "behaviour")
    env = {"LD_PRELOAD": str(built_allocator()), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([str(program)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", (out.returncode, out.stdout, out.stderr)


def test_profiles_measured_under_another_allocator_are_not_reused(monkeypatch):
    """Invariant: the environment fingerprint (the profile cache's key) names the allocator, so a
    profile measured under glibc (or another build of effalloc) is never a sample's reference."""
    from effbench.fingerprint import environment_fingerprint
    from effbench.meters.valgrind import ValgrindMeter

    ours, built = environment_fingerprint(ValgrindMeter(), "local"), allocator_fingerprint()
    monkeypatch.setenv("EFFBENCH_ALLOCATOR", "glibc")
    theirs = environment_fingerprint(ValgrindMeter(), "local")
    assert ours["allocator"] == built and built.startswith("effalloc-") and theirs["allocator"] == "glibc"
    assert {k: v for k, v in ours.items() if k != "allocator"} == {k: v for k, v in theirs.items() if k != "allocator"}


def test_a_damaged_cached_allocator_is_built_again_never_preloaded(tmp_path, monkeypatch):
    """Threat: a cached effalloc that was truncated, overwritten or left half-written. The loader
    ignores a file that is not a shared object (every allocation then silently glibc's, and the
    counts follow the heap's history again) and crashes on a truncated one (the runner never
    answers). Invariant: a cached object whose bytes are not the ones recorded at build time is
    built again before any use; the rebuilt one is an intact ELF object."""
    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    built_allocator.cache_clear()
    try:
        first = built_allocator()
        good = first.read_bytes()
        for damage in (b"not an ELF file!", good[: len(good) // 2]):
            first.chmod(0o644)
            first.write_bytes(damage)
            built_allocator.cache_clear()
            again = built_allocator()
            assert again == first and again.read_bytes() == good, len(damage)
    finally:
        built_allocator.cache_clear()


def test_an_unwritable_cache_folder_is_one_line_naming_it(tmp_path, monkeypatch):
    """Invariant: where the allocator cannot be built into the cache folder (read-only, or a file
    in its place), the error is one line naming the folder and what to set, not a traceback."""
    from effbench.errors import SandboxUnavailable

    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("EFFBENCH_CACHE_DIR", str(blocker))
    built_allocator.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable) as err:
            built_allocator()
    finally:
        built_allocator.cache_clear()
    message = str(err.value)
    assert "\n" not in message and str(blocker / "allocator") in message and "EFFBENCH_CACHE_DIR" in message
