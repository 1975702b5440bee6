// SPDX-License-Identifier: GPL-2.0
/*
 * msfuzz: drive ms_tbind(2), ms_mbind(2) and the NUMA balancing opt-out
 * prctl with random and boundary arguments, from several threads and
 * processes, while other threads munmap, mremap, mprotect, madvise and
 * populate the memory the calls name, threads come and go, and processes
 * fork and exec.  Every answer must be success or an errno the man pages
 * document for that call; anything else is counted as a failure, printed,
 * and makes the exit status 1.
 *
 *   msfuzz [-t seconds] [-p processes] [-T caller-threads] [-s seed]
 *          [-u uid] [-F]
 *
 * -u: half of the worker processes drop to that uid (and gid) after the
 * shared tables exist, so ids and tids of another user are in play.
 * -F: the workers set /proc/self/make-it-fail once started, so that
 * failslab / fail_page_alloc with task-filter fail their allocations
 * (ENOMEM is a documented answer of both calls).  Children exec this
 * program again (it exits at once), not a file elsewhere: a binary on a
 * network or 9p file system may be read with allocations failing.
 * Prints one summary line per process group and a total:
 *   msfuzz: total calls N (tbind N, mbind N, prctl N) mangles N forks N
 *   execs N threads N; errnos: EINVAL N ...; unexpected N
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/memsched.h>

#ifndef __NR_ms_tbind
#define __NR_ms_tbind 600
#define __NR_ms_mbind 601
#endif
#ifndef PR_SET_NUMA_BALANCING_DISABLE
#define PR_SET_NUMA_BALANCING_DISABLE	0x4d530000
#define PR_GET_NUMA_BALANCING_DISABLE	0x4d530001
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#endif

enum { OP_TBIND, OP_MBIND, OP_PRCTL, NR_CHECKED };
static const char *const op_name[NR_CHECKED] = { "tbind", "mbind", "prctl" };

#define NR_ERRNO	160
#define POOL		64
#define NR_SLOTS	10
#define MAX_CHILDREN	8
#define MAX_REPORTS	20

/* Shared by every process of the run (MAP_SHARED | MAP_ANONYMOUS). */
struct shared {
	atomic_long calls[NR_CHECKED];
	atomic_long ok[NR_CHECKED];
	atomic_long err[NR_CHECKED][NR_ERRNO];
	atomic_long unexpected, mangles, forks, execs, threads;
	atomic_int reports;
	atomic_int ids[POOL];	/* group ids seen: live, freed, foreign */
	atomic_int tids[POOL];	/* tids: live, exiting, dead, foreign */
	atomic_int stop;
};

static struct shared *sh;
static long page;
static int nr_callers = 3;
static const char *self_exe = "/proc/self/exe";

/* One process's view of the mappings it fuzzes over. */
struct slot {
	_Atomic uintptr_t addr;
	_Atomic size_t len;
	int kind;
};
static struct slot slots[NR_SLOTS];
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t vvar, vvar_len;
static int file_fd = -1, memfd = -1;

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static unsigned int rn(uint64_t *s, unsigned int n)
{
	return n ? rnd(s) % n : 0;
}

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

static void pool_put(atomic_int *pool, uint64_t *s, int v)
{
	atomic_store(&pool[rn(s, POOL)], v);
}

static int pool_get(atomic_int *pool, uint64_t *s)
{
	return atomic_load(&pool[rn(s, POOL)]);
}

/* Errnos each call's man page documents. */
static bool documented(int op, int e)
{
	switch (op) {
	case OP_TBIND:
		return e == EDQUOT || e == EINVAL || e == ENOMEM ||
		       e == EPERM || e == ESRCH;
	case OP_MBIND:
		return e == EACCES || e == EFAULT || e == EINVAL ||
		       e == ENOMEM || e == EOPNOTSUPP || e == EPERM;
	case OP_PRCTL:
		return e == EINVAL;
	}
	return false;
}

