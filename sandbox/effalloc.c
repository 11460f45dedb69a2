/* effalloc: the measured interpreter's allocator (LD_PRELOAD), whose instruction cost does not
 * depend on the heap's history.
 *
 * Why: under an exact meter (valgrind's instruction count, perf), what glibc's malloc costs for one
 * call depends on which blocks are free around it (tcache, bins, splitting, coalescing), so on
 * everything allocated before; a program that does more work could cost fewer instructions than
 * the expert (issue 14). Here one call costs a number of instructions that depends only on its own
 * arguments (the size asked for, how the block being freed was allocated):
 *
 *  - a request of n <= EFF_SMALL_MAX bytes is served from a size class (total size with the 16-byte
 *    header: 16-byte steps up to 256 bytes, 64-byte steps up to 1 KiB, then four classes per
 *    doubling up to 128 KiB; from 320 bytes on, the data is 64-byte aligned). Each class
 *    has a singly linked free list; malloc takes its head if there is one, else the next block of
 *    a bump region, and the choice is made without a branch (masks), so both paths execute the
 *    same instructions. free pushes the block on its class's list (no coalescing, no search).
 *    The bump region is refilled by mmap in EFF_CHUNK pieces: the one branch that depends on the
 *    heap's history, taken once per 64 MiB of fresh blocks (address space; a page
 *    is resident only once a block in it is used).
 *  - a larger request gets a mapping of its own (mmap; free: munmap; realloc: mremap). The
 *    kernel's work is in no user-space count.
 *  - blocks are 16-byte aligned (memcpy and memset take paths that follow alignment); calloc
 *    clears a class block with memset (a fresh mapping is already zero); realloc keeps the block
 *    when the new size has the same class, else malloc + memcpy + free.
 *  - a spin lock whose uncontended path is constant; fork keeps it consistent (pthread_atfork).
 *
 * Memory is never returned to the system except for the large blocks' mappings, and a freed
 * block serves only its own class. Build: gcc -O2 -shared -fPIC -o effalloc.so effalloc.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define EFF_HDR 16u
#define EFF_SMALL_MAX (131072u - EFF_HDR) /* largest request served from a class, bytes */
#define EFF_CHUNK ((size_t)64 << 20)       /* bump region refill, bytes (virtual: pages as used) */
#define EFF_PAGE ((size_t)4096)
#define EFF_NCLASS 57u
#define EFF_KIND_LARGE 0x4c415247u   /* header word 0 of a block with its own mapping */
#define EFF_KIND_ALIGNED 0x414c4947u /* header word 0 of an over-aligned block (memalign) */

#define EXPORT __attribute__((visibility("default")))

/* class c's total size (header included), bytes: 16-byte steps up to 256, 64-byte steps up to 1 KiB,
 * then four classes per doubling (2^k + i*2^(k-2)) up to 128 KiB. From 320 bytes on, a block's data
 * starts on a 64-byte boundary whichever way it was found (see eff_malloc): memcpy, memset, memchr
 * and the like take a number of steps that follows their operands' alignment. */
#define C4(k) ((1u << (k)) + (1u << ((k)-2))), ((1u << (k)) + (2u << ((k)-2))), \
              ((1u << (k)) + (3u << ((k)-2))), ((1u << (k)) + (4u << ((k)-2)))
static const uint32_t class_size[EFF_NCLASS] = {
    0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
    320, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960, 1024,
    C4(10), C4(11), C4(12), C4(13), C4(14), C4(15), C4(16)};
#define EFF_FIRST_ALIGNED 17u /* the first class whose blocks' data is 64-byte aligned */

/* a block: word 0 its class (or a kind), word 1 the free list's link (or a length / offset) */
typedef struct header {
    size_t kind;
    union {
        struct header *next;
        size_t n;
    } u;
} header;

/* an empty list's head: a block that links to itself and is never handed out, so that a pop
 * reads the same words whether the list holds a block or not */
static header empty = {0, {&empty}};
static header *heads[EFF_NCLASS] = {[0 ... EFF_NCLASS - 1] = &empty};
static char *bump, *bump_end;
static int lock_word;