static void account(int op, long ret, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void account(int op, long ret, int e, const char *fmt, ...)
{
	char args[200];
	va_list ap;

	atomic_fetch_add(&sh->calls[op], 1);
	if (ret >= 0) {
		atomic_fetch_add(&sh->ok[op], 1);
		return;
	}
	if (e > 0 && e < NR_ERRNO)
		atomic_fetch_add(&sh->err[op][e], 1);
	if (documented(op, e))
		return;
	atomic_fetch_add(&sh->unexpected, 1);
	if (atomic_fetch_add(&sh->reports, 1) >= MAX_REPORTS)
		return;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	fprintf(stderr, "msfuzz: UNEXPECTED %s(%s) = %ld errno %d (%s)\n",
		op_name[op], args, ret, e, strerror(e));
}

/* ---- mappings ---- */

enum { K_ANON, K_SHARED, K_FILE, K_MEMFD, K_HUGETLB, K_RESERVE, K_THP,
       K_EXE, K_ANON2, K_STACKLIKE };

static void *map_kind(int kind, size_t *len)
{
	int prot = PROT_READ | PROT_WRITE;
	void *p;

	switch (kind) {
	case K_SHARED:
		*len = 2 << 20;
		return mmap(NULL, *len, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	case K_FILE:
		*len = 1 << 20;
		return file_fd < 0 ? MAP_FAILED :
		       mmap(NULL, *len, prot, MAP_PRIVATE, file_fd, 0);
	case K_MEMFD:
		*len = 2 << 20;
		return memfd < 0 ? MAP_FAILED :
		       mmap(NULL, *len, prot, MAP_SHARED, memfd, 0);
	case K_HUGETLB:
		*len = 2 << 20;
		p = mmap(NULL, *len, prot,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p != MAP_FAILED)
			return p;
		*len = 1 << 20;	/* no huge pages: plain memory instead */
		return mmap(NULL, *len, prot, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	case K_RESERVE:
		*len = 1UL << 36;	/* 64 GiB of nothing */
		return mmap(NULL, *len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	case K_THP:
		*len = 4 << 20;
		p = mmap(NULL, *len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			madvise(p, *len, MADV_HUGEPAGE);
		return p;
	case K_EXE: {
		int fd = open(self_exe, O_RDONLY);

		*len = 64 << 10;
		if (fd < 0)
			return MAP_FAILED;
		p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		return p;
	}
	default:
		*len = (kind == K_STACKLIKE ? 256 : 4096) << 10;
		return mmap(NULL, *len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
			    (kind == K_STACKLIKE ? MAP_GROWSDOWN : 0), -1, 0);
	}
}

static void slot_remap(int i)
{
	size_t len;
	void *p;

	pthread_mutex_lock(&slot_lock);
	if (atomic_load(&slots[i].addr))
		munmap((void *)atomic_load(&slots[i].addr),
		       atomic_load(&slots[i].len));
	p = map_kind(slots[i].kind, &len);
	atomic_store(&slots[i].addr, p == MAP_FAILED ? 0 : (uintptr_t)p);
	atomic_store(&slots[i].len, len);
	if (p != MAP_FAILED && slots[i].kind != K_RESERVE &&
	    slots[i].kind != K_EXE)
		madvise(p, len / 2, MADV_POPULATE_WRITE);
	pthread_mutex_unlock(&slot_lock);
}

static void find_vvar(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long a, b;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vvar]") &&
		    sscanf(line, "%lx-%lx", &a, &b) == 2) {
			vvar = a;
			vvar_len = b - a;
		}
	}
	fclose(f);
}

static void maps_init(uint64_t *s)
{
	char name[64];
	int i;

	memfd = memfd_create("msfuzz", 0);
	if (memfd >= 0 && ftruncate(memfd, 2 << 20))
		memfd = -1;
	snprintf(name, sizeof(name), "msfuzz.file.%d", getpid());
	file_fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (file_fd >= 0) {
		unlink(name);
		if (ftruncate(file_fd, 1 << 20))
			file_fd = -1;
	}
	for (i = 0; i < NR_SLOTS; i++) {
		slots[i].kind = i;
		slot_remap(i);
	}
	find_vvar();
	(void)s;
}

/* An address and length: inside, across, outside and around mappings. */
static void pick_range(uint64_t *s, uintptr_t *addr, size_t *len)
{
	int i = rn(s, NR_SLOTS);
	uintptr_t a = atomic_load(&slots[i].addr);
	size_t l = atomic_load(&slots[i].len);
	size_t np = l / page ? l / page : 1;

	switch (rn(s, 16)) {
	case 0:
		*addr = 0;
		*len = rn(s, 2) ? page : 0;
		return;
	case 1:	/* wraps */
		*addr = a ? a : (uintptr_t)page;
		*len = (size_t)-1 - rn(s, 3) * page;
		return;
	case 2:	/* huge */
		*addr = a;
		*len = 1UL << (40 + rn(s, 8));
		return;
	case 3:	/* unaligned */
		*addr = a + 1 + rn(s, page - 1);
		*len = page * (1 + rn(s, 4));
		return;
	case 4:	/* the vDSO's data: VM_PFNMAP | VM_IO */
		*addr = vvar ? vvar : a;
		*len = vvar_len ? vvar_len : (size_t)page;
		return;
	case 5:	/* kernel half */
		*addr = 0xffffffff81000000UL;
		*len = page;
		return;
	case 6:	/* random user address */
		*addr = (rnd(s) & ((1UL << 47) - 1)) & ~(page - 1);
		*len = page * (1 + rn(s, 512));
		return;
	case 7:	/* zero length, odd lengths */
		*addr = a;
		*len = rn(s, 2) ? 0 : 1 + rn(s, page);
		return;
	case 8: {	/* across this mapping and the next one */
		uintptr_t b = atomic_load(&slots[(i + 1) % NR_SLOTS].addr);

		*addr = a < b ? a : b;
		*len = (a > b ? a - b : b - a) + page;
		if (*len > (1UL << 37))
			*len = l;
		return;
	}
	default:	/* a piece of one mapping, sometimes running past it */
		*addr = a + rn(s, np) * page;
		*len = page * (1 + rn(s, rn(s, 4) ? np : 2 * np));
		return;
	}
}

static int pick_id(uint64_t *s)
{
	switch (rn(s, 12)) {
	case 0: return MS_ID_NONE;
	case 1: return MS_ID_NEW;
	case 2: return MS_ID_GET;
	case 3: return -3 - rn(s, 100);
	case 4: return INT_MIN;
	case 5: return INT_MAX;
	case 6: return 1 + rn(s, 4096);
	default: return pool_get(sh->ids, s);
	}
}

static int pick_tid(uint64_t *s)
{
	switch (rn(s, 12)) {
	case 0: return 0;
	case 1: return -1 - rn(s, 10);
	case 2: return INT_MAX;
	case 3: return 2;		/* kthreadd: a kernel thread */
	case 4: return geteuid() ? 1 : 0;	/* init, if not ours to take */
	case 5: return getpid();
	case 6: return 1 + rn(s, 4 * 32768);
	default: return pool_get(sh->tids, s);
	}
}

static unsigned long pick_flags(uint64_t *s, unsigned long valid)
{
	switch (rn(s, 6)) {
	case 0: return rnd(s);
	case 1: return 1UL << rn(s, 64);
	case 2: return valid;
	default: return 0;
	}
}

/* ---- the calls ---- */

static void do_tbind(uint64_t *s)
{
	int tid = pick_tid(s), id = pick_id(s);
	unsigned long flags = rn(s, 8) ? 0 : pick_flags(s, 0);
	long ret = syscall(__NR_ms_tbind, tid, id, flags);
	int e = errno;

	account(OP_TBIND, ret, e, "%d, %d, %#lx", tid, id, flags);
	if (ret > 0)
		pool_put(sh->ids, s, ret);
	/* do not hoard groups: leave most of what we join */
	if (ret >= 0 && id == MS_ID_NEW && rn(s, 4))
		syscall(__NR_ms_tbind, 0, MS_ID_NONE, 0);
}

static void do_mbind(uint64_t *s)
{
	uintptr_t addr;
	size_t len;
	int id = rn(s, 3) ? pool_get(sh->ids, s) : pick_id(s);
	unsigned long flags = rn(s, 3) ? (rn(s, 2) ? MS_MBIND_MOVE : 0) :
				       pick_flags(s, MS_MBIND_MOVE);
	long ret;

	pick_range(s, &addr, &len);
	ret = syscall(__NR_ms_mbind, addr, len, id, flags);
	account(OP_MBIND, ret, errno, "%#lx, %#zx, %d, %#lx",
		(unsigned long)addr, len, id, flags);
}

static void do_prctl(uint64_t *s)
{
	unsigned long a2 = rn(s, 4) ? rn(s, 2) : rnd(s);
	unsigned long a3 = rn(s, 8) ? 0 : rnd(s);
	int opt = rn(s, 2) ? PR_SET_NUMA_BALANCING_DISABLE :
			     PR_GET_NUMA_BALANCING_DISABLE;
	long ret;

	/* mostly leave the process opted in, so knumad works on it */
	if (opt == PR_SET_NUMA_BALANCING_DISABLE && a2 == 1 && rn(s, 2))
		a2 = 0;
	ret = prctl(opt, a2, a3, 0, 0);
	account(OP_PRCTL, ret, errno, "%#x, %#lx, %#lx", opt, a2, a3);
}

static void one_call(uint64_t *s)
{
	switch (rn(s, 10)) {
	case 0: case 1: case 2:
		do_tbind(s);
		break;
	case 9:
		do_prctl(s);
		break;
	default:
		do_mbind(s);
	}
}

/* ---- the threads ---- */

static void *caller(void *arg)
{
	uint64_t s = (uintptr_t)arg | 1;

	pool_put(sh->tids, &s, gettid_());
	while (!atomic_load(&sh->stop))
		one_call(&s);
	return NULL;
}

static void *mangler(void *arg)
{
	uint64_t s = (uintptr_t)arg | 1;
	static const int advice[] = { MADV_DONTNEED, MADV_FREE, MADV_HUGEPAGE,
		MADV_NOHUGEPAGE, MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED,
		MADV_POPULATE_WRITE };

	while (!atomic_load(&sh->stop)) {
		int i = rn(&s, NR_SLOTS);
		uintptr_t a = atomic_load(&slots[i].addr);
		size_t l = atomic_load(&slots[i].len), np = l / page;
		uintptr_t p = a + (np ? rn(&s, np) : 0) * page;
		size_t n = page * (1 + rn(&s, 16));
		void *q;

		atomic_fetch_add(&sh->mangles, 1);
		if (!a || slots[i].kind == K_RESERVE)
			goto next;
		/* never past the slot: next to it may be a thread's stack */
		if (p + n > a + l)
			n = a + l - p;
		switch (rn(&s, 8)) {
		case 0:
			slot_remap(i);
			break;
		case 1:	/* punch a hole; the slot is remapped later */
			munmap((void *)p, page);
			break;
		case 2:
			mprotect((void *)p, n, rn(&s, 3) == 0 ? PROT_NONE :
				 rn(&s, 2) ? PROT_READ :
					     PROT_READ | PROT_WRITE);
			break;
		case 3:	/* move it elsewhere, maybe grown */
			pthread_mutex_lock(&slot_lock);
			a = atomic_load(&slots[i].addr);
			l = atomic_load(&slots[i].len);
			n = l + page * rn(&s, 4);
			q = a ? mremap((void *)a, l, n, MREMAP_MAYMOVE) :
				MAP_FAILED;
			if (q != MAP_FAILED) {
				atomic_store(&slots[i].len, n);
				atomic_store(&slots[i].addr, (uintptr_t)q);
			}
			pthread_mutex_unlock(&slot_lock);
			break;
		default:
			madvise((void *)p, n, advice[rn(&s, 8)]);
		}
next:
		if (rn(&s, 64) == 0)
			usleep(100);
	}
	return NULL;
}

static void *short_life(void *arg)
{
	uint64_t s = (uintptr_t)arg | 1;

	pool_put(sh->tids, &s, gettid_());
	if (rn(&s, 2))
		one_call(&s);
	return NULL;
}

/* Threads that come and go, so tids of exiting and dead threads exist. */
static void *churner(void *arg)
{
	uint64_t s = (uintptr_t)arg | 1;
	pthread_t t;

	while (!atomic_load(&sh->stop)) {
		if (!pthread_create(&t, NULL, short_life,
				    (void *)(uintptr_t)rnd(&s))) {
			atomic_fetch_add(&sh->threads, 1);
			pthread_detach(t);
		}
		usleep(2000 + rn(&s, 5000));
	}
	return NULL;
}

/* fork, with calls in the child from the forking thread, then exec or exit */
static void *forker(void *arg)
{
	uint64_t s = (uintptr_t)arg | 1;
	int children = 0;

	while (!atomic_load(&sh->stop)) {
		pid_t pid;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		if (children >= MAX_CHILDREN) {
			usleep(10000);
			continue;
		}
		pid = fork();
		if (pid == 0) {
			int i, n = rn(&s, 50);

			pool_put(sh->tids, &s, getpid());
			for (i = 0; i < n; i++)
				one_call(&s);
			if (rn(&s, 2)) {
				atomic_fetch_add(&sh->execs, 1);
				execl(self_exe, "msfuzz", "-x", (char *)NULL);
			}
			_exit(0);
		}
		if (pid > 0) {
			children++;
			atomic_fetch_add(&sh->forks, 1);
		}
		usleep(5000 + rn(&s, 20000));
	}
	while (children-- > 0)
		wait(NULL);
	return NULL;
}

static bool make_it_fail;

static void worker(uint64_t seed)
{
	pthread_t th[16];
	int i, n = 0;

	seed = seed * 0x9e3779b97f4a7c15ULL + getpid();
	maps_init(&seed);
	pool_put(sh->tids, &seed, getpid());
	/* with -F a thread may fail to start: run with the others */
	for (i = 0; i < nr_callers && n < 12; i++)
		n += !pthread_create(&th[n], NULL, caller,
				     (void *)(uintptr_t)rnd(&seed));
	n += !pthread_create(&th[n], NULL, mangler, (void *)(uintptr_t)rnd(&seed));
	n += !pthread_create(&th[n], NULL, churner, (void *)(uintptr_t)rnd(&seed));
	n += !pthread_create(&th[n], NULL, forker, (void *)(uintptr_t)rnd(&seed));
	if (!n)
		one_call(&seed);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
}

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case EDQUOT: return "EDQUOT";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EACCES: return "EACCES";
	case ENOSYS: return "ENOSYS";
	case EINTR: return "EINTR";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

int main(int argc, char **argv)
{
	int secs = 30, procs = 4, uid = -1, opt, i, op, status, bad = 0;
	int died = 0;
	uint64_t seed = time(NULL);
	long total = 0;
	pid_t *pids;

	if (argc == 2 && !strcmp(argv[1], "-x"))
		return 0;	/* exec'd by a forked child */
	while ((opt = getopt(argc, argv, "t:p:T:s:u:F")) != -1) {
		switch (opt) {
		case 't': secs = atoi(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 'T': nr_callers = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'u': uid = atoi(optarg); break;
		case 'F': make_it_fail = true; break;
		default:
			fprintf(stderr, "usage: msfuzz [-t s] [-p procs] [-T threads] [-s seed] [-u uid] [-F]\n");
			return 2;
		}
	}
	if (procs < 1 || procs > 64 || nr_callers < 1 || nr_callers > 12 ||
	    secs < 0) {
		fprintf(stderr, "msfuzz: bad arguments\n");
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("msfuzz: seed %llu, %d processes x %d callers, %d s%s\n",
	       (unsigned long long)seed, procs, nr_callers, secs,
	       uid >= 0 ? ", half of them unprivileged" : "");
	fflush(stdout);
	pids = calloc(procs, sizeof(*pids));
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			int tries = 0;

			/* root's file: written before dropping privileges */
			if (make_it_fail) {
				int fd = open("/proc/self/make-it-fail", O_WRONLY);

				if (fd < 0 || write(fd, "1", 1) != 1) {
					perror("msfuzz: make-it-fail");
					_exit(4);
				}
				close(fd);
			}
			/* which, with -F, may fail for want of memory */
			while (uid >= 0 && (i & 1) &&
			       (setgid(uid) || setuid(uid))) {
				if (++tries == 1000 ||
				    (errno != ENOMEM && errno != EAGAIN)) {
					perror("msfuzz: setuid");
					_exit(3);
				}
			}
			worker(seed + i);
			_exit(0);
		}
	}
	sleep(secs);
	atomic_store(&sh->stop, 1);
	for (i = 0; i < procs; i++) {
		if (pids[i] <= 0 || waitpid(pids[i], &status, 0) < 0)
			continue;
		if (WIFEXITED(status) && !WEXITSTATUS(status))
			continue;
		fprintf(stderr, "msfuzz: worker %d ended with status %#x\n",
			pids[i], status);
		/*
		 * With -F every system call of the worker may fail with
		 * ENOMEM, and the C library may abort on one it cannot
		 * handle (glibc does on unexpected futex errors): not the
		 * calls under test.  Their answers are checked one by one.
		 */
		if (make_it_fail && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGABRT)
			died++;
		else
			bad++;
	}
	for (op = 0; op < NR_CHECKED; op++)
		total += atomic_load(&sh->calls[op]);
	printf("msfuzz: total calls %ld (tbind %ld, mbind %ld, prctl %ld; succeeded %ld) mangles %ld forks %ld execs %ld threads %ld\n",
	       total, atomic_load(&sh->calls[OP_TBIND]),
	       atomic_load(&sh->calls[OP_MBIND]),
	       atomic_load(&sh->calls[OP_PRCTL]),
	       atomic_load(&sh->ok[OP_TBIND]) + atomic_load(&sh->ok[OP_MBIND]) +
	       atomic_load(&sh->ok[OP_PRCTL]),
	       atomic_load(&sh->mangles), atomic_load(&sh->forks),
	       atomic_load(&sh->execs), atomic_load(&sh->threads));
	for (op = 0; op < NR_CHECKED; op++) {
		printf("msfuzz: %s errnos:", op_name[op]);
		for (i = 1; i < NR_ERRNO; i++)
			if (atomic_load(&sh->err[op][i]))
				printf(" %s %ld", errname(i),
				       atomic_load(&sh->err[op][i]));
		printf("\n");
	}
	printf("msfuzz: unexpected %ld, workers failed %d, aborted by the C library under -F %d\n",
	       atomic_load(&sh->unexpected), bad, died);
	return atomic_load(&sh->unexpected) || bad || !total ? 1 : 0;
}