__attribute__((noinline, cold)) static void lock_wait(void) {
    do
        sched_yield();
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE));
}

/* uncontended: one exchange and a test */
static inline void lock(void) {
    if (__builtin_expect(__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE), 0))
        lock_wait();
}

static inline void unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

static void fork_prepare(void) { lock(); }

static void fork_parent(void) { unlock(); }

static void fork_child(void) { lock_word = 0; }

__attribute__((constructor)) static void effalloc_init(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

/* the class of a request of n <= EFF_SMALL_MAX bytes (a function of n alone) */
static inline unsigned size_class(size_t n) {
    size_t t = n + EFF_HDR;
    if (t <= 256)
        return (unsigned)((t + 15) >> 4);
    if (t <= 1024)
        return 16u + (unsigned)((t - 256 + 63) >> 6);
    unsigned k = 63u - (unsigned)__builtin_clzl(t - 1); /* t in (2^k, 2^(k+1)] */
    size_t step = (size_t)1 << (k - 2);
    return 28u + (k - 10u) * 4u + (unsigned)((t - ((size_t)1 << k) + step - 1) / step);
}

__attribute__((noinline, cold)) static void *large_alloc(size_t n) {
    if (n > SIZE_MAX - EFF_HDR - EFF_PAGE) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = (n + EFF_HDR + EFF_PAGE - 1) & ~(EFF_PAGE - 1);
    header *h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (h == MAP_FAILED) {
        errno = ENOMEM;
        return NULL;
    }
    h->kind = EFF_KIND_LARGE;
    h->u.n = len;
    return h + 1;
}

/* a fresh bump region (the old one's rest is left untouched: virtual memory, no pages) */
__attribute__((noinline, cold)) static int refill(void) {
    char *m = mmap(NULL, EFF_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    bump = m;
    bump_end = m + EFF_CHUNK;
    return 0;
}

static inline __attribute__((always_inline)) void *eff_malloc(size_t n) {
    if (__builtin_expect(n > EFF_SMALL_MAX, 0))
        return large_alloc(n);
    unsigned c = size_class(n);
    size_t size = class_size[c];
    lock();
    if (__builtin_expect((size_t)(bump_end - bump) < size + 64, 0) && refill() != 0) {
        unlock();
        errno = ENOMEM;
        return NULL;
    }
    /* the next fresh block: at the bump pointer, or for a class whose data is 64-byte aligned
     * (a branch on n alone), at the next 64-byte boundary less the header */
    uintptr_t b = (uintptr_t)bump;
    if (c >= EFF_FIRST_ALIGNED)
        b = ((b + EFF_HDR + 63) & ~(uintptr_t)63) - EFF_HDR;
    /* pop the list's head if there is one, else bump: the same instructions either way */
    header *h = heads[c];
    heads[c] = h->u.next;
    uintptr_t p = (uintptr_t)h, next = b + size;
#if defined(__x86_64__)
    /* two conditional moves: p = b if the list was empty, else the bump pointer stays */
    __asm__("cmpq %[e], %[p]\n\tcmoveq %[b], %[p]\n\tcmovneq %[old], %[next]"
            : [p] "+&r"(p), [next] "+&r"(next)
            : [e] "r"(&empty), [b] "r"(b), [old] "r"((uintptr_t)bump)
            : "cc");
#else
    uintptr_t has = -(uintptr_t)(h != &empty);
    p = (p & has) | (b & ~has);
    next = ((uintptr_t)bump & has) | (next & ~has);
#endif
    bump = (char *)next;
    unlock();
    ((header *)p)->kind = c;
    return (header *)p + 1;
}

static void eff_free(void *q) {
    if (q == NULL)
        return;
    header *h = (header *)q - 1;
    size_t kind = h->kind;
    if (__builtin_expect(kind < EFF_NCLASS, 1)) {
        lock();
        h->u.next = heads[kind];
        heads[kind] = h;
        unlock();
    } else if (kind == EFF_KIND_LARGE) {
        munmap(h, h->u.n);
    } else { /* EFF_KIND_ALIGNED: the block it was cut from */
        eff_free((char *)q - h->u.n);
    }
}

EXPORT void *malloc(size_t n) { return eff_malloc(n); }

EXPORT void free(void *q) { eff_free(q); }

static size_t eff_usable(void *q) {
    if (q == NULL)
        return 0;
    header *h = (header *)q - 1;
    if (h->kind < EFF_NCLASS)
        return class_size[h->kind] - EFF_HDR;
    if (h->kind == EFF_KIND_LARGE)
        return h->u.n - EFF_HDR;
    return eff_usable((char *)q - h->u.n) - h->u.n;
}

EXPORT size_t malloc_usable_size(void *q) { return eff_usable(q); }

EXPORT void *calloc(size_t count, size_t each) {
    size_t n;
    if (__builtin_mul_overflow(count, each, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = eff_malloc(n);
    if (p != NULL && n <= EFF_SMALL_MAX)
        memset(p, 0, n); /* a large block is a fresh mapping: zero already */
    return p;
}

static void *eff_realloc(void *q, size_t n) {
    if (q == NULL)
        return eff_malloc(n);
    if (n == 0) { /* as glibc: free, and no block */
        eff_free(q);
        return NULL;
    }
    header *h = (header *)q - 1;
    if (h->kind < EFF_NCLASS) {
        if (n <= EFF_SMALL_MAX && size_class(n) == h->kind)
            return q;
    } else if (h->kind == EFF_KIND_LARGE && n > EFF_SMALL_MAX && n <= SIZE_MAX - EFF_HDR - EFF_PAGE) {
        size_t len = (n + EFF_HDR + EFF_PAGE - 1) & ~(EFF_PAGE - 1);
        if (len == h->u.n)
            return q;
        header *m = mremap(h, h->u.n, len, MREMAP_MAYMOVE);
        if (m == MAP_FAILED) {
            errno = ENOMEM;
            return NULL;
        }
        m->u.n = len;
        return m + 1;
    }
    void *p = eff_malloc(n);
    if (p == NULL)
        return NULL;
    size_t old = eff_usable(q);
    memcpy(p, q, old < n ? old : n);
    eff_free(q);
    return p;
}

EXPORT void *realloc(void *q, size_t n) { return eff_realloc(q, n); }

EXPORT void *reallocarray(void *q, size_t count, size_t each) {
    size_t n;
    if (__builtin_mul_overflow(count, each, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return eff_realloc(q, n);
}

static void *eff_memalign(size_t align, size_t n) {
    if (align <= EFF_HDR)
        return eff_malloc(n);
    if ((align & (align - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    if (n > SIZE_MAX - align - EFF_HDR) {
        errno = ENOMEM;
        return NULL;
    }
    char *raw = eff_malloc(n + align + EFF_HDR);
    if (raw == NULL)
        return NULL;
    char *p = (char *)(((uintptr_t)raw + EFF_HDR + align - 1) & ~(uintptr_t)(align - 1));
    header *h = (header *)p - 1;
    h->kind = EFF_KIND_ALIGNED;
    h->u.n = (size_t)(p - raw);
    return p;
}

EXPORT void *memalign(size_t align, size_t n) { return eff_memalign(align, n); }

EXPORT void *aligned_alloc(size_t align, size_t n) { return eff_memalign(align, n); }

EXPORT int posix_memalign(void **out, size_t align, size_t n) {
    if (align < sizeof(void *) || (align & (align - 1)) != 0)
        return EINVAL;
    int saved = errno;
    void *p = eff_memalign(align, n);
    if (p == NULL)
        return ENOMEM;
    errno = saved;
    *out = p;
    return 0;
}

EXPORT void *valloc(size_t n) { return eff_memalign(EFF_PAGE, n); }

EXPORT void *pvalloc(size_t n) {
    if (n > SIZE_MAX - EFF_PAGE) {
        errno = ENOMEM;
        return NULL;
    }
    return eff_memalign(EFF_PAGE, (n + EFF_PAGE - 1) & ~(EFF_PAGE - 1));
}
