// SPDX-License-Identifier: GPL-2.0
/*
 * knumad: sampled NUMA placement.  Misplaced private memory (base pages
 * and THP) converges on the node of the threads that use it, shared pages
 * stay put, group-bound ranges go home, opted-out processes, mbind()
 * ranges and file/shmem/hugetlb mappings are left alone, every knob
 * validates its input, disabling disarms, and task-context scanning
 * stands aside.  Runs with aggressive knob values so it finishes fast;
 * KNUMAD_TEST_MB sets the size of the misplaced-private buffer (256).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "memsched_util.h"
#include "../kselftest_harness.h"

#ifndef PR_SET_NUMA_BALANCING_DISABLE
#define PR_SET_NUMA_BALANCING_DISABLE	0x4d530000
#define PR_GET_NUMA_BALANCING_DISABLE	0x4d530001
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif

#define KNUMAD "/sys/kernel/mm/knumad/"
#define NODE0_HUGEPAGES \
	"/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"
#define NB_SYSCTL "/proc/sys/kernel/numa_balancing"
#define MB (1024UL * 1024)

static long knumad_get(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), KNUMAD "%s", name);
	return read_long(path);
}

static int knumad_set(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), KNUMAD "%s", name);
	return write_str(path, val);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int node_cpus(int nid, cpu_set_t *set)
{
	char path[96], buf[256], *p;
	FILE *f;
	int a, b;

	CPU_ZERO(set);
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
		 nid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	for (p = strtok(buf, ",\n"); p; p = strtok(NULL, ",\n")) {
		if (sscanf(p, "%d-%d", &a, &b) == 2) {
			for (; a <= b; a++)
				CPU_SET(a, set);
		} else if (sscanf(p, "%d", &a) == 1) {
			CPU_SET(a, set);
		}
	}
	return CPU_COUNT(set) ? 0 : -1;
}

/*
 * Whether two threads of a test fit on node @far, and the node fits the
 * tests' per-node arrays of 8: 0 if so; else why not, in @why, and 1 (a
 * skip) or -1 (the node's CPUs could not be read: a failure).
 */
static int far_fits_two(int far, char *why, size_t len)
{
	cpu_set_t set;

	if (far >= 8) {
		snprintf(why, len, "node %d: this test counts 8 nodes", far);
		return 1;
	}
	if (node_cpus(far, &set)) {
		snprintf(why, len, "node %d: its CPUs could not be read", far);
		return -1;
	}
	if (CPU_COUNT(&set) < 2) {
		snprintf(why, len, "node %d has %d CPU: two threads do not fit it",
			 far, CPU_COUNT(&set));
		return 1;
	}
	return 0;
}

/* May run on every online CPU. */
static int unpin(void)
{
	cpu_set_t all;
	int cpu;

	CPU_ZERO(&all);
	for (cpu = 0; cpu < sysconf(_SC_NPROCESSORS_ONLN); cpu++)
		CPU_SET(cpu, &all);
	return sched_setaffinity(0, sizeof(all), &all);
}

static int pin_to_node(int nid)
{
	cpu_set_t set;

	if (node_cpus(nid, &set))
		return -1;
	return sched_setaffinity(0, sizeof(set), &set);
}

/* This process's "knumad ..." line of /proc/self/memsched. */
struct knumad_proc {
	long scanned, faults, local, migrated, thp, failed;
	long early;		/* scanned_early: -1 if the kernel has none */
	long long scan_ns, migrate_ns, task_ns;
	int opt_out;
};

static int knumad_proc(pid_t pid, struct knumad_proc *k)
{
	char path[64], line[512];
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/memsched", pid ? pid : getpid());
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "knumad scanned %ld hint_faults %ld local %ld migrated %ld thp %ld failed %ld scan_ns %lld migrate_ns %lld opt_out %d task_migrate_ns %lld",
			   &k->scanned, &k->faults, &k->local, &k->migrated,
			   &k->thp, &k->failed, &k->scan_ns, &k->migrate_ns,
			   &k->opt_out, &k->task_ns) == 10) {
			char *e = strstr(line, " scanned_early ");

			k->early = e ? strtol(e + strlen(" scanned_early "),
					      NULL, 10) : -1;
			ret = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return ret;
}

static long vmstat(const char *name)
{
	char line[128];
	FILE *f = fopen("/proc/vmstat", "r");
	long v = -1, n;
	size_t len = strlen(name);

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ' &&
		    sscanf(line + len, "%ld", &n) == 1)
			v = n;
	if (f)
		fclose(f);
	return v;
}

/* The "@field: N kB" line of file @path (/proc/meminfo ...): N, or -1. */
static long proc_kb(const char *path, const char *field)
{
	char line[128], want[64];
	FILE *f = fopen(path, "r");
	long kb = -1;

	snprintf(want, sizeof(want), "%s: %%ld kB", field);
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, want, &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static long anon_huge_kb(void)
{
	return proc_kb("/proc/self/smaps_rollup", "AnonHugePages");
}

/* Threads that write one byte of every page of a range until told. */
struct hammer {
	pthread_t thread;
	char *addr;
	unsigned long len;
	int nid;
	volatile int *stop;
	unsigned long loops;
	volatile pid_t tid;
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;
	unsigned long i;

	h->tid = syscall(SYS_gettid);
	pin_to_node(h->nid);
	while (!*h->stop) {
		for (i = 0; i < h->len && !*h->stop; i += page_size())
			((volatile char *)h->addr)[i]++;
		h->loops++;
	}
	return NULL;
}

static void hammer_start(struct hammer *h, char *addr, unsigned long len,
			 int nid, volatile int *stop)
{
	h->addr = addr;
	h->len = len;
	h->nid = nid;
	h->stop = stop;
	h->loops = 0;
	h->tid = 0;
	pthread_create(&h->thread, NULL, hammer_fn, h);
}

static double share_on(void *addr, unsigned long len, int nid)
{
	long n = len / page_size();

	return (double)pages_on_node(addr, n, nid) / n;
}

/*
 * share_on() from one page in 16, for loops that watch memory move: a
 * move_pages() query of every page costs the asking thread enough CPU
 * under KASAN and TCG (4 queries of 4,096 pages in a row: over a quarter
 * of a CPU) to make it an active thread of the process it watches, which
 * knumad then judges by two threads instead of one.  A loop confirms with
 * one share_on() before it stops: the sample can be ahead of the whole.
 */
static double share_on_sampled(void *addr, unsigned long len, int nid)
{
	long n = len / page_size() / 16;

	return n ? (double)pages_on_node_stride(addr, n, 16 * page_size(),
						  nid) / n : 0;
}

/* Private anonymous memory aligned to 2 MiB, with or without THP. */
static char *map_aligned(unsigned long len, int thp)
{
	char *p = mmap(NULL, len + 2 * MB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + 2 * MB - 1) & ~(2 * MB - 1));
	madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return p;
}

/* Wait until @n full scans more than @from have completed; false on timeout. */
static int wait_scans(long from, long n, double timeout)
{
	double t0 = now_s();

	while (knumad_get("full_scans") < from + n) {
		if (now_s() - t0 > timeout)
			return 0;
		usleep(20000);
	}
	return 1;
}

static const char *knobs[] = {
	"enabled", "scan_sleep_millisecs", "pages_to_scan",
	"migrate_rate_limit_mbps",
};

FIXTURE(knumad) {
	char saved[4][32];
	long numa_balancing;
	int far;		/* the node the workload runs on */
	int knumad_pid;		/* reniced by the test: restore ... */
	int knumad_nice;	/* ... this nice value */
};

FIXTURE_SETUP(knumad)
{
	unsigned int i;

	if (access(KNUMAD "enabled", F_OK))
		SKIP(return, "no /sys/kernel/mm/knumad (CONFIG_KNUMAD=n)");
	if (nr_nodes() < 2)
		SKIP(return, "needs two nodes");
	for (i = 0; i < 4; i++)
		snprintf(self->saved[i], sizeof(self->saved[i]), "%ld",
			 knumad_get(knobs[i]));
	self->numa_balancing = read_long(NB_SYSCTL);
	self->far = nr_nodes() - 1;
	ASSERT_EQ(0, write_str(NB_SYSCTL, "0"));
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "50"));
	ASSERT_EQ(0, knumad_set("pages_to_scan", "65536"));
	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "4096"));
	ASSERT_EQ(0, knumad_set("enabled", "1"));
	ASSERT_EQ(0, pin_to_node(0));
}

/*
 * Trace kmem:rss_stat for the tasks @filter selects ("common_pid == N"),
 * or stop tracing it and clear the filter (NULL).
 */
static int rss_stat_trace(const char *filter)
{
	char path[256];
	int ret;

	snprintf(path, sizeof(path), "%s/events/kmem/rss_stat/enable",
		 tracefs());
	ret = write_str(path, "0");
	snprintf(path, sizeof(path), "%s/events/kmem/rss_stat/filter",
		 tracefs());
	ret |= write_str(path, filter ? filter : "0");
	if (filter) {
		snprintf(path, sizeof(path),
			 "%s/events/kmem/rss_stat/enable", tracefs());
		ret |= write_str(path, "1");
	}
	return ret;
}

FIXTURE_TEARDOWN(knumad)
{
	char nb[16];
	int i;

	if (access(KNUMAD "enabled", F_OK) || nr_nodes() < 2)
		return;
	if (tracefs()) {
		/* exit_teardown_not_in_knumad's, on any path */
		rss_stat_trace(NULL);
		/* thread_mover_stands_back's */
		trace_enable("knumad_migrate", "0");
	}
	for (i = 3; i >= 0; i--)
		knumad_set(knobs[i], self->saved[i]);
	if (self->knumad_pid > 0)
		setpriority(PRIO_PROCESS, self->knumad_pid, self->knumad_nice);
	snprintf(nb, sizeof(nb), "%ld", self->numa_balancing);
	write_str(NB_SYSCTL, nb);
}

/*
 * Every knob: a bad write fails with EINVAL and leaves the value alone;
 * counters are read-only; a good write takes effect.
 */
TEST_F_TIMEOUT(knumad, knobs_validated, 60)
{
	static const char *bad[] = {
		"\n", "x", "-1", "1x", "99999999999999999999", "4294967296",
	};
	static const char *counters[] = {
		"full_scans", "quiet_scans", "pages_scanned", "hint_faults",
		"hint_faults_local", "pages_migrated", "thp_migrated",
		"migrate_failed",
	};
	unsigned int i, j;
	long before;

	for (i = 0; i < 4; i++) {
		before = knumad_get(knobs[i]);
		for (j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			EXPECT_EQ(-EINVAL, knumad_set(knobs[i], bad[j]))
				TH_LOG("%s <- '%s'", knobs[i], bad[j]);
			EXPECT_EQ(before, knumad_get(knobs[i]));
		}
	}
	/* out of range */
	EXPECT_EQ(-EINVAL, knumad_set("enabled", "2"));
	EXPECT_EQ(-EINVAL, knumad_set("scan_sleep_millisecs", "0"));
	EXPECT_EQ(-EINVAL, knumad_set("scan_sleep_millisecs", "3600001"));
	EXPECT_EQ(-EINVAL, knumad_set("pages_to_scan", "0"));
	EXPECT_EQ(-EINVAL, knumad_set("pages_to_scan", "16777217"));
	EXPECT_EQ(-EINVAL, knumad_set("migrate_rate_limit_mbps", "0"));
	EXPECT_EQ(-EINVAL, knumad_set("migrate_rate_limit_mbps", "1048577"));
	EXPECT_EQ(1, knumad_get("enabled"));
	EXPECT_EQ(50, knumad_get("scan_sleep_millisecs"));
	EXPECT_EQ(65536, knumad_get("pages_to_scan"));
	EXPECT_EQ(4096, knumad_get("migrate_rate_limit_mbps"));
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		before = knumad_get(counters[i]);
		EXPECT_GE(before, 0);
		EXPECT_NE(0, knumad_set(counters[i], "0"));
	}
	/* good writes */
	EXPECT_EQ(0, knumad_set("pages_to_scan", "1234"));
	EXPECT_EQ(1234, knumad_get("pages_to_scan"));
	EXPECT_EQ(0, knumad_set("migrate_rate_limit_mbps", "1"));
	EXPECT_EQ(1, knumad_get("migrate_rate_limit_mbps"));
}

/* A write to scan_sleep_millisecs wakes the thread from a long sleep. */
TEST_F_TIMEOUT(knumad, sleep_write_wakes, 60)
{
	long scans;
	double t0;

	/* a longer sleep applies at once: the next pass is 600 s away */
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "600000"));
	usleep(300000);
	scans = knumad_get("full_scans");
	usleep(500000);
	ASSERT_EQ(scans, knumad_get("full_scans"));
	t0 = now_s();
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "50"));
	ASSERT_TRUE(wait_scans(scans, 1, 2));
	TH_LOG("woke and scanned %.2f s after the write", now_s() - t0);
}

/*
 * The issue's main case: memory first touched on node 0, then used only
 * by threads on the far node, ends up at least 95% there.
 */
/*
 * The pid of the knumad kernel thread, or -1: a kernel thread (no
 * /proc/<pid>/exe) named knumad - this test binary has the same name.
 */
static int knumad_kthread_pid(void)
{
	char path[64], comm[32], exe[16];
	int pid, found = -1;
	FILE *f;

	for (pid = 2; pid < 4096 && found < 0; pid++) {
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strcmp(comm, "knumad\n")) {
			snprintf(path, sizeof(path), "/proc/%d/exe", pid);
			if (readlink(path, exe, sizeof(exe)) < 0)
				found = pid;
		}
		fclose(f);
	}
	return found;
}

/*
 * CPU time of the knumad kernel thread in ns, and (each if not NULL) the
 * time it waited runnable for a CPU and how many times it was switched in
 * (/proc/<pid>/schedstat), or -1.
 */
static long long knumad_thread_sched(long long *wait_ns, long long *runs)
{
	long long ns = -1, wait = -1, n = -1;
	int pid = knumad_kthread_pid();
	char path[64];
	FILE *f;

	if (pid >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
		f = fopen(path, "r");
		if (f && fscanf(f, "%lld %lld %lld", &ns, &wait, &n) != 3) {
			ns = -1;
			wait = -1;
			n = -1;
		}
		if (f)
			fclose(f);
	}
	if (wait_ns)
		*wait_ns = wait;
	if (runs)
		*runs = n;
	return ns;
}

static long long knumad_thread_ns(void)
{
	return knumad_thread_sched(NULL, NULL);
}

/*
 * Pages the knumad thread (@kpid) moved, by its knumad_migrate events
 * between the trace markers @from (NULL: the start of the trace) and @to
 * (NULL: its end); -1 if @from is given and not in the trace.
 */
static long kthread_pages_between(const char *from, const char *to, int kpid)
{
	char path[256], line[512], want[32];
	unsigned int pages;
	long n = from ? -1 : 0;
	char *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", tracefs());
	snprintf(want, sizeof(want), "-%d ", kpid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (from && strstr(line, from)) {
			n = 0;
			continue;
		}
		if (n >= 0 && to && strstr(line, to))
			break;
		p = strstr(line, "knumad_migrate:");
		if (n < 0 || !p || !strstr(line, want))
			continue;
		p = strstr(p, " pages=");
		if (p && sscanf(p, " pages=%u", &pages) == 1)
			n += pages;
	}
	if (f)
		fclose(f);
	return n;
}

/* The reach of a PMD (a region, a huge page) in bytes: 2 MiB on x86-64. */
static long pmd_size(void)
{
	long size = 0;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
			"r");

	if (f) {
		if (fscanf(f, "%ld", &size) != 1)
			size = 0;
		fclose(f);
	}
	/* no THP: a PMD maps a page of PTEs of 8 bytes each */
	return size > 0 ? size : page_size() / 8 * page_size();
}

/*
 * Who moved what when, from the knumad_migrate events to node @far: runs
 * of moves by one mover (k: the knumad thread @kpid, t: any other task -
 * the process's threads, in task work) in @out, as
 * "mover:pages@first-last ms" from the first event, for a failed bound
 * to say whether the threads moved while the knumad thread did.
 * Returns the most pages one move (one event) of the knumad thread
 * took, or -1 if the trace cannot be read.
 */
static long move_timeline(int far, int kpid, char *out, size_t size)
{
	char path[256], line[512], want[32], kwant[32], who = 0;
	double ts = 0, t0 = -1, first = 0, last = 0;
	unsigned int pages = 0;
	long run = 0, most = 0;
	size_t used = 0;
	char *p, *q;
	FILE *f;

	out[0] = 0;
	snprintf(path, sizeof(path), "%s/trace", tracefs());
	snprintf(want, sizeof(want), " nid=%d ", far);
	snprintf(kwant, sizeof(kwant), "-%d ", kpid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	for (;;) {
		bool end = !fgets(line, sizeof(line), f);
		char mover = 0;

		if (!end) {
			p = strstr(line, "knumad_migrate:");
			if (line[0] == '#' || !p || !strstr(p, want))
				continue;
			q = strstr(p, " pages=");
			if (!q || sscanf(q, " pages=%u", &pages) != 1)
				continue;
			/* the timestamp ends just before the event's name */
			while (p > line && p[-1] == ' ')
				p--;
			while (p > line && p[-1] != ' ')
				p--;
			if (sscanf(p, "%lf", &ts) != 1)
				continue;
			if (t0 < 0)
				t0 = ts;
			mover = strstr(line, kwant) && strstr(line, kwant) < p ?
				'k' : 't';
			if (mover == 'k' && pages > most)
				most = pages;
			if (mover == who) {
				run += pages;
				last = ts;
				continue;
			}
		}
		if (who && used < size)
			used += snprintf(out + used, size - used,
					 "%c:%ld@%.0f-%.0f ", who, run,
					 (first - t0) * 1e3, (last - t0) * 1e3);
		if (end)
			break;
		who = mover;
		run = pages;
		first = last = ts;
	}
	fclose(f);
	return most;
}

static void misplaced(struct __test_metadata *_metadata, int far, int thp,
		      unsigned long len)
{
	struct hammer h[2];
	volatile int stop = 0;
	struct knumad_proc k0, k1;
	long scans0, faults0, migr0, thp0, huge0, huge1, pte0, kpages, most;
	long long cpu0, cpu1, charged;
	char line[512] = "", want[32], timeline[2048];
	int n_target, n_migrate;
	double t0, share = 0, t;
	char *buf;
	int i, kpid;

	buf = map_aligned(len, thp);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	ASSERT_GE(share_on(buf, len, 0), 0.95);
	huge0 = anon_huge_kb();
	if (thp && huge0 < (long)(len / 1024) / 2)
		SKIP(goto out, "THP not available: AnonHugePages %ld kB", huge0);

	ASSERT_NE(NULL, tracefs());
	snprintf(line, sizeof(line), "%s/trace", tracefs());
	ASSERT_EQ(0, truncate_file(line));
	line[0] = 0;
	ASSERT_EQ(0, trace_enable("knumad_region_target", "1"));
	ASSERT_EQ(0, trace_enable("knumad_migrate", "1"));
	cpu0 = knumad_thread_ns();
	ASSERT_EQ(0, knumad_proc(0, &k0));
	scans0 = knumad_get("full_scans");
	faults0 = knumad_get("hint_faults");
	migr0 = knumad_get("pages_migrated");
	thp0 = knumad_get("thp_migrated");
	pte0 = vmstat("numa_pte_updates");
	t0 = now_s();
	ASSERT_EQ(0, pin_to_node(far));
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, far, &stop);
	/*
	 * 64 MiB took 6.6-9.8 s in most make test guests and alone, but
	 * 59.2, 66.8, 87.4 and 91.2 s in four make test guests of
	 * 2026-12-01/02 - 3.5-5.6 ms of a mover's CPU a page (in the 66.8 s
	 * run no move failed and the destination had 838 MiB free).  In one
	 * such run (43.8 s) the knumad thread moved for 38.2 s and the
	 * threads for 9.4 s: the knumad thread had taken the whole bucket
	 * and cleared the process's pending flag for a walk over every
	 * marked region, and the threads' ticks, seeing no work, stood by
	 * (fixed: see the knumad thread's bound below).
	 * The bound keeps room over that; a knumad that does not move stays
	 * near 0%.  The main thread, pinned beside the two movers, watches
	 * one page in 16 and confirms with every page: a query of all
	 * 16,384 pages every 100 ms kept it busy most of the time on the
	 * debug kernel, a third thread on the movers' two CPUs and on
	 * their page table locks.
	 */
	while ((t = now_s() - t0) < 170) {
		share = share_on_sampled(buf, len, far);
		if (share >= 0.95) {
			share = share_on(buf, len, far);
			t = now_s() - t0;
			if (share >= 0.95)
				break;
		}
		usleep(100000);
	}
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	ASSERT_EQ(0, knumad_proc(0, &k1));
	cpu1 = knumad_thread_ns();
	huge1 = anon_huge_kb();
	trace_enable("knumad_region_target", "0");
	trace_enable("knumad_migrate", "0");
	/* the buffer's regions, and maybe the stack's, which main used */
	snprintf(want, sizeof(want), " to=%d", far);
	n_target = trace_count("knumad_region_target:", want, line,
			       sizeof(line));
	snprintf(want, sizeof(want), " nid=%d", far);
	n_migrate = trace_count("knumad_migrate:", want, NULL, 0);
	TH_LOG("trace: %d knumad_region_target events to node %d, %d knumad_migrate events to it; first: %s",
	       n_target, far, n_migrate, line);
	/*
	 * The regions of the buffer got the far node, batches moved them:
	 * 95% of the regions at least, as the wait ends at 95% of the pages
	 * (while the threads move, the scan waits, so the last regions may
	 * still be undecided: 127 of 128 once).
	 */
	EXPECT_GE(n_target, (int)(len / (2 * MB)) * 95 / 100);
	EXPECT_GT(n_migrate, 0);
	TH_LOG("%ld PTEs armed (numa_pte_updates)", vmstat("numa_pte_updates") - pte0);
	TH_LOG("%lu MiB%s: %.1f%% on node %d after %.2f s, %ld full scans, %ld hint faults (%ld this process), %ld pages migrated (%ld this process), %ld THP migrated, knumad CPU %.3f s for this process, AnonHugePages %ld -> %ld kB",
	       len / MB, thp ? " THP" : "", share * 100, far, t,
	       knumad_get("full_scans") - scans0,
	       knumad_get("hint_faults") - faults0, k1.faults - k0.faults,
	       knumad_get("pages_migrated") - migr0,
	       k1.migrated - k0.migrated, knumad_get("thp_migrated") - thp0,
	       (k1.scan_ns + k1.migrate_ns - k0.scan_ns - k0.migrate_ns) / 1e9,
	       huge0, huge1);
	/*
	 * What the process is charged is what the thread spent on it: not
	 * more than the thread ran (schedstat lags by up to a tick: 2% and
	 * 50 ms of slack), and most of it (the other processes here are
	 * small), give or take two seconds: since this process's threads
	 * move its memory themselves, the thread does little for it, and
	 * its passes over the other processes every scan_sleep_millisecs
	 * show (1.44 s of its 1.65 s in a 34.6 s run of 631 passes: 4% of
	 * the time taken, so the slack grows by 10% of it - a run slowed by
	 * the host takes longer for those passes too).  The charge is made
	 * as the work goes, so it holds while a long move is still running.
	 */
	charged = k1.scan_ns + k1.migrate_ns - k0.scan_ns - k0.migrate_ns;
	TH_LOG("knumad thread CPU %.3f s in that time, %.3f s of it charged to this process (scanning %.3f s, moving %.3f s); this process's threads moved memory for %.3f s in task work; %ld page moves failed; node %d has %ld kB free",
	       (cpu1 - cpu0) / 1e9, charged / 1e9,
	       (k1.scan_ns - k0.scan_ns) / 1e9,
	       (k1.migrate_ns - k0.migrate_ns) / 1e9,
	       (k1.task_ns - k0.task_ns) / 1e9, k1.failed - k0.failed,
	       far, node_meminfo_kb(far, "MemFree"));
	ASSERT_GE(cpu0, 0);
	EXPECT_LE(charged, (cpu1 - cpu0) * 102 / 100 + 50000000LL);
	EXPECT_GE(charged * 2 + 2000000000LL + (long long)(t * 1e8),
		  cpu1 - cpu0);
	/*
	 * The threads move their memory; the knumad thread only what they
	 * leave, a visit of 32 MiB at most, in parallel with them.  Before,
	 * its first visit took the whole bucket and walked every marked
	 * region while the process looked idle to its threads' ticks: 23.2
	 * s of its moving against 2.95 s of theirs (4 nodes, 28.4 s), 38.2
	 * against 9.4 s (2 nodes, 43.8 s) - nearly all of the pages.  The
	 * bound is in pages, by the knumad thread's knumad_migrate events:
	 * three quarters of the buffer: the regression moved nearly all
	 * of it.  It was in time (its moving against theirs and 2 s),
	 * which a visit of 32 MiB broke where moves ran at the debug
	 * kernel's slow cost (1.4 ms a page: 11.4 s of its moving against
	 * 6.7 s of theirs in a make test run of 2026-12-06); then one visit
	 * and a region, which a second visit broke (the fresh-clone CI run
	 * of 3d7e262, 4 nodes, THP: 9,728 of 16,384 pages, 19 huge pages
	 * of 32; most likely the threads' steps stalled past
	 * KNUMAD_TASK_GRACE - a huge page's move took 48-64 ms in a fifth
	 * of the moves traced on the bench kernel that day - and the
	 * knumad thread, by design, came back for what they left).
	 */
	kpid = knumad_kthread_pid();
	ASSERT_GE(kpid, 0);
	kpages = kthread_pages_between(NULL, NULL, kpid);
	TH_LOG("the knumad thread moved %ld of the %ld pages moved",
	       kpages, k1.migrated - k0.migrated);
	most = move_timeline(far, kpid, timeline, sizeof(timeline));
	TH_LOG("moves to node %d (mover:pages@ms): %s; the knumad thread's largest move %ld pages",
	       far, timeline, most);
	ASSERT_GE(most, 0);
	EXPECT_LE(kpages, (long)(len / 4 * 3 / page_size()));
	/*
	 * It moves a region's worth at a time, queued folios too, so that
	 * it can stand back between two moves as the threads move again:
	 * a huge page and the base pages met before it in the queue, two
	 * regions' worth at most (a region is a PMD's reach).  It once
	 * took the queue's huge pages, 16 of them (its visit's share), in
	 * one migrate_pages(): one move of 1,536-8,192 pages in 4 of 10
	 * runs, the threads' steps meanwhile meeting the regions of the
	 * pages it held.  (The events are the far node's, of any process:
	 * the other processes here are small.)
	 */
	EXPECT_LE(most, 2 * pmd_size() / page_size());
	EXPECT_GE(share, 0.95);
	EXPECT_GT(k1.faults, k0.faults);
	EXPECT_GE(k1.migrated - k0.migrated, (long)(len / page_size()) * 9 / 10);
	if (thp) {
		EXPECT_GT(knumad_get("thp_migrated") - thp0, 0);
		EXPECT_GT(k1.thp - k0.thp, 0);
		/* still huge: at least 90% of what was huge before */
		EXPECT_GE(huge1, huge0 * 9 / 10);
	}
out:
	munmap(buf, len);
}

/* MemFree of node @nid in MiB, or -1. */
static long node_free_mb(int nid)
{
	long kb = node_meminfo_kb(nid, "MemFree");

	return kb < 0 ? -1 : kb / 1024;
}

TEST_F_TIMEOUT(knumad, misplaced_private, 240)
{
	const char *env = getenv("KNUMAD_TEST_MB");
	unsigned long mb = env ? strtoul(env, NULL, 0) : 256;
	long free_mb = node_free_mb(0);

	/* 256 MiB, unless node 0 cannot hold it (4 small nodes) */
	if (!env && free_mb > 0 && (unsigned long)free_mb / 2 < mb) {
		mb = free_mb / 2;
		TH_LOG("node 0 has %ld MiB free: using %lu MiB", free_mb, mb);
	}

	misplaced(_metadata, self->far, 0, mb * MB);
}

TEST_F_TIMEOUT(knumad, misplaced_thp, 240)
{
	misplaced(_metadata, self->far, 1, 64 * MB);
}

/*
 * Fork a child that runs @setup(@arg), tells the parent, and then either
 * sleeps or, with @wake, writes the first byte of what @setup returned
 * every 100 ms.  Its pid once @setup is done, or -1 (@setup failed: NULL).
 */
static pid_t fork_ready(char *(*setup)(unsigned long, unsigned long),
			unsigned long a, unsigned long b, int wake)
{
	int fds[2];
	pid_t child;
	char c;

	if (pipe(fds))
		return -1;
	child = fork();
	if (!child) {
		char *p = setup(a, b);

		if (!p || write(fds[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			if (!wake) {
				pause();
				continue;
			}
			p[0]++;
			usleep(100000);
		}
	}
	close(fds[1]);
	if (child > 0 && read(fds[0], &c, 1) != 1) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	close(fds[0]);
	return child;
}

/*
 * A misplaced process (fork_ready() runs it in the child): @len bytes first
 * touched on node 0, then written by two threads on node @far.
 */
static char *stand_back_setup(unsigned long len, unsigned long far)
{
	static struct hammer h[2];
	static volatile int never;
	char *buf = map_aligned(len, 0);
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!buf || pin_to_node(0))
		return NULL;
	touch(buf, len);
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, far, &never);
	return buf;
}

/*
 * The knumad thread moves what a process's threads leave, and stands
 * back once they move again - not only at its next visit.  A child's two
 * threads on the far node use its 64 MiB, first touched on node 0, while
 * migrate_rate_limit_mbps=1 lets every mover take 256 pages a second
 * (the bucket holds a second's worth): their faults mark regions faster
 * than anything moves them.  The child is stopped (SIGSTOP), the limit
 * raised to 4096, and continued as soon as the knumad thread is moving on
 * a visit of its own (up to 32 MiB).  Once the threads have moved again
 * (a trace marker then), the knumad thread may finish the region it is
 * in (512 pages), and a visit that begins when they pause (100 ms
 * without a region moved) may move the folios a few faults queued (64
 * at most) and one region: 0 in 2 runs alone (512 when only a region
 * a thread moved ended a visit, and 1,010 once in make test).
 * Before, its visit went on to 32 MiB whatever the threads did: 5,106
 * and 6,130 pages; a make test run of misplaced_private (2026-12-04) had
 * the knumad thread moving for 9.3 s and the threads for 2.6 s.
 */
TEST_F_TIMEOUT(knumad, thread_mover_stands_back, 240)
{
	unsigned long len = 64 * MB, n = len / page_size();
	struct knumad_proc k = { 0 };
	long m_stop, after, moved_at_cont, moved_at_mark;
	int kpid = knumad_kthread_pid(), status;
	long long task_ns;
	char mark[256];
	double t0;
	pid_t child;

	ASSERT_LE(0, kpid);
	ASSERT_NE(NULL, tracefs());
	snprintf(mark, sizeof(mark), "%s/trace", tracefs());
	ASSERT_EQ(0, truncate_file(mark));
	ASSERT_EQ(0, trace_enable("knumad_migrate", "1"));
	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "1"));
	snprintf(mark, sizeof(mark), "%s/trace_marker", tracefs());

	child = fork_ready(stand_back_setup, len, self->far, 0);
	ASSERT_LT(0, child);
	/* samples of 2 s of passes (every page armed each 50-ms pass) */
	t0 = now_s();
	while (now_s() - t0 < 30 &&
	       (knumad_proc(child, &k) || k.faults < 32 || now_s() - t0 < 2))
		usleep(20000);
	ASSERT_LE(32, k.faults);
	ASSERT_EQ(0, kill(child, SIGSTOP));
	ASSERT_EQ(child, waitpid(child, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, knumad_proc(child, &k));
	m_stop = k.migrated;
	task_ns = k.task_ns;
	TH_LOG("stopped after %ld hint faults, with %ld of %lu pages moved; threads moved for %.3f s, the knumad thread for %.3f s",
	       k.faults, m_stop, n, k.task_ns / 1e9, k.migrate_ns / 1e9);
	/* more than a visit left: the knumad thread's can only end early */
	ASSERT_LE(m_stop, (long)n / 2);
	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "4096"));
	/* the knumad thread takes over */
	t0 = now_s();
	while (now_s() - t0 < 30 &&
	       (knumad_proc(child, &k) || k.migrated <= m_stop + 16))
		usleep(2000);
	ASSERT_LT(m_stop + 16, k.migrated);
	moved_at_cont = k.migrated - m_stop;
	ASSERT_EQ(0, kill(child, SIGCONT));
	/* the threads moved again (their step's time is charged at its end) */
	t0 = now_s();
	while (now_s() - t0 < 30 &&
	       (knumad_proc(child, &k) || k.task_ns == task_ns))
		usleep(2000);
	ASSERT_LT(task_ns, k.task_ns);
	ASSERT_EQ(0, write_str(mark, "stand-back-moving"));
	moved_at_mark = k.migrated - m_stop;
	t0 = now_s();
	while (now_s() - t0 < 120 &&
	       (knumad_proc(child, &k) || k.migrated < (long)n * 95 / 100))
		usleep(100000);
	write_str(mark, "stand-back-done");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	trace_enable("knumad_migrate", "0");
	after = kthread_pages_between("stand-back-moving", "stand-back-done",
				      kpid);
	TH_LOG("%ld pages moved while the child was stopped, when continued; %ld when its threads had moved again; the knumad thread %ld after that; %ld of %lu pages moved in all, %.1f s after; the threads moved for %.3f s, the knumad thread for %.3f s",
	       moved_at_cont, moved_at_mark, after, k.migrated, n,
	       now_s() - t0, k.task_ns / 1e9, k.migrate_ns / 1e9);
	EXPECT_GE(k.migrated, (long)n * 95 / 100);
	EXPECT_LE(0, after);
	/*
	 * The region it is in, and a region in each of two visits begun
	 * while the threads paused (100 ms without a region moved), with
	 * the folios such a visit moves first: 1,010 in one make test run.
	 */
	EXPECT_LE(after, 3 * 512 + 64);
}

/*
 * A huge page no bucket can pay for does not hold up the rest.  At
 * migrate_rate_limit_mbps=1 the bucket holds 256 pages (a second's
 * worth), less than a 2 MiB huge page: that page can never move.  Before
 * the fix the walk over a process's marked regions stopped at it for
 * good ("short budget"), so base-page regions at higher addresses moved
 * only through the samples their faults queued: 16 pages a region every
 * 8 passes.  Here 2 MiB of THP come first and 4 MiB of base pages after,
 * all first touched on node 0 and used from the far node; the base pages
 * must reach 90% there in 10 s (1,024 pages at 256 a second; through the
 * samples alone they take twice that).
 */
TEST_F_TIMEOUT(knumad, unaffordable_huge_page_does_not_block, 90)
{
	unsigned long len = 6 * MB;
	struct hammer h;
	volatile int stop = 0;
	double t0, t, share = 0;
	char *buf;

	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, madvise(buf, 2 * MB, MADV_HUGEPAGE));
	touch(buf, len);
	if (anon_huge_kb() < 2048)
		SKIP(goto out, "THP not available");
	ASSERT_GE(share_on(buf + 2 * MB, 4 * MB, 0), 0.95);
	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "1"));
	t0 = now_s();
	ASSERT_EQ(0, pin_to_node(self->far));
	hammer_start(&h, buf, len, self->far, &stop);
	while ((t = now_s() - t0) < 10) {
		share = share_on(buf + 2 * MB, 4 * MB, self->far);
		if (share >= 0.9)
			break;
		usleep(100000);
	}
	stop = 1;
	pthread_join(h.thread, NULL);
	TH_LOG("4 MiB of base pages behind an unaffordable huge page: %.1f%% on node %d after %.2f s; the huge page %.0f%% there",
	       share * 100, self->far, t,
	       share_on(buf, 2 * MB, self->far) * 100);
	EXPECT_GE(share, 0.9);
out:
	munmap(buf, len);
}

/*
 * Every CPU busy: a spinning process pinned to each CPU, at nice 0, and a
 * thread on the far node using 16 MiB first touched on node 0.  The
 * memory must still follow the thread - on a saturated machine is where
 * placement matters most - so the knumad thread, whose work is bounded
 * by its knobs, must get a CPU.  At nice 19 it got a sliver of one: 32
 * MiB were 14.8% moved after 90 s, the thread waiting 88 s of them; at
 * nice 0, 99.2% after 15.7 s (2-node guest, debug kernel).
 *
 * The bound is 90 s, not the 40 s it was: measured 4.6 s to 24.1 s in
 * single runs here, and 62 s for the whole test in the CI run of
 * 2026-12-02.  The likely reason, not proven: under TCG, with 4 vCPUs on
 * a 2-core host and every vCPU spinning, a vCPU that holds a page table
 * lock (perf shows remove_migration_pte() against the thread's
 * migration_entry_wait()) or owes a TLB-flush IPI loses its host core
 * for a host time slice while the others spin behind it.  A mover that
 * does not get a CPU stays far below 95% at 90 s (14.8%, above).
 */
#define SPIN_MAX	64

/*
 * A thread on the far node uses memory first touched on node 0 while a
 * nice-0 spinner is pinned to every CPU, the knumad thread at nice
 * @knumad_nice (-1: as it is).  At most 90 s to 95%.  Returns the CPU
 * time the process's threads spent moving memory in task work.
 */
static long long busy_cpus_move(struct __test_metadata *_metadata,
				FIXTURE_DATA(knumad) *self, int knumad_nice)
{
	int cpus[SPIN_MAX], ncpus = 0, nspin = 0, spun = 0, i, nid, cpu;
	long long ran0, wait0, ran1, wait1;
	unsigned long len = 16 * MB;
	pid_t spin[SPIN_MAX], me = getpid();
	struct knumad_proc k0, k1;
	volatile int stop = 0;
	double t0, t, share = 0;
	struct hammer h;
	cpu_set_t set;
	char *buf;

	if (knumad_nice >= 0) {
		int pid = knumad_kthread_pid();

		if (pid < 0)
			SKIP(return 0, "no knumad thread");
		errno = 0;
		self->knumad_nice = getpriority(PRIO_PROCESS, pid);
		if (errno)
			SKIP(return 0, "knumad's nice: %s", strerror(errno));
		self->knumad_pid = pid;	/* the teardown restores it */
		if (setpriority(PRIO_PROCESS, pid, knumad_nice))
			SKIP(return 0, "renice knumad: %s", strerror(errno));
	}
	for (nid = 0; nid < nr_nodes(); nid++) {
		if (node_cpus(nid, &set))
			continue;
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			if (!CPU_ISSET(cpu, &set))
				continue;
			if (ncpus == SPIN_MAX)
				SKIP(return 0, "more than %d CPUs", SPIN_MAX);
			cpus[ncpus++] = cpu;
		}
	}
	ASSERT_GT(ncpus, 0);
	/* first: children forked later would share the buffer's pages */
	for (i = 0; i < ncpus; i++) {
		pid_t pid = fork();

		if (!pid) {
			cpu_set_t one;

			/* gone with this test's process, however it ends */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != me)
				_exit(1);	/* it ended before the prctl() */
			CPU_ZERO(&one);
			CPU_SET(cpus[i], &one);
			if (sched_setaffinity(0, sizeof(one), &one))
				_exit(1);
			for (;;)
				;
		}
		if (pid > 0)
			spin[nspin++] = pid;
	}
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	ASSERT_GE(share_on(buf, len, 0), 0.95);
	ran0 = knumad_thread_sched(&wait0, NULL);
	ASSERT_GE(ran0, 0);
	ASSERT_EQ(0, knumad_proc(0, &k0));
	t0 = now_s();
	hammer_start(&h, buf, len, self->far, &stop);
	while (now_s() - t0 < 100) {
		usleep(250000);
		share = share_on_sampled(buf, len, self->far);
		if (share < 0.95)
			continue;
		share = share_on(buf, len, self->far);
		if (share >= 0.95)
			break;
	}
	t = now_s() - t0;
	ran1 = knumad_thread_sched(&wait1, NULL);
	stop = 1;
	pthread_join(h.thread, NULL);
	ASSERT_EQ(0, knumad_proc(0, &k1));
	for (i = 0; i < nspin; i++) {
		int status = 0;

		kill(spin[i], SIGKILL);
		/* killed, not exited: it spun on its CPU all along */
		if (waitpid(spin[i], &status, 0) == spin[i] &&
		    WIFSIGNALED(status))
			spun++;
	}
	TH_LOG("%d of %d CPUs kept busy: %.1f%% on node %d after %.1f s; the knumad thread ran %.1f s and waited for a CPU %.1f s meanwhile; %ld pages moved, the process's threads moving for %.2f s of task work, the knumad thread for %.2f s",
	       spun, ncpus, share * 100, self->far, t, (ran1 - ran0) / 1e9,
	       (wait1 - wait0) / 1e9, k1.migrated - k0.migrated,
	       (k1.task_ns - k0.task_ns) / 1e9,
	       (k1.migrate_ns - k0.migrate_ns) / 1e9);
	EXPECT_EQ(ncpus, spun);
	EXPECT_GE(share, 0.95);
	EXPECT_LE(t, 90);
	munmap(buf, len);
	return k1.task_ns - k0.task_ns;
}

TEST_F_TIMEOUT(knumad, moves_while_every_cpu_is_busy, 150)
{
	busy_cpus_move(_metadata, self, -1);
}

/*
 * The knumad thread at nice 19 hardly runs while every CPU is busy (it
 * moved 14.8% of 32 MiB in 90 s when it did all the moving): the faulting
 * thread moves its memory itself, in task work, at its own priority.
 */
TEST_F_TIMEOUT(knumad, faulting_thread_moves_while_knumad_starves, 150)
{
	long long task_ns = busy_cpus_move(_metadata, self, 19);

	if (_metadata->exit_code != KSFT_SKIP)
		EXPECT_GT(task_ns, 0);
}

/* Two threads on two nodes, each with a private half: each half follows. */
TEST_F_TIMEOUT(knumad, private_halves, 150)
{
	unsigned long len = 32 * MB, half = len / 2;
	volatile int stop = 0;
	struct hammer h[2];
	double t0, a = 0, b = 0;
	char *buf;

	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	/* each half first touched on the other half's node */
	ASSERT_EQ(0, pin_to_node(self->far));
	touch(buf, half);
	ASSERT_EQ(0, pin_to_node(0));
	touch(buf + half, half);
	ASSERT_GE(share_on(buf, half, self->far), 0.95);
	ASSERT_GE(share_on(buf + half, half, 0), 0.95);

	hammer_start(&h[0], buf, half, 0, &stop);
	hammer_start(&h[1], buf + half, half, self->far, &stop);
	t0 = now_s();
	while (now_s() - t0 < 90) {
		a = share_on(buf, half, 0);
		b = share_on(buf + half, half, self->far);
		if (a >= 0.95 && b >= 0.95)
			break;
		usleep(100000);
	}
	stop = 1;
	pthread_join(h[0].thread, NULL);
	pthread_join(h[1].thread, NULL);
	TH_LOG("first half %.1f%% on node 0, second half %.1f%% on node %d after %.2f s",
	       a * 100, b * 100, self->far, now_s() - t0);
	EXPECT_GE(a, 0.95);
	EXPECT_GE(b, 0.95);
	munmap(buf, len);
}

/*
 * The implicit group of this process from /proc/self/memsched: its id
 * (0 if none), home in *@home and the number of member threads listed.
 */
static int implicit_group(int *home, int *members)
{
	char line[768];
	FILE *f = fopen("/proc/self/memsched", "r");
	int id = 0, gid, h, n = 0, tid;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "group %d home %d", &gid, &h) == 2 &&
		    strstr(line, " implicit")) {
			id = gid;
			*home = h;
		}
	if (f)
		rewind(f);
	while (id && f && fgets(line, sizeof(line), f))
		if (sscanf(line, "thread %d group %d", &tid, &gid) == 2 &&
		    gid == id)
			n++;
	if (f)
		fclose(f);
	*members = n;
	return id;
}

/* The groups of threads @a and @b, from one read of /proc/self/memsched. */
static void threads_groups(pid_t a, int *ga, pid_t b, int *gb)
{
	char line[768];
	FILE *f = fopen("/proc/self/memsched", "r");
	int tid, gid;

	*ga = *gb = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "thread %d group %d", &tid, &gid) != 2)
			continue;
		if (tid == a)
			*ga = gid;
		if (tid == b)
			*gb = gid;
	}
	if (f)
		fclose(f);
}

/*
 * Where @n pages are now (into @status), against where they were (@last,
 * updated): counts each page's node changes in @per, all of them in
 * *@changes, the most for one page in *@max.  move_pages()' result.
 */
static int count_node_changes(unsigned long n, void **pages, int *status,
			      int *last, long *per, long *changes, long *max)
{
	unsigned long i;

	if (sys_move_pages(0, n, pages, NULL, status, 0))
		return -1;
	for (i = 0; i < n; i++) {
		/* a page under migration reads as an error: skip */
		if (status[i] < 0)
			continue;
		if (status[i] != last[i]) {
			(*changes)++;
			if (++per[i] > *max)
				*max = per[i];
		}
		last[i] = status[i];
	}
	return 0;
}

/*
 * A 2 MiB region written all the time from both nodes: knumad samples it
 * on every pass; it may follow one node for a while, but its destination
 * changes at most once a second, then every 2, 4 ... seconds.  Node
 * changes of every page are counted with move_pages() every 20 ms.
 */
TEST_F_TIMEOUT(knumad, shared_pages_stay, 90)
{
	unsigned long len = 2 * MB, n = len / page_size(), i;
	int *status = calloc(n, sizeof(int)), *last = calloc(n, sizeof(int));
	void **pages = calloc(n, sizeof(void *));
	long scans0, changes = 0, max_changes = 0, *per = calloc(n, sizeof(long));
	int home, members, group_seen = 0, allowed;
	struct knumad_proc k0, k1;
	double t, wait;
	volatile int stop = 0;
	struct hammer h[2];
	char *buf;
	double t0;

	ASSERT_TRUE(status && last && pages && per);
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	for (i = 0; i < n; i++)
		pages[i] = buf + i * page_size();
	ASSERT_EQ(0, sys_move_pages(0, n, pages, NULL, last, 0));

	ASSERT_EQ(0, knumad_proc(0, &k0));
	scans0 = knumad_get("full_scans");
	hammer_start(&h[0], buf, len, 0, &stop);
	hammer_start(&h[1], buf, len, self->far, &stop);
	/*
	 * 10 s, and until knumad passed over the process 20 times (a guest
	 * starved by its host may need longer; at most 20 s).
	 */
	t0 = now_s();
	while (now_s() - t0 < 10 ||
	       (knumad_get("full_scans") - scans0 < 20 && now_s() - t0 < 20)) {
		usleep(20000);
		/*
		 * Two busy threads pinned to different nodes fit no node:
		 * the process is split, one part per node, never one group
		 * holding both (one formed when a busy thread's faults
		 * decayed to 0 and its verdict went with its entry).
		 */
		threads_groups(h[0].tid, &home, h[1].tid, &members);
		if (home > 0 && home == members && !group_seen) {
			group_seen = 1;
			TH_LOG("both threads in group %d at %.2f s", home,
			       now_s() - t0);
		}
		ASSERT_EQ(0, count_node_changes(n, pages, status, last, per,
						&changes, &max_changes));
	}
	stop = 1;
	pthread_join(h[0].thread, NULL);
	pthread_join(h[1].thread, NULL);
	ASSERT_EQ(0, knumad_proc(0, &k1));
	t = now_s() - t0;
	TH_LOG("%ld full scans, %ld hint faults in this process, %ld page node changes seen (max %ld for one page), %ld pages migrated for this process, in %.1f s",
	       knumad_get("full_scans") - scans0, k1.faults - k0.faults,
	       changes, max_changes, k1.migrated - k0.migrated, t);
	/* it was sampled, and sampled often */
	EXPECT_GE(knumad_get("full_scans") - scans0, 20);
	EXPECT_GE(k1.faults - k0.faults, 20);
	/*
	 * A region's destination changes at most 1 s after it was decided,
	 * then 2 s, 4 s ... later: decided, then changed at 1, 3, 7, 15 s
	 * at the soonest - 4 changes in 10 s, 5 in 20 s.
	 */
	for (allowed = 1, wait = 1; wait <= t; wait = 2 * wait + 1)
		allowed++;
	EXPECT_LE(max_changes, allowed);
	EXPECT_LE(k1.migrated - k0.migrated, allowed * (long)n + 64);
	EXPECT_EQ(0, group_seen);
	munmap(buf, len);
	free(status);
	free(last);
	free(pages);
	free(per);
}

/* This process's anonymous pages, summed over every CPU's share. */
static long anon_pages_exact(void)
{
	long kb = proc_kb("/proc/self/status", "RssAnon");

	return kb < 0 ? -1 : kb * 1024 / page_size();
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* A thread that pins itself to @nid, then writes @len of @addr once told. */
struct waiting_hammer {
	pthread_t thread;
	char *addr;
	unsigned long len;
	int nid;
	volatile int ready, go, stop;
};

static void *waiting_hammer_fn(void *arg)
{
	struct waiting_hammer *h = arg;
	unsigned long i;

	pin_to_node(h->nid);
	h->ready = 1;
	while (!h->go)
		usleep(1000);
	while (!h->stop)
		for (i = 0; i < h->len && !h->stop; i += page_size())
			((volatile char *)h->addr)[i]++;
	return NULL;
}

/*
 * The count of a process's anonymous pages is a percpu counter: a CPU
 * folds its share into the global count when the share reaches
 * percpu_counter_batch (max(32, 2 x CPUs)), and get_mm_counter() reads the
 * global count only.  A process of a little more than one region (2 MiB)
 * whose last pages were touched on two CPUs, batch - 1 of them on the
 * last, reads as less than one region, and stays so: its thread writes
 * the memory it has, no count changes.  knumad took it for too small to
 * sample, for good (shared_pages_stay failed so once in CI: 0 hint faults
 * in 10 s, 22 full scans - the knumad thread dozing, the process being
 * all it had to see).  Here that state is made on purpose: each CPU's
 * share is folded in first (an MADV_DONTNEED of 2 x batch pages changes
 * the count by that much at once).
 */
TEST_F_TIMEOUT(knumad, anon_count_behind_is_sampled, 60)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu, cpus[2], found = 0;
	int batch = ncpu * 2 > 32 ? ncpu * 2 : 32;
	unsigned long want = 2 * MB / page_size(), i, x, bulk;
	/* static: an ASSERT leaves this frame while the thread runs */
	static struct waiting_hammer h;
	long base, all, hidden, scans0;
	struct knumad_proc k0, k1;
	char *buf, *scratch;
	cpu_set_t set;
	double t0, t;

	/* two CPUs this process may run on, the last one's share behind */
	ASSERT_EQ(0, unpin());
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(set), &set));
	for (cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[found++] = cpu;
	if (found < 2 || 2 * batch > (int)want)
		SKIP(return, "%d CPUs allowed, a batch of %d pages: no share to hide",
		     found, batch);
	buf = map_aligned(2 * MB, 0);
	scratch = map_aligned(2 * MB, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, scratch);
	/* what the loop below calls, called once: no page faulted later */
	ASSERT_EQ(0, knumad_proc(0, &k0));
	ASSERT_LE(0, knumad_get("full_scans"));
	now_s();
	memset(&h, 0, sizeof(h));
	h.addr = buf;
	h.nid = self->far;
	ASSERT_EQ(0, pthread_create(&h.thread, NULL, waiting_hammer_fn, &h));
	while (!h.ready)
		usleep(1000);
	base = anon_pages_exact();
	ASSERT_LT(0, base);
	/* 16 pages more than a region in all, batch - 1 of them last */
	if (base + batch + 16 > (long)want) {
		h.stop = h.go = 1;
		pthread_join(h.thread, NULL);
		SKIP(return, "%ld anonymous pages before the test: too many",
		     base);
	}
	x = want + 16 - base;
	bulk = x - (batch - 1);
	h.len = x * page_size();
	/* every CPU's share folded in: one change of 2 x batch pages */
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		ASSERT_EQ(0, pin_to_cpu(cpu));
		touch(scratch, 2 * batch * page_size());
		ASSERT_EQ(0, madvise(scratch, 2 * batch * page_size(),
				     MADV_DONTNEED));
	}
	ASSERT_EQ(0, pin_to_cpu(cpus[0]));
	for (i = 0; i < bulk; i++)
		buf[i * page_size()] = 1;
	ASSERT_EQ(0, pin_to_cpu(cpus[1]));
	for (i = bulk; i < x; i++)
		buf[i * page_size()] = 1;
	hidden = bulk % batch + batch - 1;
	all = anon_pages_exact();
	TH_LOG("%ld anonymous pages (%ld before the test), %ld of them not folded into the global count: it reads %ld, a region is %lu",
	       all, base, hidden, all - hidden, want);
	/* the state the test is about, or it says nothing */
	ASSERT_GE(all, (long)want);
	ASSERT_LT(all - hidden, (long)want);

	ASSERT_EQ(0, knumad_proc(0, &k0));
	scans0 = knumad_get("full_scans");
	h.go = 1;
	/* 4 s: 80 scan periods; a process not taken for small faults at once */
	t0 = now_s();
	while (now_s() - t0 < 4)
		usleep(20000);
	h.stop = 1;
	pthread_join(h.thread, NULL);
	ASSERT_EQ(0, knumad_proc(0, &k1));
	t = now_s() - t0;
	TH_LOG("%ld full scans, %ld hint faults in this process in %.1f s",
	       knumad_get("full_scans") - scans0, k1.faults - k0.faults, t);
	EXPECT_GE(k1.faults - k0.faults, 10);
	munmap(buf, 2 * MB);
	munmap(scratch, 2 * MB);
}

/*
 * Two threads on two nodes sweep one buffer of 16 regions; each pass, each
 * region's samples all go to whichever thread comes by first.  A region
 * may be decided (a move if its pages were first touched on the other
 * node) and moved at the first turn (which looks like a handover for
 * good); a thread that takes it back then holds it for 64 s
 * (knumad_region_visit()).  A take-back made in the middle of the other
 * thread's visit is not seen as one, and waits out only the flip
 * back-off: a third move (node 1, node 0, node 1 again, traced) in 5
 * runs of 37, a fourth in none - the bound below is that observation,
 * not a guarantee of the rule.  Before the hold each region flipped at
 * 1, 3, 7 s ... to whoever came first three passes in a row
 * (shared_pages_stay's bound; 26,613 pages moved of 8,192 here, one page
 * 4 times; perf bench numa mem on 4 nodes moved each process's memory 2.3
 * times over in 16 s).
 */
TEST_F_TIMEOUT(knumad, shared_sweep_settles_after_a_turn, 90)
{
	unsigned long len = 32 * MB, n = len / page_size(), i, stride = 16;
	unsigned long ns = n / stride;
	int *status = calloc(ns, sizeof(int)), *last = calloc(ns, sizeof(int));
	void **pages = calloc(ns, sizeof(void *));
	long scans0, changes = 0, max_changes = 0, *per = calloc(ns, sizeof(long));
	int home, members, group_seen = 0;
	struct knumad_proc k0, k1;
	volatile int stop = 0;
	struct hammer h[2];
	double t0, t;
	char *buf;

	ASSERT_TRUE(status && last && pages && per);
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	for (i = 0; i < ns; i++)
		pages[i] = buf + i * stride * page_size();
	ASSERT_EQ(0, sys_move_pages(0, ns, pages, NULL, last, 0));

	ASSERT_EQ(0, knumad_proc(0, &k0));
	scans0 = knumad_get("full_scans");
	hammer_start(&h[0], buf, len, 0, &stop);
	hammer_start(&h[1], buf, len, self->far, &stop);
	/* 15 s, and at least 40 passes over the process (at most 30 s) */
	t0 = now_s();
	while (now_s() - t0 < 15 ||
	       (knumad_get("full_scans") - scans0 < 40 && now_s() - t0 < 30)) {
		/* one page a 64 KiB, 5 times a second: see share_on_sampled() */
		usleep(200000);
		/* split, one part per node, as in shared_pages_stay */
		threads_groups(h[0].tid, &home, h[1].tid, &members);
		if (home > 0 && home == members)
			group_seen = 1;
		ASSERT_EQ(0, count_node_changes(ns, pages, status, last, per,
						&changes, &max_changes));
	}
	stop = 1;
	pthread_join(h[0].thread, NULL);
	pthread_join(h[1].thread, NULL);
	ASSERT_EQ(0, knumad_proc(0, &k1));
	t = now_s() - t0;
	TH_LOG("%ld full scans, %ld hint faults in this process, %ld node changes of %lu pages watched (max %ld for one page), %ld pages migrated of %lu, sweeps %lu and %lu, in %.1f s",
	       knumad_get("full_scans") - scans0, k1.faults - k0.faults,
	       changes, ns, max_changes, k1.migrated - k0.migrated, n,
	       h[0].loops, h[1].loops, t);
	/*
	 * Turns are told by the low pid bits (a cpupid's), 0xff meaning
	 * none: distinct and real here, or the test says nothing.
	 */
	if (!((h[0].tid ^ h[1].tid) & 0xff) || (h[0].tid & 0xff) == 0xff ||
	    (h[1].tid & 0xff) == 0xff) {
		munmap(buf, len);
		free(status);
		free(last);
		free(pages);
		free(per);
		SKIP(return, "tids %d and %d: low 8 bits equal or 0xff",
		     h[0].tid, h[1].tid);
	}
	EXPECT_EQ(0, group_seen);
	EXPECT_GE(knumad_get("full_scans") - scans0, 40);
	EXPECT_GE(k1.faults - k0.faults, 40);
	/* both threads swept it, again and again */
	EXPECT_GE(h[0].loops, 10);
	EXPECT_GE(h[1].loops, 10);
	/*
	 * Decided, one turn, one take-back: no page moved 4 times (above).
	 * The buffer as a whole moved 1.31 times over at most in 37 runs
	 * (most regions are decided where they are, or taken back to
	 * where they were first): not twice.
	 */
	EXPECT_LE(max_changes, 3);
	EXPECT_LE(k1.migrated - k0.migrated, 2 * (long)n + 64);
	munmap(buf, len);
	free(status);
	free(last);
	free(pages);
	free(per);
}

/*
 * A thread that starts on node @nid, then may run anywhere, writes its
 * range until told, and counts on which node it ran.
 */
struct roamer {
	pthread_t thread;
	char *addr;
	unsigned long len;
	int nid;
	volatile int *stop;
	volatile int fork_now;
	int child_group;	/* the group a child process started in */
	int vfork_group;	/* ... a CLONE_VM | CLONE_VFORK child */
	pid_t tid;
	long samples[8];	/* loops per node of the CPU */
	char stack[65536] __attribute__((aligned(16)));	/* vfork_child() */
};

static int cpu_to_node(int cpu)
{
	cpu_set_t set;
	int nid;

	for (nid = 0; nid < nr_nodes() && nid < 8; nid++)
		if (!node_cpus(nid, &set) && CPU_ISSET(cpu, &set))
			return nid;
	return -1;
}

/* A CLONE_VM child, as vfork() and posix_spawn() make: its group. */
static int vfork_child(void *arg)
{
	*(volatile int *)arg = ms_tbind(0, MS_ID_GET, 0);
	return 0;
}

static void *roamer_fn(void *arg)
{
	struct roamer *r = arg;
	unsigned long i;
	cpu_set_t all;
	double t0;
	int cpu, nid;

	r->tid = syscall(SYS_gettid);
	pin_to_node(r->nid);
	for (t0 = now_s(); now_s() - t0 < 0.3; )
		for (i = 0; i < r->len; i += page_size())
			((volatile char *)r->addr)[i]++;
	CPU_ZERO(&all);
	for (cpu = 0; cpu < sysconf(_SC_NPROCESSORS_ONLN); cpu++)
		CPU_SET(cpu, &all);
	sched_setaffinity(0, sizeof(all), &all);
	while (!*r->stop) {
		for (i = 0; i < r->len && !*r->stop; i += page_size()) {
			((volatile char *)r->addr)[i]++;
			/* where it runs, every 64 pages: many samples a loop */
			if ((i / page_size()) % 64)
				continue;
			nid = cpu_to_node(sched_getcpu());
			if (nid >= 0)
				r->samples[nid]++;
		}
		if (r->fork_now) {
			pid_t pid = fork();
			int status;

			if (!pid)
				_exit(ms_tbind(0, MS_ID_GET, 0));
			r->child_group = -1;
			if (pid > 0 && waitpid(pid, &status, 0) == pid &&
			    WIFEXITED(status))
				r->child_group = WEXITSTATUS(status);
			r->vfork_group = -1;
			pid = clone(vfork_child, r->stack + sizeof(r->stack),
				    CLONE_VM | CLONE_VFORK | SIGCHLD,
				    &r->vfork_group);
			if (pid > 0)
				waitpid(pid, &status, 0);
			r->fork_now = 0;
		}
	}
	return NULL;
}

/*
 * An unmodified process that fits one node, whose threads share memory:
 * knumad gives it an implicit group, the scheduler brings its threads to
 * the group's home, knumad brings its memory there.  The group cannot be
 * joined by id, a child process does not inherit it, and disabling knumad
 * dissolves it.  (Threads that each write memory of their own get a group
 * only while they and their memory are apart: with private halves, the
 * far thread's half could follow it before the threads were judged, and
 * then the process needs no home - private_threads_keep_their_nodes.)
 */
TEST_F_TIMEOUT(knumad, implicit_group_brings_threads_and_memory_together,
	       240)
{
	unsigned long len = 32 * MB;
	struct roamer r[2] = {};
	volatile int stop = 0;
	int nthreads, i, id = 0, home = -1, members = 0;
	long before[2][8], in_home, all;
	double t0, share = 0;
	cpu_set_t set;
	char *buf;

	ASSERT_EQ(0, node_cpus(0, &set));
	nthreads = CPU_COUNT(&set) >= 2 ? 2 : 1;
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);	/* on node 0: the fixture pinned us there */
	ASSERT_GE(share_on(buf, len, 0), 0.95);
	/*
	 * The main thread only watches, but its polling below costs a
	 * quarter of a CPU and more under KASAN and TCG: pinned to node 0,
	 * it would rightly keep the process's home off any other node (a
	 * 4-node CI run: group made at home 1, then taken away for node 0).
	 */
	ASSERT_EQ(0, unpin());
	/*
	 * Thread 0 starts on the far node, thread 1 on node 0; both write
	 * the whole buffer.
	 */
	for (i = 0; i < nthreads; i++) {
		r[i].addr = buf;
		r[i].len = len;
		r[i].nid = i ? 0 : self->far;
		r[i].stop = &stop;
		pthread_create(&r[i].thread, NULL, roamer_fn, &r[i]);
	}

	/*
	 * Until both workers are in it.  The main thread joins too once it
	 * takes a hinting fault (any thread of the process does), so the
	 * group has nthreads or nthreads + 1 members.
	 */
	t0 = now_s();
	while (now_s() - t0 < 60) {
		id = implicit_group(&home, &members);
		for (i = 0; id && i < nthreads; i++)
			if (ms_tbind(r[i].tid, MS_ID_GET, 0) != id)
				break;
		if (id && i == nthreads)
			break;
		usleep(50000);
	}
	TH_LOG("%d threads: implicit group %d home %d with %d members after %.2f s",
	       nthreads, id, home, members, now_s() - t0);
	ASSERT_GT(id, 0);
	for (i = 0; i < nthreads; i++)
		ASSERT_EQ(id, ms_tbind(r[i].tid, MS_ID_GET, 0));
	EXPECT_GE(members, nthreads);
	EXPECT_LE(members, nthreads + 1);

	/*
	 * The memory follows the threads home.  Looked at once a second and
	 * from one page in 16 (share_on_sampled()): share_on() asks
	 * move_pages() about 8,192 pages, which costs this thread, a member,
	 * a large share of a CPU under KASAN and TCG.  That was thought to
	 * dissolve the group (88 -> 91 at the same home in a make test run),
	 * but the group check below still fails about one run in ten with
	 * this polling and with the first loop at 250 ms: not understood
	 * (issue 13); make test leaves this test out.
	 */
	while (now_s() - t0 < 150) {
		if (share_on_sampled(buf, len, home) >= 0.95 &&
		    share_on(buf, len, home) >= 0.95)
			break;
		sleep(1);
	}
	share = share_on(buf, len, home);
	TH_LOG("%.1f%% of %lu MiB on node %d after %.2f s", share * 100,
	       len / MB, home, now_s() - t0);
	EXPECT_GE(share, 0.95);

	/*
	 * And the threads run there: where each ran, sampled every 64 pages
	 * it wrote, over at least 3 s and until each thread has 500 samples
	 * (at most 30 s).  Preference, not pinning: the knumad thread and
	 * kworkers share the home CPUs, so a thread may spend a while on
	 * another node's idle CPUs (runs seen: 67% to 100% at home); without
	 * the group one of the two threads would stay on its starting node,
	 * about 0% at home.
	 */
	memcpy(before[0], r[0].samples, sizeof(before[0]));
	memcpy(before[1], r[1].samples, sizeof(before[1]));
	for (t0 = now_s(); now_s() - t0 < 30; ) {
		long least = -1;

		usleep(200000);
		for (i = 0; i < nthreads; i++) {
			int nid;

			all = 0;
			for (nid = 0; nid < 8; nid++)
				all += r[i].samples[nid] - before[i][nid];
			if (least < 0 || all < least)
				least = all;
		}
		if (now_s() - t0 >= 3 && least >= 500)
			break;
	}
	/* the same group, at the same home, all along */
	{
		int id2, home2, members2;

		id2 = implicit_group(&home2, &members2);
		TH_LOG("now: implicit group %d home %d with %d members",
		       id2, home2, members2);
		EXPECT_EQ(id, id2);
		EXPECT_EQ(home, home2);
	}
	for (i = 0; i < nthreads; i++) {
		int nid;

		all = 0;
		for (nid = 0; nid < 8; nid++)
			all += r[i].samples[nid] - before[i][nid];
		in_home = r[i].samples[home] - before[i][home];
		TH_LOG("thread %d: %ld of %ld samples on node %d in %.1f s",
		       i, in_home, all, home, now_s() - t0);
		EXPECT_GE(all, 100);
		EXPECT_GE(in_home * 100, all * 60);
	}

	/* Not joinable by id, not inherited by a child process. */
	EXPECT_EQ(-1, ms_tbind(0, id, 0));
	EXPECT_EQ(EINVAL, errno);
	r[0].fork_now = 1;
	for (t0 = now_s(); r[0].fork_now && now_s() - t0 < 10; )
		usleep(10000);
	EXPECT_EQ(0, r[0].child_group);
	/* nor by one that shares the address space until it execs */
	EXPECT_EQ(0, r[0].vfork_group);

	/* Disabling knumad dissolves the group. */
	ASSERT_EQ(0, knumad_set("enabled", "0"));
	EXPECT_EQ(0, implicit_group(&home, &members));
	for (i = 0; i < nthreads; i++)
		EXPECT_EQ(0, ms_tbind(r[i].tid, MS_ID_GET, 0));
	stop = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(r[i].thread, NULL);
	munmap(buf, len);
}

/*
 * Two threads that use one buffer in step: the leader, pinned to node
 * @nid, first touches it there and writes every page; the follower,
 * first on node 0, then anywhere, a consumer, writes one page in 8 just
 * after the leader wrote it - and waits for the leader, busy, in between.
 */
struct stepper {
	pthread_t thread;
	char *addr;
	unsigned long len;
	int nid;
	struct stepper *lead;	/* NULL for the leader */
	volatile unsigned long pos;	/* pages the leader passed so far */
	volatile int *stop;
	volatile int ready;	/* the leader touched the buffer */
	volatile pid_t tid;
	volatile int pinned;	/* 1: pinned to @nid, -1: could not be */
	long on[8];		/* steps, per node of the CPU, every 64th */
};

static void *stepper_fn(void *arg)
{
	struct stepper *s = arg;
	unsigned long n = s->len / page_size();
	int nid;

	s->pinned = pin_to_node(s->nid) ? -1 : 1;
	s->tid = syscall(SYS_gettid);
	if (s->pinned < 0)
		return NULL;
	if (!s->lead) {
		touch(s->addr, s->len);
		s->ready = 1;
	} else {
		while (!s->lead->ready && !*s->stop)
			;
		unpin();
	}
	while (!*s->stop) {
		/* the follower a page behind: the leader takes the faults */
		while (s->lead && s->lead->pos <= s->pos + 1 && !*s->stop)
			;
		if (!s->lead || !(s->pos % 8))
			((volatile char *)s->addr)[(s->pos % n) * page_size()]++;
		s->pos++;
		if (s->pos % 64)
			continue;
		nid = cpu_to_node(sched_getcpu());
		if (nid >= 0 && nid < 8)
			s->on[nid]++;
	}
	return NULL;
}

/* Log this process's "knumad thread" lines of /proc/self/memsched. */
static void log_knumad_threads(struct __test_metadata *_metadata)
{
	FILE *f = fopen("/proc/self/memsched", "r");
	char line[768];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "knumad thread", 13))
			TH_LOG("%.*s", (int)strcspn(line, "\n"), line);
	if (f)
		fclose(f);
}

/*
 * The shared workload's run that stayed at 0.5 (issue 13): of two threads
 * that use one buffer in step, the one ahead takes nearly all the
 * hinting faults.  With the buffer and the leader on the far node and
 * the follower on node 0, the follower's own samples can be too few to
 * show it apart from its memory; then the process got no home, and the
 * follower stayed on node 0 for good (and held a CPU there that another
 * process's thread needed to get home).  The process's samples, all of
 * the far node's memory, show it (the follower's few, if any, are of it
 * too): the process gets a home there, and the follower comes to it.
 * The leader stays pinned to the far node, so the load balancer cannot
 * bring the two together first.
 */
TEST_F_TIMEOUT(knumad, follower_of_a_shared_sweep_comes_to_the_memory, 120)
{
	unsigned long len = 32 * MB;
	struct stepper *s;
	volatile int *stop;
	int i, id = 0, home = -1, members = 0, nid, started = 0, left = 0, fit;
	long before[8], all, there;
	double t0, t, share;
	char *buf, skip[80];

	fit = far_fits_two(self->far, skip, sizeof(skip));
	ASSERT_LE(0, fit) TH_LOG("%s", skip);
	if (fit)
		SKIP(return, "%s", skip);
	/* not on the stack: a failed check must not leave them running */
	s = calloc(2, sizeof(*s));
	stop = calloc(1, sizeof(*stop));
	buf = map_aligned(len, 0);
	ASSERT_TRUE(s && stop && buf);
	/* the main thread only watches, from any CPU */
	ASSERT_EQ(0, unpin());
	for (i = 0; i < 2; i++) {
		s[i].addr = buf;
		s[i].len = len;
		s[i].nid = i ? 0 : self->far;
		s[i].lead = i ? &s[0] : NULL;
		s[i].stop = stop;
		if (pthread_create(&s[i].thread, NULL, stepper_fn, &s[i]))
			break;
		started++;
	}
	EXPECT_EQ(2, started);
	if (started < 2)
		goto out;
	while (!s[0].ready && !(s[0].tid && s[0].pinned < 0))
		usleep(10000);
	while (!s[1].tid)
		usleep(10000);
	EXPECT_EQ(1, s[0].pinned);
	EXPECT_EQ(1, s[1].pinned);
	if (s[0].pinned < 0 || s[1].pinned < 0)
		goto out;
	share = share_on(buf, len, self->far);
	EXPECT_GE(share, 0.95);
	if (share < 0.95)
		goto out;

	/*
	 * Until both threads are in one group: 6 s at most (120 passes of
	 * the fixture's).  With the process's samples 0.42-1.58 s in 10
	 * runs; without them no group within 6 s in 4 runs of 5 (4.13 s in
	 * the fifth) - the follower's own samples, a few a second, show it
	 * apart in the end.
	 */
	t0 = now_s();
	while ((t = now_s() - t0) < 6) {
		id = implicit_group(&home, &members);
		if (id && ms_tbind(s[0].tid, MS_ID_GET, 0) == id &&
		    ms_tbind(s[1].tid, MS_ID_GET, 0) == id)
			break;
		usleep(100000);
	}
	TH_LOG("implicit group %d home %d with %d members after %.2f s; steps %lu and %lu",
	       id, home, members, t, s[0].pos, s[1].pos);
	log_knumad_threads(_metadata);
	/*
	 * The case only if the follower was on node 0 until then: had the
	 * load balancer put it beside the leader, the threads ran on one
	 * node, and a home came without the process's samples.
	 */
	all = 0;
	for (nid = 0; nid < 8; nid++)
		all += s[1].on[nid];
	if (s[1].on[0] * 2 <= all) {
		TH_LOG("the follower ran on node 0 for %ld of %ld steps",
		       s[1].on[0], all);
		left = !!id;
		if (left)
			goto out;
	}
	EXPECT_GT(id, 0);
	EXPECT_EQ(self->far, home);
	EXPECT_EQ(id, ms_tbind(s[1].tid, MS_ID_GET, 0));
	if (!id || home != self->far)
		goto out;

	/*
	 * The follower then runs there: over 3 s at least, until it has 100
	 * samples (every 64th step; a loaded CI guest made 92 in 3 s), 30 s
	 * at most.  The memory stays.
	 */
	memcpy(before, s[1].on, sizeof(before));
	for (t0 = now_s(); now_s() - t0 < 30; ) {
		usleep(200000);
		all = 0;
		for (nid = 0; nid < 8; nid++)
			all += s[1].on[nid] - before[nid];
		if (now_s() - t0 >= 3 && all >= 100)
			break;
	}
	there = s[1].on[home] - before[home];
	TH_LOG("the follower: %ld of %ld steps on node %d in %.1f s", there,
	       all, home, now_s() - t0);
	EXPECT_GE(all, 100);
	EXPECT_GE(there * 100, all * 60);
	share = share_on(buf, len, home);
	TH_LOG("%.1f%% of the buffer on node %d", share * 100, home);
	EXPECT_GE(share, 0.95);
out:
	*stop = 1;
	for (i = 0; i < started; i++)
		pthread_join(s[i].thread, NULL);
	munmap(buf, len);
	free(s);
	free((void *)stop);
	if (left)
		SKIP(return, "the follower left node 0 before the group came");
}

/*
 * A busy thread on memory knumad does not sample (a memfd, first touched
 * on node 0), with an entry from anonymous memory it used before, and
 * a thread pinned to the far node that writes an anonymous buffer there.
 */
struct shm_worker {
	pthread_t thread;
	char *scratch, *shm;
	unsigned long scratch_len, shm_len;
	volatile int *stop;
	volatile int go_shm;	/* set by the watcher: to the memfd */
	volatile int ready;	/* on the memfd now, the scratch unused */
	volatile pid_t tid;
	volatile int pinned;
	long on[8];		/* steps on the memfd, per node, every 64th */
	int cpu_node[256];	/* filled before: no stdio in the worker */
};

static void *shm_worker_fn(void *arg)
{
	struct shm_worker *w = arg;
	unsigned long n, pos = 0;
	int cpu, nid;

	w->pinned = pin_to_node(0) ? -1 : 1;
	w->tid = syscall(SYS_gettid);
	if (w->pinned < 0)
		return NULL;
	touch(w->scratch, w->scratch_len);	/* on node 0: pinned there */
	/* not pinned to two nodes at once: the process would split */
	unpin();
	n = w->scratch_len / page_size();
	while (!w->go_shm && !*w->stop)
		((volatile char *)w->scratch)[(pos++ % n) * page_size()]++;
	w->ready = 1;
	n = w->shm_len / page_size();
	for (pos = 0; !*w->stop; pos++) {
		((volatile char *)w->shm)[(pos % n) * page_size()]++;
		if (pos % 64)
			continue;
		cpu = sched_getcpu();
		nid = cpu >= 0 && cpu < 256 ? w->cpu_node[cpu] : -1;
		if (nid >= 0 && nid < 8)
			w->on[nid]++;
	}
	return NULL;
}

/* The samples knumad keeps for thread @tid of this process; -1: no entry. */
static long thread_samples(pid_t tid)
{
	char line[768], *p;
	FILE *f = fopen("/proc/self/memsched", "r");
	long all = -1;
	int t;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "knumad thread %d faults", &t) != 1 ||
		    t != tid)
			continue;
		all = 0;
		for (p = strstr(line, " N"); p; p = strstr(p + 1, " N"))
			all += strtol(strchr(p, '=') + 1, NULL, 10);
	}
	if (f)
		fclose(f);
	return all;
}

/*
 * A thread whose memory knumad cannot see is not pulled to the memory it
 * can: the process's samples are all of the far node's anonymous memory
 * and one of its busy threads ran on node 0 - the follower rule's case
 * (knumad_ran_off_mem()) - but that thread works on a memfd on node 0
 * and its own samples, of memory it no longer uses, decayed to none.  A
 * home at the far node would take it from its memory.  The process has
 * twice as much memory knumad does not sample as memory it does: no
 * home, the worker stays with its memfd.
 */
TEST_F_TIMEOUT(knumad, thread_on_unsampled_memory_is_not_pulled_to_the_sampled, 120)
{
	unsigned long len = 32 * MB, shm_len = 64 * MB;
	int id = 0, home = -1, members = 0, i, nid, fd, started = 0, fit;
	long before[8], off = 0, all = 0, samples = -1;
	const char *why = NULL;	/* skipped, because */
	bool pulled = false, none = false;
	struct shm_worker *w;
	struct stepper *s;
	volatile int *stop;
	double t0, t, share;
	char *buf, skip[80];

	fit = far_fits_two(self->far, skip, sizeof(skip));
	ASSERT_LE(0, fit) TH_LOG("%s", skip);
	if (fit)
		SKIP(return, "%s", skip);
	s = calloc(1, sizeof(*s));
	w = calloc(1, sizeof(*w));
	stop = calloc(1, sizeof(*stop));
	buf = map_aligned(len, 0);
	ASSERT_TRUE(s && w && stop && buf);
	w->scratch_len = 8 * MB;
	w->scratch = map_aligned(w->scratch_len, 0);
	ASSERT_NE(NULL, w->scratch);
	fd = memfd_create("knumad", MFD_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, shm_len));
	w->shm = mmap(NULL, shm_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, w->shm);
	w->shm_len = shm_len;
	touch(w->shm, shm_len);		/* on node 0: the fixture pinned us */
	share = share_on(w->shm, shm_len, 0);
	TH_LOG("%.1f%% of the memfd on node 0", share * 100);
	ASSERT_GE(share, 0.95);
	for (i = 0; i < 256; i++)
		w->cpu_node[i] = cpu_to_node(i);	/* -1: on no node */
	w->stop = stop;
	s->addr = buf;
	s->len = len;
	s->nid = self->far;
	s->stop = stop;
	if (pthread_create(&s->thread, NULL, stepper_fn, s))
		goto out;
	started = 1;
	if (pthread_create(&w->thread, NULL, shm_worker_fn, w))
		goto out;
	started = 2;
	/*
	 * Made from node 0, where the fixture pinned this thread: their
	 * stacks' first pages, set up by the creator, are on node 0 too.
	 * The main thread then only watches, from any CPU.
	 */
	EXPECT_EQ(0, unpin());
	while (!s->ready && !(s->tid && s->pinned < 0))
		usleep(10000);
	while (!w->tid)
		usleep(10000);
	EXPECT_EQ(1, s->pinned);
	EXPECT_EQ(1, w->pinned);
	if (s->pinned < 0 || w->pinned < 0)
		goto out;

	/* the worker gets an entry from its scratch memory first */
	for (t0 = now_s(); now_s() - t0 < 30; usleep(100000)) {
		samples = thread_samples(w->tid);
		if (samples >= 8)
			break;
	}
	id = implicit_group(&home, &members);
	TH_LOG("the worker's samples of its scratch memory: %ld after %.2f s; group %d home %d",
	       samples, now_s() - t0, id, home);
	if (samples < 8) {
		why = "the worker's scratch memory was not sampled in 30 s";
		goto out;
	}
	if (id) {
		why = "a home before the memfd: the threads ran on one node";
		goto out;
	}
	memcpy(before, w->on, sizeof(before));	/* 0s: counted on the memfd */
	w->go_shm = 1;
	while (!w->ready)
		usleep(10000);

	/*
	 * 10 s: 200 passes of the fixture's.  Without the check of the
	 * memory knumad does not sample (knumad_mostly_sampled()) the
	 * process got a home at the far node, the worker in it, 0.46-1.33 s
	 * after the worker went to its memfd, in 5 runs of 5.
	 */
	t0 = now_s();
	for (i = 0; (t = now_s() - t0) < 10; i++) {
		long off_now = 0, all_now = w->on[0] - before[0];

		for (nid = 1; nid < 8; nid++)
			off_now += w->on[nid] - before[nid];
		all_now += off_now;
		/* mostly a syscall: a watcher that reads more gets busy */
		id = ms_tbind(w->tid, MS_ID_GET, 0);
		home = id > 0 ? group_home(id, NULL, 0) : -1;
		if (home > 0)
			break;
		/* steps elsewhere, and in all, before any such home */
		off = off_now;
		all = all_now;
		if (!(i % 10) && !thread_samples(w->tid))
			none = true;
		usleep(50000);
	}
	pulled = home > 0;
	samples = thread_samples(w->tid);
	none = none || !samples;
	TH_LOG("the worker's group %d home %d at %.2f s; its samples %ld",
	       id, home, t, samples);
	log_knumad_threads(_metadata);
	TH_LOG("before any home the worker ran elsewhere than node 0 for %ld steps of %ld",
	       off, all);
	for (nid = 0; nid < 8; nid++)
		if (w->on[nid] - before[nid])
			TH_LOG("the worker on node %d: %ld steps", nid,
			       w->on[nid] - before[nid]);
	/*
	 * The case only if the worker stayed on node 0 until then, but for
	 * moments (1/16 of its steps at most): had the load balancer put it
	 * beside the other thread, the threads ran on one node, and a home
	 * there comes without the process's samples.  Once it has a home
	 * there, the worker goes.  And only if the worker's own samples
	 * decayed to none: else it spurns the far node by them.
	 */
	if (pulled && off && off * 16 >= all) {
		why = "the worker ran beside the other thread: a home by another rule";
		goto out;
	}
	if (!pulled && !none) {
		why = "the worker's samples never decayed to none";
		goto out;
	}
	EXPECT_FALSE(pulled);
	share = share_on(w->shm, shm_len, 0);
	TH_LOG("%.1f%% of the memfd on node 0", share * 100);
	EXPECT_GE(share, 0.95);
out:
	*stop = 1;
	if (started >= 1)
		pthread_join(s->thread, NULL);
	if (started >= 2)
		pthread_join(w->thread, NULL);
	EXPECT_EQ(2, started);
	munmap(buf, len);
	munmap(w->scratch, w->scratch_len);
	munmap(w->shm, shm_len);
	close(fd);
	free(w);
	free(s);
	free((void *)stop);
	/* a skip does not hide a check that failed before it */
	if (why && _metadata->exit_code == KSFT_PASS)
		SKIP(return, "%s", why);
}

#define SPLIT_MAX	16

/*
 * numa02 in small: one busy thread per CPU, more than any node has, each
 * on a private slice the main thread first touched on node 0.  The
 * process fits no node, so knumad splits it: one implicit group per node
 * it needs, each thread in one, and each slice ends on its thread's
 * group's home - where the scheduler keeps the thread.  Before the split
 * the threads roamed and their memory chased them, and locality stayed
 * at 78% (2 nodes) and 38% (4 nodes) in make bench.
 */
TEST_F_TIMEOUT(knumad, split_process_settles_per_thread, 180)
{
	int nthreads = sysconf(_SC_NPROCESSORS_ONLN), i, nid, max_cpus = 0;
	long long ran0, wait0, ran1, wait1;
	int group[SPLIT_MAX], home[SPLIT_MAX], homes, ok = 0, stable = 0;
	unsigned long len = 8 * MB;
	struct roamer *r;
	volatile int stop = 0;
	double t0, settled = -1, formed = -1, share[SPLIT_MAX];
	cpu_set_t set;
	char *buf;

	for (nid = 0; nid < nr_nodes(); nid++)
		if (!node_cpus(nid, &set) && CPU_COUNT(&set) > max_cpus)
			max_cpus = CPU_COUNT(&set);
	if (nthreads > SPLIT_MAX || nthreads <= max_cpus)
		SKIP(return, "%d CPUs: the threads would fit one node",
		     nthreads);
	r = calloc(nthreads, sizeof(*r));
	ASSERT_NE(NULL, r);
	buf = map_aligned(nthreads * len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, nthreads * len);	/* on node 0: the fixture pinned us */
	ASSERT_GE(share_on(buf, nthreads * len, 0), 0.95);
	for (i = 0; i < nthreads; i++) {
		r[i].addr = buf + i * len;
		r[i].len = len;
		r[i].nid = 0;
		r[i].stop = &stop;
		pthread_create(&r[i].thread, NULL, roamer_fn, &r[i]);
	}
	/* the main thread only watches, now and then, from anywhere */
	ASSERT_EQ(0, unpin());

	/*
	 * 6.6-24.1 s in five runs on 2 nodes.  Every CPU is busy with a
	 * thread of this process: with the knumad thread at nice 19 (as it
	 * was) it waited for a CPU 36-46 s of each run and the process
	 * settled in 26.1-51.6 s (nine runs), and once, in CI, not in
	 * 120 s.  The thread's wait is logged.
	 */
	ran0 = knumad_thread_sched(&wait0, NULL);
	t0 = now_s();
	while (now_s() - t0 < 120) {
		usleep(250000);
		ok = 1;
		homes = 0;
		for (i = 0; i < nthreads; i++) {
			group[i] = r[i].tid ? ms_tbind(r[i].tid, MS_ID_GET, 0) :
					      0;
			home[i] = group[i] > 0 ?
				  group_home(group[i], NULL, 0) : -1;
			share[i] = home[i] >= 0 ?
				   share_on(r[i].addr, len, home[i]) : 0;
			if (home[i] < 0 || share[i] < 0.95)
				ok = 0;
			if (home[i] >= 0)
				homes |= 1 << home[i];
		}
		if (__builtin_popcount(homes) >= 2 && formed < 0)
			formed = now_s();
		if (!ok || __builtin_popcount(homes) < 2) {
			settled = -1;
			continue;
		}
		if (settled < 0)
			settled = now_s();
		/* and it stays so for 3 s */
		if (now_s() - settled >= 3) {
			stable = 1;
			break;
		}
	}
	for (i = 0; i < nthreads; i++)
		TH_LOG("thread %d: group %d home %d, %.0f%% of its slice there",
		       i, group[i], home[i], share[i] * 100);
	ran1 = knumad_thread_sched(&wait1, NULL);
	TH_LOG("split on two homes %.1f s, settled %.1f s after the threads started; the knumad thread ran %.1f s and waited for a CPU %.1f s meanwhile",
	       formed < 0 ? -1 : formed - t0, settled < 0 ? -1 : settled - t0,
	       (ran1 - ran0) / 1e9, (wait1 - wait0) / 1e9);
	EXPECT_EQ(1, stable);
	/* Disabling knumad dissolves the parts. */
	ASSERT_EQ(0, knumad_set("enabled", "0"));
	for (i = 0; i < nthreads; i++)
		EXPECT_EQ(0, ms_tbind(r[i].tid, MS_ID_GET, 0));
	stop = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(r[i].thread, NULL);
	munmap(buf, nthreads * len);
	free(r);
}

/* The most CPUs a node has. */
static int node_cpus_max(void)
{
	int nid, max_cpus = 0;
	cpu_set_t set;

	for (nid = 0; nid < nr_nodes(); nid++)
		if (!node_cpus(nid, &set) && CPU_COUNT(&set) > max_cpus)
			max_cpus = CPU_COUNT(&set);
	return max_cpus;
}

/*
 * Whether pairs of busy threads, one a CPU, fit no node: nodes of 2 CPUs
 * at least, an even number of CPUs above a node's, SPLIT_MAX at most.
 */
static int pairs_fit(void)
{
	int nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	int max_cpus = node_cpus_max();

	return nthreads <= SPLIT_MAX && nthreads > max_cpus &&
	       !(nthreads % 2) && max_cpus >= 2;
}

/* Busy pairs of the split tests (pairs_start()). */
struct pairs {
	int nthreads;
	int npairs;
	unsigned long len;
	char *buf;
	struct roamer *r;
	volatile int stop;
};

/*
 * Start one busy thread a CPU, in pairs: pair p writes the p-th @len of
 * a buffer that the main thread first touched on node 0 (the fixture
 * pinned it there), and a pair's two threads start on two nodes.  The
 * main thread is unpinned then.  pairs_fit() must be true.
 */
static void pairs_start(struct __test_metadata *_metadata, struct pairs *pp,
			unsigned long len)
{
	int i;

	pp->nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	pp->npairs = pp->nthreads / 2;
	pp->len = len;
	pp->stop = 0;
	pp->r = calloc(pp->nthreads, sizeof(*pp->r));
	ASSERT_NE(NULL, pp->r);
	pp->buf = map_aligned(pp->npairs * len, 0);
	ASSERT_NE(NULL, pp->buf);
	touch(pp->buf, pp->npairs * len);
	ASSERT_GE(share_on(pp->buf, pp->npairs * len, 0), 0.95);
	for (i = 0; i < pp->nthreads; i++) {
		pp->r[i].addr = pp->buf + i / 2 * len;
		pp->r[i].len = len;
		pp->r[i].nid = i % nr_nodes();
		pp->r[i].stop = &pp->stop;
		pthread_create(&pp->r[i].thread, NULL, roamer_fn, &pp->r[i]);
	}
	ASSERT_EQ(0, unpin());
}

static void pairs_stop(struct pairs *pp)
{
	int i;

	pp->stop = 1;
	for (i = 0; i < pp->nthreads; i++)
		pthread_join(pp->r[i].thread, NULL);
	munmap(pp->buf, pp->npairs * pp->len);
	free(pp->r);
}

/*
 * Is each thread's slice of @pp at the home of the thread's group
 * (@group: groups by thread; @home receives the homes)?  By one page in
 * 16 (share_on_sampled()) if @sampled, else by every page.
 */
static int pairs_at_home(const struct pairs *pp, const int *group, int *home,
			 int sampled)
{
	double share;
	int i;

	for (i = 0; i < pp->nthreads; i++) {
		home[i] = group_home(group[i], NULL, 0);
		if (home[i] < 0)
			return 0;
		share = sampled ?
			share_on_sampled(pp->r[i].addr, pp->len, home[i]) :
			share_on(pp->r[i].addr, pp->len, home[i]);
		if (share < 0.95)
			return 0;
	}
	return 1;
}

/*
 * vnuma in small, as QEMU runs a guest with two virtual nodes and no
 * memsched: pairs of busy threads, each pair writing all of its own
 * slice, which the main thread first touched on node 0.  The threads of
 * every pair start on two different nodes, so the scheduler has no reason
 * to move them.  The process fits no node and is split; each pair must
 * end in one part, with its slice at the part's home: a slice written from
 * two nodes is local to neither.  Before knumad grouped the threads that
 * share memory it assigned them by where they ran, one of each pair to
 * each part, and make bench's vnuma stayed at 50% locality on 2 nodes.
 * Within 40 s: a slice that a pair took by turns from two nodes before
 * the split was held at the other part's home for the longest flip
 * back-off, and settled 65 s after the start in 3 of 10 runs (2-6 s in
 * the others); the loop waited 120 s, so the test passed anyway.
 */
TEST_F_TIMEOUT(knumad, split_process_keeps_sharers_together, 90)
{
	int group[SPLIT_MAX], home[SPLIT_MAX], ok = 0, stable = 0, i, p;
	unsigned long len = 8 * MB;
	struct pairs pp;
	struct roamer *r;
	double t0, settled = -1, share[SPLIT_MAX];

	if (!pairs_fit())
		SKIP(return, "%d CPUs, %d a node: no pairs to split",
		     (int)sysconf(_SC_NPROCESSORS_ONLN), node_cpus_max());
	pairs_start(_metadata, &pp, len);
	r = pp.r;

	t0 = now_s();
	while (now_s() - t0 < 40) {
		usleep(250000);
		ok = 1;
		for (i = 0; i < pp.nthreads; i++) {
			group[i] = r[i].tid ? ms_tbind(r[i].tid, MS_ID_GET, 0) :
					      0;
			home[i] = group[i] > 0 ?
				  group_home(group[i], NULL, 0) : -1;
			share[i] = home[i] >= 0 ?
				   share_on(r[i].addr, len, home[i]) : 0;
			if (home[i] < 0 || share[i] < 0.95)
				ok = 0;
		}
		for (p = 0; p < pp.npairs; p++)
			if (group[2 * p] != group[2 * p + 1])
				ok = 0;
		if (!ok) {
			settled = -1;
			continue;
		}
		if (settled < 0)
			settled = now_s();
		if (now_s() - settled >= 3) {
			stable = 1;
			break;
		}
	}
	for (i = 0; i < pp.nthreads; i++)
		TH_LOG("pair %d thread %d: group %d home %d, %.0f%% of the slice there",
		       i / 2, i, group[i], home[i], share[i] * 100);
	TH_LOG("settled %.1f s after the threads started",
	       settled < 0 ? -1 : settled - t0);
	EXPECT_EQ(1, stable);
	pairs_stop(&pp);
}

/*
 * The tid that knumad says thread @tid shares memory with ("shares" in
 * /proc/self/memsched), 0 if none.
 */
static int knumad_shares(pid_t tid)
{
	FILE *f = fopen("/proc/self/memsched", "r");
	char line[512], *p;
	int t, peer = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "knumad thread %d", &t) != 1 || t != tid)
			continue;
		p = strstr(line, " shares ");
		if (p)
			peer = atoi(p + strlen(" shares "));
	}
	if (f)
		fclose(f);
	return peer;
}

/*
 * vnuma at make bench's scale and knobs: two pairs of threads, each pair
 * sweeping its own 64 MiB in step, which the main thread first touched on
 * node 0, a pair's two threads started on two nodes.  Of two threads that
 * sweep one buffer in step, the one ahead takes nearly every sample: the
 * one behind catches up while the one ahead is in its hinting fault and
 * loses the race for the page table lock.  Judged by the samples alone,
 * the pair was found seconds after the first split, which goes by CPU
 * and put one thread of each pair in each part (make bench's vnuma on 2
 * nodes reached 95% locality in 3 of 6 runs).  How many pairs knumad
 * names ("shares" in /proc/self/memsched) when every thread is in a part
 * (the first split) is logged, not asserted: it is a race of samples.
 * Before knumad_hint_raced() and knumad_peer_found() no pair was named
 * then (4 runs of 4); after them, at 7fa832e, none in 2 of 10 runs in one
 * guest (1.1-2.1 s after the start; the thread behind in each pair had
 * 3-6 visits, too few to vote) and in 1 of 4 fresh-clone make test runs,
 * yet those runs settled at 7.6, 14.0 and 19.8 s against 6.2-16.0 s for
 * the others: the pairs were found later (knumad_peer_found() is tested
 * by KUnit).  What is asserted is the outcome: the pairs and their
 * memory settle within 60 s: on the test kernel, 2 nodes of 2 CPUs on a
 * 2-core host, 8.3-43.1 s in 36 runs, 3 runs never in 40 s, 1 at 59.2
 * s (a pair put apart again for a while, memory at 88-94% at its home).
 * A pair seen in two parts meanwhile is only logged: a thread may leave
 * its part for a pass while its set is placed again.  The main thread
 * looks at one page in 16 (share_on_sampled()) and confirms with every
 * page: its look at all of 4 x 64 MiB every 100 ms made it a fifth busy
 * thread, which took a pair's room (busy_loner_leaves_pairs_together) -
 * in a make test run of 2026-12-06, pairs in two parts at 109 looks,
 * never settled in 60 s.
 */
TEST_F_TIMEOUT(knumad, sweeping_pairs_split_together, 120)
{
	int group[SPLIT_MAX], home[SPLIT_MAX], ok, stable = 0, i, p;
	int grouped = 0, apart = 0, known = 0;
	unsigned long len = 64 * MB;
	struct pairs pp;
	struct roamer *r;
	double t0, settled = -1, first = -1;

	if (!pairs_fit())
		SKIP(return, "%d CPUs, %d a node: no pairs to split",
		     (int)sysconf(_SC_NPROCESSORS_ONLN), node_cpus_max());
	/* make bench's knobs: the defaults, not the fixture's fast ones */
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "1000"));
	ASSERT_EQ(0, knumad_set("pages_to_scan", "4096"));
	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "256"));
	pairs_start(_metadata, &pp, len);
	r = pp.r;

	t0 = now_s();
	while (now_s() - t0 < 60) {
		usleep(100000);
		ok = 1;
		for (i = 0; i < pp.nthreads; i++) {
			group[i] = r[i].tid ? ms_tbind(r[i].tid, MS_ID_GET, 0) :
					      0;
			if (group[i] <= 0)
				ok = 0;
		}
		if (ok && !grouped) {
			grouped = 1;
			first = now_s() - t0;
			/* the first split: does knumad know the pairs? */
			for (p = 0; p < pp.npairs; p++) {
				int a = r[2 * p].tid, b = r[2 * p + 1].tid;
				int sa = knumad_shares(a), sb = knumad_shares(b);

				TH_LOG("pair %d: %d shares %d, %d shares %d",
				       p, a, sa, b, sb);
				if (sa == b || sb == a)
					known++;
			}
		}
		for (p = 0; grouped && p < pp.npairs; p++) {
			if (group[2 * p] <= 0 || group[2 * p + 1] <= 0 ||
			    group[2 * p] == group[2 * p + 1])
				continue;
			if (!apart++)
				TH_LOG("pair %d in groups %d and %d at %.1f s",
				       p, group[2 * p], group[2 * p + 1],
				       now_s() - t0);
			ok = 0;
		}
		if (!ok || !pairs_at_home(&pp, group, home, 1)) {
			settled = -1;
			continue;
		}
		if (settled < 0)
			settled = now_s();
		if (now_s() - settled < 3)
			continue;
		if (pairs_at_home(&pp, group, home, 0)) {
			stable = 1;
			break;
		}
		settled = -1;
	}
	TH_LOG("every thread in a part at %.1f s, %d of %d pairs known then; pairs seen apart %d times; settled %.1f s after the threads started",
	       first, known, pp.npairs, apart, settled < 0 ? -1 : settled - t0);
	for (i = 0; !stable && i < pp.nthreads; i++) {
		group[i] = ms_tbind(r[i].tid, MS_ID_GET, 0);
		home[i] = group[i] > 0 ? group_home(group[i], NULL, 0) : -1;
		TH_LOG("at the end: thread %d in group %d, home %d, its memory %.0f%% there",
		       i, group[i], home[i],
		       home[i] >= 0 ? 100 * share_on(r[i].addr, len, home[i]) :
				      0.0);
	}
	EXPECT_EQ(1, grouped);
	EXPECT_EQ(1, stable);
	pairs_stop(&pp);
}

/*
 * A busy thread alone does not take the room of a pair: the pairs of
 * split_process_keeps_sharers_together (one busy thread a CPU, 8 MiB a
 * pair) and the main thread busy too, on memory of its own, between its
 * looks - QEMU's main loop beside its vCPUs.  The main thread has the
 * lowest tid, and assignment went in tid order: kept in a part at a
 * pair's home first, it left no room for the pair's second thread, which
 * went to the other node; the pair was put together again, the main
 * thread made way, and at the next assignment it took the room again.
 * Pairs and memory must be together at their homes for 3 s running
 * within 40 s, as in that test.  The main thread looks at one page in 16
 * (share_on_sampled()) and confirms with every page at the end.
 */
TEST_F_TIMEOUT(knumad, busy_loner_leaves_pairs_together, 90)
{
	int group[SPLIT_MAX], home[SPLIT_MAX], ok, stable = 0, i, p;
	unsigned long len = 8 * MB, own_len = 2 * MB, j;
	double t0, t1, settled = -1;
	int apart = 0, looks = 0;
	struct pairs pp;
	struct roamer *r;
	char *own;

	if (!pairs_fit())
		SKIP(return, "%d CPUs, %d a node: no pairs to split",
		     (int)sysconf(_SC_NPROCESSORS_ONLN), node_cpus_max());
	own = map_aligned(own_len, 0);
	ASSERT_NE(NULL, own);
	touch(own, own_len);
	pairs_start(_metadata, &pp, len);
	r = pp.r;

	t0 = now_s();
	while (now_s() - t0 < 40) {
		/* a quarter second busy on its own memory */
		for (t1 = now_s(); now_s() - t1 < 0.25; )
			for (j = 0; j < own_len; j += page_size())
				((volatile char *)own)[j]++;
		looks++;
		ok = 1;
		for (i = 0; i < pp.nthreads; i++) {
			group[i] = r[i].tid ? ms_tbind(r[i].tid, MS_ID_GET, 0) :
					      0;
			if (group[i] <= 0)
				ok = 0;
		}
		for (p = 0; ok && p < pp.npairs; p++) {
			if (group[2 * p] == group[2 * p + 1])
				continue;
			apart++;
			ok = 0;
		}
		if (!ok || !pairs_at_home(&pp, group, home, 1)) {
			settled = -1;
			continue;
		}
		if (settled < 0)
			settled = now_s();
		if (now_s() - settled < 3)
			continue;
		if (pairs_at_home(&pp, group, home, 0)) {
			stable = 1;
			break;
		}
		settled = -1;
	}
	for (i = 0; i < pp.nthreads; i++) {
		group[i] = ms_tbind(r[i].tid, MS_ID_GET, 0);
		home[i] = group[i] > 0 ? group_home(group[i], NULL, 0) : -1;
		TH_LOG("pair %d thread %d: group %d home %d, %.0f%% of the slice there",
		       i / 2, i, group[i], home[i],
		       home[i] >= 0 ? 100 * share_on(r[i].addr, len, home[i]) :
				      0.0);
	}
	TH_LOG("main thread in group %d; a pair was in two parts at %d of %d looks; settled %.1f s after the threads started",
	       (int)ms_tbind(0, MS_ID_GET, 0), apart, looks,
	       settled < 0 ? -1 : settled - t0);
	EXPECT_EQ(1, stable);
	pairs_stop(&pp);
	munmap(own, own_len);
}

/*
 * A process gets no home on a node whose CPUs other processes' busy
 * threads use, whether knumad placed them or not.  numa01t on 2 nodes (two
 * processes of two threads, each thread's memory where it runs): the load
 * balancer swapped one process's threads, and it was given a home where a
 * thread of the other process ran - neither in a group nor kept there by
 * knumad, so not counted; one of its threads was held off the home and
 * its 40k pages moved there without it: 75% local for good in 1 make bench
 * run of 6 (traced).  Here a neighbour process that knumad does not place
 * (opted out with PR_SET_NUMA_BALANCING_DISABLE, as a process whose memory
 * knumad does not sample would be) runs a busy thread on each node.  This
 * process's two busy threads start on the other CPU of each node, each on
 * memory on the other node.  A home on either node would put three busy
 * threads on its two CPUs - counting only the threads knumad placed, or
 * all the CPUs when the two run on one node for a moment; without one,
 * each thread's memory follows it.
 */
TEST_F_TIMEOUT(knumad, no_home_where_other_processes_run, 90)
{
	unsigned long len = 32 * MB;
	int fds[2], i, id = 0, home = -1, members = 0;
	struct knumad_proc k = { 0 };
	volatile int stop = 0;
	struct hammer h[2];
	double t0, t = -1;
	cpu_set_t all, set;
	char *buf[2], c;
	pid_t nb;

	/* one CPU of each node left for this process: 2 nodes of 2 CPUs */
	for (i = 0; i < nr_nodes(); i++)
		if (node_cpus(i, &set) || CPU_COUNT(&set) != 2)
			break;
	if (nr_nodes() != 2 || i != 2)
		SKIP(return, "needs 2 nodes of 2 CPUs");
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "200"));
	/*
	 * The memory stays apart from its thread for seconds, as in numa01t
	 * after the swap.  Slowly: at 8 MB/s the two threads ran only 0.6-0.8
	 * s of their first 1.3 s (asleep the rest, most likely on pages in
	 * migration) and their first verdict was 1.2 CPUs of demand, which
	 * the one CPU free on a node fits - another test.
	 */
	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "1"));
	ASSERT_EQ(0, pipe(fds));
	nb = fork();
	ASSERT_GE(nb, 0);
	if (!nb) {
		volatile int never = 0;
		struct hammer n[2];

		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* an ASSERT returns */
		if (prctl(PR_SET_NUMA_BALANCING_DISABLE, 1, 0, 0, 0))
			_exit(1);
		for (i = 0; i < 2; i++) {
			char *p = map_aligned(4 * MB, 0);

			if (!p)
				_exit(1);
			hammer_start(&n[i], p, 4 * MB, i ? self->far : 0,
				     &never);
		}
		while (!n[0].loops || !n[1].loops)
			usleep(10000);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	ASSERT_EQ(1, read(fds[0], &c, 1));
	close(fds[0]);
	/* buf[i] on the node its thread does not start on */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pin_to_node(i ? 0 : self->far));
		buf[i] = map_aligned(len, 0);
		ASSERT_NE(NULL, buf[i]);
		touch(buf[i], len);
	}
	/* a main thread busy with that is a third thread to fit: let it rest */
	ASSERT_EQ(0, unpin());
	usleep(1500000);
	/*
	 * Each thread starts on its node with the affinity it inherits, and
	 * is freed at once: pinned to two nodes for a census, the process
	 * would be split instead.  Then a CPU of each node is free for it.
	 */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pin_to_node(i ? self->far : 0));
		hammer_start(&h[i], buf[i], len, -1, &stop);
	}
	ASSERT_EQ(0, unpin());
	/* the fixture pinned us to node 0: every online CPU */
	CPU_ZERO(&all);
	for (i = 0; i < nr_nodes(); i++) {
		ASSERT_EQ(0, node_cpus(i, &set));
		CPU_OR(&all, &all, &set);
	}
	for (i = 0; i < 2; i++) {
		while (!h[i].tid)
			usleep(1000);
		ASSERT_EQ(0, sched_setaffinity(h[i].tid, sizeof(all), &all));
	}
	for (t0 = now_s(); now_s() - t0 < 8; usleep(100000)) {
		id = implicit_group(&home, &members);
		if (id) {
			t = now_s() - t0;
			break;
		}
	}
	knumad_proc(0, &k);
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	kill(nb, SIGKILL);
	ASSERT_EQ(nb, waitpid(nb, NULL, 0));
	TH_LOG("implicit group %d home %d with %d members after %.2f s (-1: none in 8 s)",
	       id, home, members, t);
	TH_LOG("%ld hint faults; on the far node now: %.0f%%, %.0f%%", k.faults,
	       share_on(buf[0], len, self->far) * 100,
	       share_on(buf[1], len, self->far) * 100);
	EXPECT_EQ(0, id);
	/* not for want of samples: enough for a home (32) came */
	EXPECT_GE(k.faults, 32);
	for (i = 0; i < 2; i++)
		munmap(buf[i], len);
}

/*
 * A mostly idle thread does not keep a process from its home: the main
 * thread, pinned to node 0, writes a 2 MiB buffer of its own every 500 ms
 * (it takes hinting faults, a few per pass) while two unpinned threads
 * write a 32 MiB buffer they share all the time.  The process fits one
 * node through its busy threads, so it gets an implicit group and keeps
 * it.  Counting the pinned thread as active would confine the process to
 * node 0 and need three CPUs there: no group at all on 2 x 2 CPUs.
 */
TEST_F_TIMEOUT(knumad, implicit_group_ignores_an_idle_pinned_thread, 150)
{
	unsigned long len = 32 * MB, own_len = 2 * MB;
	int nthreads, i, id = 0, home = -1, members = 0, id2 = 0, home2 = -1;
	struct roamer r[2] = {};
	volatile int stop = 0;
	double t0, t1;
	char *buf, *own;
	cpu_set_t set;

	ASSERT_EQ(0, node_cpus(0, &set));
	if (CPU_COUNT(&set) < 2)
		SKIP(return, "needs 2 CPUs per node");
	nthreads = 2;
	buf = map_aligned(len, 0);
	own = map_aligned(own_len, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, own);
	touch(buf, len);
	touch(own, own_len);
	/*
	 * The setup above is real work for this thread (a CI run saw it
	 * judged busy, 1.5 s of CPU): idle a while first, as the thread
	 * this test is about would be.
	 */
	sleep(3);
	for (i = 0; i < nthreads; i++) {
		r[i].addr = buf;
		r[i].len = len;
		r[i].nid = i ? 0 : self->far;
		r[i].stop = &stop;
		pthread_create(&r[i].thread, NULL, roamer_fn, &r[i]);
	}
	t0 = now_s();
	while (now_s() - t0 < 60) {
		touch(own, own_len);
		id = implicit_group(&home, &members);
		if (id && members >= nthreads)
			break;
		usleep(500000);
	}
	TH_LOG("implicit group %d home %d with %d members after %.2f s",
	       id, home, members, now_s() - t0);
	ASSERT_GT(id, 0);
	/* and it keeps it while the pinned thread goes on faulting */
	for (t1 = now_s(); now_s() - t1 < 10; ) {
		touch(own, own_len);
		usleep(500000);
		id2 = implicit_group(&home2, &members);
		if (id2 != id || home2 != home)
			break;
	}
	if (id2 != id || home2 != home) {
		char line[512];
		FILE *f = fopen("/proc/self/memsched", "r");

		while (f && fgets(line, sizeof(line), f))
			TH_LOG("%s", line);
		if (f)
			fclose(f);
	}
	{
		struct rusage ru;

		getrusage(RUSAGE_THREAD, &ru);
		TH_LOG("after 10 s more: group %d home %d; the pinned thread used %.2f s of CPU in %.1f s",
		       id2, home2, ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		       now_s() - t0);
	}
	EXPECT_EQ(id, id2);
	EXPECT_EQ(home, home2);
	stop = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(r[i].thread, NULL);
	munmap(own, own_len);
	munmap(buf, len);
}

/* Has knumad judged thread @tid of this process busy (/proc/self/memsched)? */
static int thread_busy(pid_t tid)
{
	char line[768], want[64];
	FILE *f = fopen("/proc/self/memsched", "r");
	int busy = 0;

	snprintf(want, sizeof(want), "knumad thread %d faults", tid);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)) &&
		    strstr(line, " busy yes"))
			busy = 1;
	if (f)
		fclose(f);
	return busy;
}

/*
 * numa01 THREAD_ALLOC in small: two busy threads, each first touching a
 * private half where it runs (node 0, the far node), then free to run
 * anywhere.  The process fits one node (two CPUs there), but its threads
 * and memory are together already: a home would move one thread and its
 * half off their node for nothing (make bench, numa01t on 2 nodes: in 2
 * of 3 runs a process got a home, locality fell to 50% for 2-5 s).  So:
 * no implicit group in 3 s while both threads stay where they started
 * (before the fix: a group after 1.36-1.40 s in 5 runs of 5), both
 * halves stay put, and
 * knumad judged both threads busy meanwhile (else nothing was tested).
 * A thread that the load balancer moves first is not what this tests
 * (its memory follows it, and the process may then get a home):
 * skipped.  3 s, not 5: in make test, after the other tests, the load
 * balancer moved a thread after 3.4-3.5 s, and the test skipped.
 */
TEST_F_TIMEOUT(knumad, private_threads_keep_their_nodes, 60)
{
	unsigned long len = 32 * MB, half = len / 2;
	int i, nid, id = 0, home = -1, members = 0, left = -1, judged = 0;
	struct roamer r[2] = {};
	volatile int stop = 0;
	long before[2][8] = {};
	double t0, waited, a = 0, b = 0;
	cpu_set_t set;
	char *buf;

	ASSERT_EQ(0, node_cpus(0, &set));
	if (CPU_COUNT(&set) < 2)
		SKIP(return, "needs 2 CPUs per node");
	if (self->far >= 8)
		SKIP(return, "counts where threads run on 8 nodes at most");
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, unpin());
	for (i = 0; i < 2; i++) {
		r[i].addr = buf + i * half;
		r[i].len = half;
		r[i].nid = i ? self->far : 0;
		r[i].stop = &stop;
		pthread_create(&r[i].thread, NULL, roamer_fn, &r[i]);
	}
	/*
	 * 3 s, looked at every 250 ms: the process's implicit group, and
	 * where each thread ran since the last look (roamer_fn() counts
	 * once it is free to run anywhere); up to 6 s until knumad judged
	 * both threads busy (a make test run on a loaded host had one of
	 * them judged only after 3 s).
	 */
	t0 = now_s();
	while (now_s() - t0 < 6) {
		usleep(250000);
		for (i = 0; i < 2; i++) {
			long all = 0, there;

			for (nid = 0; nid < 8; nid++)
				all += r[i].samples[nid] - before[i][nid];
			there = r[i].samples[r[i].nid] - before[i][r[i].nid];
			if (all >= 10 && there * 10 < all * 9)
				left = i;
			memcpy(before[i], r[i].samples, sizeof(before[i]));
		}
		/*
		 * A thread that left its node first (the load balancer) is
		 * apart from its memory: then the process may get a home.
		 */
		if (left >= 0)
			break;
		id = implicit_group(&home, &members);
		if (id)
			break;
		if (now_s() - t0 >= 3 &&
		    thread_busy(r[0].tid) + thread_busy(r[1].tid) == 2)
			break;
	}
	waited = now_s() - t0;
	if (!id && left < 0) {
		a = share_on(r[0].addr, half, 0);
		b = share_on(r[1].addr, half, self->far);
		/* not vacuous: knumad saw both threads, and judged them busy */
		judged = thread_busy(r[0].tid) + thread_busy(r[1].tid);
	}
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(r[i].thread, NULL);
	munmap(buf, len);
	if (left >= 0)
		SKIP(return, "thread %d left node %d after %.2f s",
		     left, r[left].nid, now_s() - t0);
	if (id) {
		char line[512];
		FILE *f = fopen("/proc/self/memsched", "r");

		TH_LOG("implicit group %d home %d with %d members after %.2f s",
		       id, home, members, now_s() - t0);
		for (i = 0; i < 2; i++)
			TH_LOG("thread %d ran on node 0 %ld, node 1 %ld times",
			       i, r[i].samples[0], r[i].samples[1]);
		while (f && fgets(line, sizeof(line), f))
			TH_LOG("%s", line);
		if (f)
			fclose(f);
		EXPECT_EQ(0, id);
		return;
	}
	TH_LOG("no group in %.2f s; %d of 2 threads judged busy; half 0 %.1f%% on node 0, half 1 %.1f%% on node %d",
	       waited, judged, a * 100, b * 100, self->far);
	EXPECT_EQ(2, judged);
	EXPECT_GE(a, 0.95);
	EXPECT_GE(b, 0.95);
}

/*
 * The node knumad keeps thread @tid of process @pid on (the "keep" of its
 * line in /proc/<pid>/memsched): -1 for none, -2 if it has no line.
 */
static int thread_keep(pid_t pid, pid_t tid)
{
	char line[768], want[64], *k;
	FILE *f;
	int nid = -2;

	snprintf(line, sizeof(line), "/proc/%d/memsched", pid);
	f = fopen(line, "r");
	snprintf(want, sizeof(want), "knumad thread %d faults", tid);
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		k = strstr(line, " keep ");
		nid = k && k[6] != '-' ? atoi(k + 6) : -1;
	}
	if (f)
		fclose(f);
	return nid;
}

/* Read @path into @buf (at most @len - 1 bytes, newlines as " | "). */
static void slurp(const char *path, char *buf, size_t len)
{
	size_t n = 0;
	FILE *f = fopen(path, "r");
	int c;

	while (f && n + 4 < len && (c = fgetc(f)) != EOF) {
		if (c == '\n') {
			memcpy(buf + n, " | ", 3);
			n += 3;
		} else {
			buf[n++] = c;
		}
	}
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* Log /proc/@pid/memsched: what knumad knows, when a test fails. */
static void dump_memsched(struct __test_metadata *_metadata, pid_t pid)
{
	char line[768];
	FILE *f;

	snprintf(line, sizeof(line), "/proc/%d/memsched", pid);
	f = fopen(line, "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		TH_LOG("%d: %s", pid, line);
	}
	if (f)
		fclose(f);
}

/* The home node of @pid's implicit group (knumad's), or -1. */
static int implicit_home(pid_t pid)
{
	char line[768];
	int home = -1, h;
	FILE *f;

	snprintf(line, sizeof(line), "/proc/%d/memsched", pid);
	f = fopen(line, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "reason knumad implicit") &&
		    sscanf(line, "group %*d home %d", &h) == 1)
			home = h;
	if (f)
		fclose(f);
	return home;
}

/* A thread pinned to @nid that only spins, touching no memory. */
struct late {
	pthread_t thread;
	int nid;
	volatile int *stop;
	volatile pid_t tid;
};

static void *late_fn(void *arg)
{
	struct late *l = arg;

	l->tid = syscall(SYS_gettid);
	pin_to_node(l->nid);
	while (!*l->stop)
		;
	return NULL;
}

/*
 * A busy thread knumad has no samples from yet may be the one that tells
 * whether its process needs a home: it counts, however old.  Two busy threads
 * pinned to two nodes, each with 32 MiB first touched there; the one on node 0
 * spins without touching memory for 5 scan periods, so knumad judges the other
 * busy and has nothing from it.  Its 32 MiB are first touched by the main
 * thread, pinned there by the fixture, before it starts: when it touched them
 * itself, knumad's first pass sampled some of them in one make test run (fc16,
 * 2026-12-05), it got an entry, and the two threads pinned apart were split
 * into two groups at 1.31 s - what happens once it writes, not what is tested
 * here.  The process must get no implicit group meanwhile: a home for the one
 * thread knumad knows would leave the other out.  Before the fix (threads older
 * than 2 s without an entry were not looked at) it got a group with one member
 * 3.09-4.18 s in (5 runs of 5); in swapped_threads_go_back_to_their_memory, 3
 * setups of 3 went that way in one run.  (Once the thread writes, the two
 * pinned threads fit no one node and the process is split:
 * private_threads_keep_their_nodes and split_process_settles_per_thread test
 * what comes then.)  A split that puts the two pinned threads in two parts
 * leaves neither out: it is not the case tested (fc47, 2026-12-06: the watching
 * main thread ran half a CPU under TCG, three busy threads fit no node of two
 * CPUs, and the process was split at 1.39 s).
 */
TEST_F_TIMEOUT(knumad, busy_thread_without_samples_counts, 60)
{
	unsigned long len = 32 * MB;
	int id = 0, home = -1, members = 0, busy = 0, gl = 0, gh = 0;
	double until = 5;
	volatile int stop = 0;
	struct late l = { 0 };
	struct hammer h;
	double t0, t = -1;
	char *buf, *mine;

	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "1000"));
	buf = map_aligned(len, 0);
	mine = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, mine);
	touch(mine, len);	/* on node 0: the fixture pinned us there */
	l.nid = 0;
	l.stop = &stop;
	ASSERT_EQ(0, pthread_create(&l.thread, NULL, late_fn, &l));
	/* the hammer first touches its memory on the far node */
	hammer_start(&h, buf, len, self->far, &stop);
	ASSERT_EQ(0, unpin());	/* the main thread only watches */
	/*
	 * 2 s old, it is no longer young (judged over its life).  5 s, or
	 * until 3 s after the hammer was judged busy if that came later
	 * (a slow guest: not judged in 5 s in one make test run): a home
	 * comes with the census that judges it.
	 */
	for (t0 = now_s(); ; usleep(100000)) {
		/*
		 * Here, not after the checks below: a loop that tested
		 * "now < until" first never saw 5 s with until at 5, and
		 * failed fc29 (2026-12-05) with the hammer not judged in 5.1 s.
		 */
		if (!busy && now_s() - t0 >= 5)
			until = 12;	/* give it its verdict */
		if (now_s() - t0 >= until)
			break;
		id = implicit_group(&home, &members);
		if (id) {
			t = now_s() - t0;
			break;
		}
		if (!busy && h.tid && thread_busy(h.tid)) {
			busy = 1;
			if (now_s() - t0 + 3 > until)
				until = now_s() - t0 + 3;
		}
	}
	if (id) {
		dump_memsched(_metadata, getpid());
		threads_groups(l.tid, &gl, h.tid, &gh);
	}
	stop = 1;
	pthread_join(h.thread, NULL);
	pthread_join(l.thread, NULL);
	TH_LOG("the hammer judged busy: %s; implicit group %d (home %d, %d members) after %.2f s (-1: none in %.1f s); the spinner in group %d, the hammer in %d",
	       busy ? "yes" : "no", id, home, members, t, now_s() - t0,
	       gl, gh);
	/* a home that leaves one of them out; not a split into two parts */
	if (!(gl > 0 && gh > 0 && gl != gh))
		EXPECT_EQ(0, id);
	/* else nothing was tested: knumad did not know the hammer */
	EXPECT_TRUE(busy || id);
	munmap(buf, len);
	munmap(mine, len);
}

/* A busy thread writing a range: pinned to node @want (-1: free). */
struct keeper {
	pthread_t thread;
	char *addr;
	unsigned long len;
	volatile int want;
	volatile int at;	/* the node it ran on last */
	volatile int pinned;	/* the node it pinned itself to, or -1 */
	volatile int *stop;
	pid_t tid;
};

static void *keeper_fn(void *arg)
{
	struct keeper *k = arg;
	unsigned long i;
	int have = -2;

	k->tid = syscall(SYS_gettid);
	while (!*k->stop) {
		for (i = 0; i < k->len && !*k->stop; i += page_size()) {
			/* every 256 pages: a slow sweep (KASAN) lags not */
			if (!((i / page_size()) % 256) && k->want != have) {
				have = k->want;
				if (have < 0)
					unpin();
				else
					pin_to_node(have);
				k->pinned = have;
			}
			((volatile char *)k->addr)[i]++;
			/* once the whole was first touched */
			if (i && !((i / page_size()) % 256) && k->at >= 0)
				k->at = cpu_to_node(sched_getcpu());
		}
		k->at = cpu_to_node(sched_getcpu());
	}
	return NULL;
}

/* Two threads of a process, each on a private half it first touched. */
struct keepers {
	struct keeper k[2];
	char *buf;
	double share[2];	/* each half's share on its first node, at the end */
};

static void keepers_start(struct keepers *p, unsigned long len, int far,
			  volatile int *stop)
{
	int i;

	p->buf = map_aligned(len, 0);
	for (i = 0; i < 2 && p->buf; i++) {
		p->k[i].addr = p->buf + i * (len / 2);
		p->k[i].len = len / 2;
		p->k[i].want = i ? far : 0;
		p->k[i].at = -1;
		p->k[i].pinned = -1;
		p->k[i].stop = stop;
		pthread_create(&p->k[i].thread, NULL, keeper_fn, &p->k[i]);
	}
}

static void keepers_stop(struct keepers *p, unsigned long len, int far)
{
	int i;

	for (i = 0; i < 2 && p->buf; i++)
		pthread_join(p->k[i].thread, NULL);
	for (i = 0; i < 2 && p->buf; i++)
		p->share[i] = share_on(p->k[i].addr, len / 2, i ? far : 0);
	if (p->buf)
		munmap(p->buf, len);
}

/* The share of @pid's @len bytes at @addr on node @nid, one page in 16. */
static double pid_share_on(pid_t pid, char *addr, unsigned long len, int nid)
{
	long i, n = len / page_size() / 16, on = 0;
	void **pages = calloc(n, sizeof(void *));
	int *status = calloc(n, sizeof(int));

	if (!pages || !status || !n)
		goto out;
	for (i = 0; i < n; i++)
		pages[i] = addr + i * 16 * page_size();
	if (sys_move_pages(pid, n, pages, NULL, status, 0))
		goto out;
	for (i = 0; i < n; i++)
		on += status[i] == nid;
out:
	free(pages);
	free(status);
	return n ? (double)on / n : 0;
}

/* What sleeper_setup() found, in memory the parent shares. */
struct sleeper_seen {
	long huge_kb;
	long faults0, faults1;
	int rt;
};

static struct sleeper_seen *sleeper_seen;

/*
 * In the child of fork_ready(): first touch the huge pages at @addr on
 * node 0, let two passes arm them, stop the passes (the next one a minute
 * away), then, as a SCHED_FIFO thread (whose ticks queue no step: only
 * fair tasks' do), take one hinting fault on a huge page from node @far
 * and return - to pause() for good.
 */
static char *sleeper_setup(unsigned long addr, unsigned long far)
{
	struct knumad_proc k = { .faults = -1 };
	char *buf = (char *)addr;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	touch(buf, 4 * MB);	/* on node 0: the fixture pinned us there */
	sleeper_seen->huge_kb = anon_huge_kb();
	if (!wait_scans(knumad_get("full_scans"), 2, 20) ||
	    knumad_set("scan_sleep_millisecs", "60000"))
		return NULL;
	usleep(300000);		/* a longer sleep applies at once */
	if (pin_to_node(far) || knumad_proc(0, &k))
		return NULL;
	sleeper_seen->faults0 = k.faults;
	sleeper_seen->rt = !sched_setscheduler(0, SCHED_FIFO,
					       &(struct sched_param){ 1 });
	if (!sleeper_seen->rt)
		return buf;
	buf[0]++;		/* armed: the hinting fault, from @far */
	if (knumad_proc(0, &k))
		return NULL;
	sleeper_seen->faults1 = k.faults;
	return buf;
}

/*
 * A huge page that a thread's hinting fault decided moves soon even if
 * no tick of the process's will move it.  Such a fault leaves a
 * PMD-mapped huge page's move to the ticks of the process's threads, and
 * a process that sleeps, runs without ticks (nohz_full) or in another
 * scheduling class than fair has none: before the fault woke the knumad
 * thread for it, the move waited for the thread's next pass (here a
 * minute away; a scan period by default).  Now the knumad thread leaves
 * the ticks KNUMAD_TASK_GRACE (100 ms) and moves it.  The child is a
 * SCHED_FIFO thread: a fair one's tick in the few milliseconds between
 * its fault and its sleep would queue the step itself.
 */
TEST_F_TIMEOUT(knumad, sleeping_thread_huge_page_moves, 120)
{
	double t0, t = -1, share = 0;
	char *buf;
	pid_t pid;

	sleeper_seen = mmap(NULL, sizeof(*sleeper_seen),
			    PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sleeper_seen);
	buf = map_aligned(4 * MB, 1);	/* touched by the child only */
	ASSERT_NE(NULL, buf);
	pid = fork_ready(sleeper_setup, (unsigned long)buf, self->far, 0);
	ASSERT_GT(pid, 0);
	t0 = now_s();
	while ((t = now_s() - t0) < 5) {
		share = pid_share_on(pid, buf, 2 * MB, self->far);
		if (share >= 1)
			break;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	TH_LOG("huge pages %ld kB, hinting faults %ld -> %ld; the faulted huge page %.0f%% on node %d %.2f s after the fault",
	       sleeper_seen->huge_kb, sleeper_seen->faults0,
	       sleeper_seen->faults1, share * 100, self->far, t);
	if (sleeper_seen->huge_kb < 2048)
		SKIP(goto out, "THP not available");
	if (!sleeper_seen->rt)
		SKIP(goto out, "cannot be SCHED_FIFO");
	ASSERT_GT(sleeper_seen->faults1, sleeper_seen->faults0);
	/* the next pass is a minute away */
	EXPECT_GE(share, 1);
	EXPECT_LT(t, 3);
out:
	munmap(sleeper_seen, sizeof(*sleeper_seen));
}

/*
 * Threads that something (the load balancer; here their affinity, until
 * they moved) swapped between nodes go back to their memory, and their memory
 * stays: moving two threads back is cheaper than moving all they use
 * after them.  numa01t in small: two processes of two busy threads, each
 * thread writing a private 16 MiB it first touched on its node (node 0,
 * the far node), until knumad keeps each there ("keep").  Then thread 1
 * of the first process (on the far node) and thread 0 of the second (on
 * node 0) are swapped and let free: both must run on their first node
 * again within 3 s (the scheduler hook's pull, a migrate_swap()), and
 * 1.5 s later (a pass after) every half is as much where it was first
 * touched as when the keeps came, within 5 points (3 runs: kept
 * 1.44-1.95 s after the first touch, back 0.13-0.33 s after the swap,
 * 100% of every half in place).  Before (3 runs, the
 * keep switched off): the load balancer saw two threads a node and left
 * them swapped (in one run it swapped them back after 1.14 s), and knumad
 * moved the two halves after them (0.0-0.6% left in place) (make bench,
 * numa01t on 2 nodes: the load balancer
 * mixed the two processes' threads, 73k pages moved, 75% local at the
 * end).  A thread whose affinity keeps it off its memory's node is not
 * pulled: misplaced_private.  Disabling knumad takes the keep away.
 */
TEST_F_TIMEOUT(knumad, swapped_threads_go_back_to_their_memory, 120)
{
	unsigned long len = 32 * MB;
	int i, keep[4], at[2] = { -1, -1 }, after, off, try, homes;
	int away[4] = { 0 };
	double moved_at[2] = { 0, 0 };
	double before[4];
	long pinned[2];
	int quiet;
	struct knumad_proc pk;
	struct { struct keepers p[2]; volatile int stop; } *sh;
	double t0, back = -1;
	cpu_set_t set;
	pid_t child;

	ASSERT_EQ(0, node_cpus(0, &set));
	if (CPU_COUNT(&set) != 2)
		SKIP(return, "needs 2 CPUs per node");
	/*
	 * The default scan period: 150 ms away are a small part of one, as
	 * a load balancer's move undone at the next pull is (at the
	 * fixture's 50 ms, passes from the other node would move the memory
	 * there, as they should for a thread pinned there).
	 */
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "1000"));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	/*
	 * If the load balancer moves a thread off its half before knumad
	 * has its samples, the thread's samples come from the other node,
	 * the process looks together there and gets a home (an implicit
	 * group: knumad.implicit_group_brings_threads_and_memory_together)
	 * - a placement of its own, which the keep does not take part in
	 * ("keep -").  2 setups of 10 after private_halves.  The setup is
	 * made again then, 3 times at most; each is logged.
	 */
	for (try = 0; try < 3; try++) {
		memset(sh, 0, sizeof(*sh));
		child = fork();
		ASSERT_GE(child, 0);
		if (!child) {
			prctl(PR_SET_PDEATHSIG, SIGKILL); /* an ASSERT returns */
			keepers_start(&sh->p[1], len, self->far, &sh->stop);
			while (!sh->stop)
				usleep(10000);
			keepers_stop(&sh->p[1], len, self->far);
			_exit(0);
		}
		keepers_start(&sh->p[0], len, self->far, &sh->stop);
		ASSERT_NE(NULL, sh->p[0].buf);
		/*
		 * First touch where each is pinned, then free (pinned apart,
		 * a process's two threads fit no one node: it would be split).
		 */
		for (t0 = now_s(); now_s() - t0 < 5; usleep(10000)) {
			for (i = 0; i < 4; i++)
				if (sh->p[i / 2].k[i % 2].at < 0)
					break;
			if (i == 4)
				break;	/* each wrote its half once */
		}
		usleep(100000);
		for (i = 0; i < 4; i++)
			sh->p[i / 2].k[i % 2].want = -1;
		/* 1.44-1.95 s in 3 runs; on after 8 s anyway ("Before") */
		homes = 0;
		for (t0 = now_s(); now_s() - t0 < 8; usleep(100000)) {
			int kept = 0;

			for (i = 0; i < 4; i++) {
				struct keeper *k = &sh->p[i / 2].k[i % 2];
				pid_t pid = i < 2 ? getpid() : child;

				keep[i] = k->tid ? thread_keep(pid, k->tid) :
						   -2;
				kept += keep[i] == (i % 2 ? self->far : 0);
			}
			if (kept == 4)
				break;
			homes = implicit_home(getpid()) >= 0 ||
				implicit_home(child) >= 0;
			if (homes)
				break;
		}
		/*
		 * Or the load balancer moved a thread off its half before
		 * knumad had its samples, and the half followed it: the keep
		 * follows the memory (1 setup of 16 in a row with preallocated
		 * guest RAM, 2026-12-06: kept on nodes 0 0 / 0 1, the second
		 * half 12.5% on the far node).  Kept where its first node is
		 * not, on a half mostly gone from there.
		 */
		for (i = 0; !homes && i < 4; i++) {
			int first = i % 2 ? self->far : 0;
			pid_t pid = i < 2 ? getpid() : child;

			if (keep[i] >= 0 && keep[i] != first &&
			    pid_share_on(pid, sh->p[i / 2].k[i % 2].addr,
					 len / 2, first) < 0.5)
				homes = 2;
		}
		if (!homes)
			break;
		TH_LOG("setup %d: %s; again", try + 1, homes == 1 ?
		       "a process got a home instead of keeps" :
		       "a thread's half followed it off its first node before the keeps");
		for (i = 0; i < 2; i++)
			dump_memsched(_metadata, i ? child : getpid());
		sh->stop = 1;
		keepers_stop(&sh->p[0], len, self->far);
		waitpid(child, NULL, 0);
	}
	/*
	 * Every setup gave a process a home (the load balancer put its two
	 * threads on one node before knumad had their samples, a placement
	 * of its own): the keeps were not what happened, so nothing was
	 * tested.  3 of 3 setups went that way in one make test run of
	 * 2026-12-04 (homes with one member thread each).  Not when the last
	 * one let a half follow its thread: three in a row would be knumad's
	 * doing, not the load balancer's, and the keeps' checks below fail.
	 */
	if (homes == 1)
		SKIP(return, "a process got a home in each of %d setups", try);
	for (i = 0; i < 2 && keep[0] + keep[1] + keep[2] + keep[3] != 2; i++)
		dump_memsched(_metadata, i ? child : getpid());
	/*
	 * No pass from here until both swapped threads are unpinned, and
	 * one at once then, while they are away: what a pinned thread
	 * samples counts, as it must for a thread pinned away for good
	 * (misplaced_private), so a pass during the pin (its samples taken
	 * in the 20 ms, 2026-12-06: 96 hinting faults while pinned, both
	 * halves moved, neither thread pulled back; 1 run of 12 in a row,
	 * about 1 make test run of 13) tested the pin, not the swap; and a
	 * pass while they are away is what the test is about, which at a
	 * pass a second came in about 1 run of 5.  A longer sleep applies
	 * at once; the pass under way, if any, completes.  A second later
	 * its samples are taken and moves asked before the keeps are done
	 * (before[] is taken after).
	 */
	quiet = knumad_set("scan_sleep_millisecs", "60000");
	usleep(1100000);
	for (i = 0; i < 4; i++)
		before[i] = pid_share_on(i < 2 ? getpid() : child,
					 sh->p[i / 2].k[i % 2].addr, len / 2,
					 i % 2 ? self->far : 0);
	TH_LOG("kept on nodes %d %d / %d %d after %.2f s; halves on their first nodes then: %.1f%% %.1f%% / %.1f%% %.1f%%",
	       keep[0], keep[1], keep[2], keep[3], now_s() - t0,
	       before[0] * 100, before[1] * 100, before[2] * 100,
	       before[3] * 100);
	/* hinting faults of the two processes while a thread is pinned */
	for (i = 0; i < 2; i++)
		pinned[i] = knumad_proc(i ? child : 0, &pk) ? -1 : pk.faults;
	sh->p[0].k[1].want = 0;
	sh->p[1].k[0].want = self->far;
	/*
	 * Both moved (a slow sweep repins late): then free at once.  The
	 * pin only starts the trip - what a pinned thread samples counts,
	 * as it must for a thread pinned away for good (misplaced_private),
	 * and a 150-ms pin (until 2026-12-04) let an early pass's samples
	 * move half a keeper's memory in 1 of 4 runs.  The trip goes on
	 * unpinned until the scheduler hook's pull, as a load balancer's
	 * move does (0.11-0.33 s).
	 */
	for (t0 = now_s(); now_s() - t0 < 1; usleep(5000)) {
		/* each freed 20 ms after it moved, not after the other */
		if (at[0] < 0 && sh->p[0].k[1].at == 0) {
			at[0] = 0;
			moved_at[0] = now_s();
		}
		if (at[1] < 0 && sh->p[1].k[0].at == self->far) {
			at[1] = self->far;
			moved_at[1] = now_s();
		}
		if (at[0] >= 0 && now_s() - moved_at[0] >= 0.02)
			sh->p[0].k[1].want = -1;
		if (at[1] >= 0 && now_s() - moved_at[1] >= 0.02)
			sh->p[1].k[0].want = -1;
		if (sh->p[0].k[1].want < 0 && sh->p[1].k[0].want < 0)
			break;
	}
	sh->p[0].k[1].want = -1;
	sh->p[1].k[0].want = -1;
	t0 = now_s();
	/* both unpinned themselves (they look every 1 MiB they write) */
	while (now_s() - t0 < 1 &&
	       (sh->p[0].k[1].pinned >= 0 || sh->p[1].k[0].pinned >= 0))
		usleep(1000);
	for (i = 0; i < 2; i++)
		pinned[i] = knumad_proc(i ? child : 0, &pk) || pinned[i] < 0 ?
			    -1 : pk.faults - pinned[i];
	/* the last pass ended over a second ago: the next one is now */
	quiet |= knumad_set("scan_sleep_millisecs", "1000");
	for (; now_s() - t0 < 3; usleep(50000))
		if (sh->p[0].k[1].at == self->far && sh->p[1].k[0].at == 0) {
			back = now_s() - t0;
			break;
		}
	/* a pass later; how long each thread ran off its node meanwhile */
	for (t0 = now_s(), i = 0; now_s() - t0 < 1.5; usleep(50000), i++)
		for (int j = 0; j < 4; j++)
			away[j] += sh->p[j / 2].k[j % 2].at !=
				   (j % 2 ? self->far : 0);
	TH_LOG("swapped to nodes %d and %d; back after %.2f s; 1.5 s later on nodes %d and %d; off their nodes in %d looks after: %d %d / %d %d; hinting faults while pinned: %ld / %ld",
	       at[0], at[1], back, sh->p[0].k[1].at, sh->p[1].k[0].at, i,
	       away[0], away[1], away[2], away[3], pinned[0], pinned[1]);
	off = knumad_set("enabled", "0");
	after = thread_keep(getpid(), sh->p[0].k[1].tid);
	sh->stop = 1;
	keepers_stop(&sh->p[0], len, self->far);
	waitpid(child, NULL, 0);
	TH_LOG("halves on their first nodes: %.1f%% %.1f%% / %.1f%% %.1f%%; keep after disabling: %d",
	       sh->p[0].share[0] * 100, sh->p[0].share[1] * 100,
	       sh->p[1].share[0] * 100, sh->p[1].share[1] * 100, after);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(i % 2 ? self->far : 0, keep[i]);
	EXPECT_EQ(0, at[0]);
	EXPECT_EQ(self->far, at[1]);
	EXPECT_EQ(-1, after);
	/*
	 * A half already moving when the keeps came (75% in place in one
	 * make test run, 12.6% after): moves marked before the keep go on
	 * after it, whatever the swap does - a known gap (issue 13), not
	 * what this test isolates; nor is the pull then, the keep of a
	 * thread whose memory moves following its memory (back after 1.23
	 * and 1.50 s in the only two runs of about 150 that took 1 s or
	 * more, a CI run and a run alone, both with a half moving: 20.3%
	 * and 75% in place; 0.04-0.20 s in the 5 other such runs logged).
	 * Not over a failure above: SKIP would hide it.
	 */
	for (i = 0; i < 4; i++)
		if (before[i] < 0.95 && _metadata->exit_code == KSFT_PASS) {
			munmap(sh, sizeof(*sh));
			SKIP(return, "a half was %.1f%% in place when the keeps came: moves already under way",
			     before[i] * 100);
		}
	/* the pull's 100 ms, not the load balancer's 1.14 s (see above) */
	EXPECT_GE(back, 0);
	EXPECT_LT(back, 1.0);
	/*
	 * The swap moved none of it: each half as much in place as when
	 * the keeps came, within 5 points (the swap's samples moved 12-62%
	 * of a half before c30c705).  What moved before the keeps - the
	 * load balancer's mix while the threads were free and unkept (94.1%
	 * in one make test run) - is not the swap's doing; under 95% in
	 * place then, the test skips (above).
	 */
	for (i = 0; i < 4; i++)
		EXPECT_GE(sh->p[i / 2].share[i % 2], before[i] - 0.05);
	munmap(sh, sizeof(*sh));
	ASSERT_EQ(0, off);	/* the knumad_set() above */
	ASSERT_EQ(0, quiet);
}

/* A busy thread without memory of its own, on node @want. */
struct hopper {
	pthread_t thread;
	volatile int want;
	volatile int *stop;
	int node_of[256];	/* each CPU's node, read before it starts */
	int changes;		/* of the node it ran on, seen */
};

static void *hopper_fn(void *arg)
{
	struct hopper *h = arg;
	int have = -2, at = -1, nid, cpu;
	unsigned long n = 0;

	while (!*h->stop) {
		if (h->want != have) {
			have = h->want;
			pin_to_node(have);
		}
		if (++n % 4096)
			continue;
		/* no file read here: its buffers would be memory it uses */
		cpu = sched_getcpu();
		nid = cpu >= 0 && cpu < 256 ? h->node_of[cpu] : -1;
		if (at >= 0 && nid >= 0 && nid != at)
			h->changes++;
		at = nid;
	}
	return NULL;
}

/*
 * A thread that changes node has its own memory sampled again, not all
 * of its process's: the other threads' memory did not move away from
 * them.  A thread writes a private 32 MiB it first touched on the far
 * node; a second thread, busy but using no memory, runs on node 0.
 * Over 40 passes the process takes N hinting faults; over the next 40,
 * with the second thread changing node every 2 passes (at least 15
 * times seen), it must take at most 3N + 128 (its own stack is sampled
 * again each time).  6 runs: N = 1,280, and 1,908-2,308 with the
 * changes.  Before (the old rule: every thread's regions), 5,122 with
 * the changes: every change had every settled region of the process
 * sampled at the next pass - and brought that pass forward when the
 * process was sitting passes out: make bench's numa02 with THP, 4
 * threads on 160 huge pages, took a fault on every huge page each time
 * the load balancer moved one thread.
 */
TEST_F_TIMEOUT(knumad, moved_thread_resamples_only_its_memory, 120)
{
	unsigned long len = 32 * MB;
	struct knumad_proc k[3];
	volatile int stop = 0;
	struct hopper a = { .want = 0, .stop = &stop };
	struct hammer b;
	double share;
	char *buf;
	long scans;
	int i, ok = 1;

	for (i = 0; i < 256; i++)
		a.node_of[i] = i < sysconf(_SC_NPROCESSORS_ONLN) ?
			       cpu_to_node(i) : -1;
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	hammer_start(&b, buf, len, self->far, &stop);
	pthread_create(&a.thread, NULL, hopper_fn, &a);
	/* first touch, then the regions settle */
	ASSERT_TRUE(wait_scans(knumad_get("full_scans"), 40, 60));
	ASSERT_EQ(0, knumad_proc(0, &k[0]));
	ASSERT_TRUE(wait_scans(knumad_get("full_scans"), 40, 60));
	ASSERT_EQ(0, knumad_proc(0, &k[1]));
	scans = knumad_get("full_scans");
	for (i = 0; i < 20 && ok; i++) {
		a.want = i % 2 ? 0 : self->far;
		ok = wait_scans(scans, 2 * (i + 1), 10);
	}
	ASSERT_EQ(0, knumad_proc(0, &k[2]));
	stop = 1;
	pthread_join(a.thread, NULL);
	pthread_join(b.thread, NULL);
	share = share_on(buf, len, self->far);
	munmap(buf, len);
	TH_LOG("hinting faults: %ld over 40 passes, %ld over 40 with a thread changing node %d times",
	       k[1].faults - k[0].faults, k[2].faults - k[1].faults,
	       a.changes);
	TH_LOG("%.1f%% in place", share * 100);
	ASSERT_TRUE(ok);
	/* it did change node: else the test proves nothing */
	EXPECT_GE(a.changes, 15);
	EXPECT_GE(share, 0.95);
	EXPECT_GT(k[1].faults - k[0].faults, 0);
	EXPECT_LE(k[2].faults - k[1].faults,
		  3 * (k[1].faults - k[0].faults) + 128);
	/*
	 * And by the rule: a settled region's sample (16 pages) once in 8
	 * scan periods, 5 in 40 and one more at either end, for each 2 MiB
	 * region of the buffer (x86-64's PMD), 128 beside for the stacks.
	 * Counted in the process's passes scaled by its back-off, the wait
	 * came out shorter whenever the back-off fell: 1,287-2,306 in 14
	 * runs, 7 over this (1,026-1,286 in 12 runs since).
	 */
	EXPECT_LE(k[2].faults - k[1].faults,
		  (long)(len / (2 * MB)) * 16 * (40 / 8 + 2) + 128);
}

/*
 * The CPU share knumad counts for thread @tid of this process (the "cpu"
 * of its line in /proc/self/memsched), or -1 if it has no line or no
 * verdict yet ("busy unknown").
 */
static int thread_cpu(pid_t tid)
{
	char line[768], want[64], *k;
	FILE *f = fopen("/proc/self/memsched", "r");
	int cpu = -1;

	snprintf(want, sizeof(want), "knumad thread %d faults", tid);
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)) ||
		    strstr(line, " busy unknown"))
			continue;
		k = strstr(line, " cpu ");
		cpu = k ? atoi(k + 5) : -1;
	}
	if (f)
		fclose(f);
	return cpu;
}

/* A busy thread on the CPUs of @set, writing its own @len bytes. */
struct crowder {
	pthread_t thread;
	cpu_set_t set;
	char *buf;
	unsigned long len;
	volatile int *stop;
	volatile pid_t tid;
};

static void *crowder_fn(void *arg)
{
	struct crowder *c = arg;
	unsigned long i;

	/* a thread it could not pin says so: tid -1 */
	c->tid = sched_setaffinity(0, sizeof(c->set), &c->set) ? -1 :
		 syscall(SYS_gettid);
	while (!*c->stop)
		for (i = 0; i < c->len && !*c->stop; i += page_size())
			((volatile char *)c->buf)[i]++;
	return NULL;
}

/*
 * A thread's CPU share counts the time it waited for a CPU behind the
 * process's own threads: it is what the thread would use with a CPU of
 * its own.  Twice as many busy threads as node 0 has CPUs, all kept on
 * node 0, each running half a CPU: each must count 900 or more (of
 * 1024).  Counting what they ran, three busy threads on a node of two
 * CPUs used 683 each, 2,046 in all, and a split of numa02 kept the three
 * in the part at home there (room for 2,304), the fourth alone on the
 * other node, memory following each part (make bench, numa02 with THP, 2
 * nodes: 5 of 8 runs stuck at 75%).  Needs CONFIG_SCHED_INFO
 * (/proc/self/schedstat).
 */
/* Start @n crowders (at most 8) on the CPUs of @set; returns how many. */
static int crowd_start(struct crowder *c, const cpu_set_t *set, int n,
		       volatile int *stop)
{
	int i;

	for (i = 0; i < n && i < 8; i++) {
		c[i].set = *set;
		c[i].len = 2 * MB;
		c[i].buf = map_aligned(c[i].len, 0);
		c[i].stop = stop;
		if (!c[i].buf ||
		    pthread_create(&c[i].thread, NULL, crowder_fn, &c[i]))
			break;
	}
	return i;
}

/*
 * Run @n busy threads on the CPUs of @set, each writing its own 2 MiB,
 * until knumad judged each over a window, then two windows more; their
 * shares into @cpu (-1: none).  Returns whether all were judged, -1 if a
 * thread could not be started.
 */
static int crowd_shares(const cpu_set_t *set, int n, int *cpu)
{
	struct crowder c[8] = {};
	volatile int stop = 0;
	int i, judged = 0, started;
	double t0;

	started = crowd_start(c, set, n, &stop);
	t0 = now_s();
	while (started == n && !judged && now_s() - t0 < 40) {
		usleep(250000);
		for (judged = 1, i = 0; i < n; i++)
			if (c[i].tid <= 0 || thread_cpu(c[i].tid) < 0)
				judged = 0;
	}
	if (judged)
		usleep(2500000);
	for (i = 0; i < started; i++)
		cpu[i] = c[i].tid > 0 ? thread_cpu(c[i].tid) : -1;
	stop = 1;
	for (i = 0; i < started; i++) {
		pthread_join(c[i].thread, NULL);
		munmap(c[i].buf, c[i].len);
	}
	return started == n ? judged : -1;
}

TEST_F_TIMEOUT(knumad, crowded_thread_counts_the_cpu_it_waits_for, 90)
{
	int n, i, cpu[8], judged;
	cpu_set_t set;

	if (access("/proc/self/schedstat", R_OK))
		SKIP(return, "no CONFIG_SCHED_INFO: a thread's share is what it ran");
	ASSERT_EQ(0, node_cpus(0, &set));
	n = 2 * CPU_COUNT(&set);
	if (n > 8)
		SKIP(return, "node 0 has %d CPUs: too many threads", n / 2);
	judged = crowd_shares(&set, n, cpu);
	ASSERT_LE(0, judged);
	for (i = 0; i < n; i++)
		TH_LOG("thread %d of %d on node 0's %d CPUs: cpu %d", i + 1, n,
		       n / 2, cpu[i]);
	ASSERT_TRUE(judged);
	for (i = 0; i < n; i++)
		EXPECT_GE(cpu[i], 900);
}

/*
 * The same on one CPU of node 0, where the threads' affinity allows only
 * that one: filled by the process's own threads, though the node's other
 * CPUs are idle.  Judged against all of the node's CPUs, two threads on
 * one of two CPUs (1,024 of 2,048) did not fill it: 512 each.
 */
TEST_F_TIMEOUT(knumad, crowded_allowed_cpu_counts_the_wait, 90)
{
	int i, cpu[2], judged, first = -1;
	cpu_set_t set;

	if (access("/proc/self/schedstat", R_OK))
		SKIP(return, "no CONFIG_SCHED_INFO: a thread's share is what it ran");
	ASSERT_EQ(0, node_cpus(0, &set));
	if (CPU_COUNT(&set) < 2)
		SKIP(return, "node 0 has one CPU: the test above covers it");
	for (i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &set))
			first = i;
	CPU_ZERO(&set);
	CPU_SET(first, &set);
	judged = crowd_shares(&set, 2, cpu);
	ASSERT_LE(0, judged);
	for (i = 0; i < 2; i++)
		TH_LOG("thread %d of 2 on CPU %d of node 0: cpu %d", i + 1,
		       first, cpu[i]);
	ASSERT_TRUE(judged);
	for (i = 0; i < 2; i++)
		EXPECT_GE(cpu[i], 900);
}

/*
 * ... but not behind another process's: moving the process would not
 * give its threads more of a CPU (nor would a CPU quota's wait).  As many
 * busy threads as node 0 has CPUs, and as many of a child process beside
 * them, all on node 0, each running half a CPU: each of ours must count
 * 700 or less (what it ran, 512).  Counting every wait, each counted
 * 1,024, and a process crowded by others looked twice its size.
 */
TEST_F_TIMEOUT(knumad, thread_behind_another_process_counts_what_it_ran, 90)
{
	int n, i, cpu[4], judged, status;
	cpu_set_t set;
	pid_t child;

	if (access("/proc/self/schedstat", R_OK))
		SKIP(return, "no CONFIG_SCHED_INFO: a thread's share is what it ran");
	ASSERT_EQ(0, node_cpus(0, &set));
	n = CPU_COUNT(&set);
	if (n > 4)
		SKIP(return, "node 0 has %d CPUs: too many threads", n);
	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		/* n busy threads of another process on node 0, until killed */
		struct crowder c[4] = {};
		volatile int stop = 0;

		if (crowd_start(c, &set, n, &stop) < n)
			_exit(1);
		pause();
		_exit(0);
	}
	judged = crowd_shares(&set, n, cpu);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	ASSERT_TRUE(WIFSIGNALED(status));	/* its threads all ran */
	ASSERT_LE(0, judged);
	for (i = 0; i < n; i++)
		TH_LOG("thread %d of %d, %d of another process, on node 0's %d CPUs: cpu %d",
		       i + 1, n, n, n, cpu[i]);
	ASSERT_TRUE(judged);
	for (i = 0; i < n; i++)
		EXPECT_LE(cpu[i], 700);
}

#define MOVER_ANY	(-2)

/*
 * A thread that writes a range from node @nid; a new @nid repins it
 * (MOVER_ANY: to every CPU).
 */
struct mover {
	pthread_t thread;
	char *addr;
	unsigned long len;
	volatile int nid;
	volatile int *stop;
	volatile pid_t tid;
};

static void *mover_fn(void *arg)
{
	struct mover *m = arg;
	unsigned long i;
	int nid = -1;

	m->tid = syscall(SYS_gettid);
	while (!*m->stop) {
		if (m->nid != nid) {
			nid = m->nid;
			if (nid == MOVER_ANY)
				unpin();
			else
				pin_to_node(nid);
		}
		for (i = 0; i < m->len && !*m->stop; i += page_size())
			((volatile char *)m->addr)[i]++;
	}
	return NULL;
}

/*
 * A process that gets a home keeps its memory there, even where a region
 * is in its flip backoff.  A thread writes a buffer from node 0 and the
 * far node by turns for 16 s, so its regions change destination a few
 * times and each change waits longer (1, 2, 4, 8 ... s).  Then it stays
 * on the node that holds less of the buffer: the process fits that node,
 * gets an implicit group with its home there, and the whole buffer must
 * follow within 10 s of the group - not when each region's backoff ends.
 */
TEST_F_TIMEOUT(knumad, implicit_home_wins_over_region_backoff, 120)
{
	unsigned long len = 16 * MB;
	int id = 0, home = -1, members = 0, dst, i;
	volatile int stop = 0;
	double t0, t1, t2, share, s0, sfar;
	struct mover m = {};
	cpu_set_t all;
	char *buf;

	/* the main thread must not keep the process off any node */
	CPU_ZERO(&all);
	for (i = 0; i < sysconf(_SC_NPROCESSORS_ONLN); i++)
		CPU_SET(i, &all);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	m.addr = buf;
	m.len = len;
	m.nid = 0;
	m.stop = &stop;
	pthread_create(&m.thread, NULL, mover_fn, &m);
	for (i = 0; i < 8; i++) {
		m.nid = i % 2 ? 0 : self->far;
		usleep(2000000);
	}
	s0 = share_on_sampled(buf, len, 0);
	sfar = share_on_sampled(buf, len, self->far);
	dst = s0 < sfar ? 0 : self->far;
	TH_LOG("after 16 s by turns: %.1f%% on node 0, %.1f%% on node %d; staying on node %d",
	       s0 * 100, sfar * 100, self->far, dst);
	m.nid = dst;
	/*
	 * The main thread only watches, every 250 ms, and cheaply
	 * (share_on_sampled()).  Four share_on() queries of all 4,096 pages
	 * in a row made it an active thread under TCG on 4 nodes of one CPU:
	 * then the two threads fit no node and the process is split into
	 * parts, which do not impose a home on the regions.  Seen in make
	 * test and CI on 4 nodes (a "group" at home 3 after 0.6 s - one of
	 * the two parts, trace: groups at home 3 and 0 made together - and
	 * none of the buffer went there in 30 s: the regions were in a 32 s
	 * flip backoff).
	 */
	t0 = now_s();
	while (now_s() - t0 < 60) {
		id = implicit_group(&home, &members);
		if (id && home == dst)
			break;
		usleep(250000);
	}
	t1 = now_s();
	TH_LOG("implicit group %d home %d after %.2f s", id, home, t1 - t0);
	ASSERT_GT(id, 0);
	ASSERT_EQ(dst, home);
	while (now_s() - t1 < 30) {
		if (share_on_sampled(buf, len, home) >= 0.95 &&
		    share_on(buf, len, home) >= 0.95)
			break;
		usleep(250000);
	}
	t2 = now_s();
	share = share_on(buf, len, home);
	TH_LOG("%.1f%% of %lu MiB at home %.2f s after the group formed (%d members)",
	       share * 100, len / MB, t2 - t1, members);
	EXPECT_GE(share, 0.95);
	/*
	 * Well under the regions' backoff (32 s, above): 0.3-0.9 s is
	 * usual, 6.45 s was seen once on 4 nodes in a fresh-clone make
	 * test whose guests ran 1.3x slower than usual (2026-12-01).
	 */
	EXPECT_LE(t2 - t1, 10.0);
	stop = 1;
	pthread_join(m.thread, NULL);
	munmap(buf, len);
}

/*
 * The home of the part (an implicit group of a split process) that
 * thread @tid is in, or -1, from one read of /proc/self/memsched.
 */
static int thread_part_home(pid_t tid)
{
	int t, gid, g = -1, h, home = -1;
	char line[768];
	FILE *f = fopen("/proc/self/memsched", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "thread %d group %d", &t, &gid) == 2 &&
		    t == tid)
			g = gid;
	if (f)
		rewind(f);
	while (g > 0 && f && fgets(line, sizeof(line), f))
		if (sscanf(line, "group %d home %d", &gid, &h) == 2 &&
		    gid == g && strstr(line, " implicit"))
			home = h;
	if (f)
		fclose(f);
	return home;
}

/*
 * A bulk move asked for before the process's placement changed is not
 * made.  Three threads, each writing 16 MiB of huge pages that sit on
 * node 0, run on the far node's two CPUs: their huge pages are sampled
 * there and asked to move there, at 2 MiB/s (a huge page a second, 24
 * to move).  Then they may run anywhere: three busy threads fit no node
 * of two CPUs, the process is split, and a thread put in a part at home
 * on node 0 must not have a huge page of its taken to the far node
 * after that.  A huge page waiting for its move is not sampled again
 * (its one sample asked for it), so before, its huge pages went there
 * one by one, each sampled there and brought back a few seconds later
 * (traced: 3 in 6 s) - as a thread of numa02 with THP on 4 nodes was
 * left with 70% of its memory on the node it ran on at 0.5 s, 3 s after
 * the split gave it a home elsewhere.  Needs 2 nodes of 2 CPUs.
 */
#define PAGE_UNSEEN	INT_MIN		/* outside the errno range */
#define PAGE_WENT	(INT_MIN + 1)

TEST_F_TIMEOUT(knumad, move_asked_before_a_split_is_not_made, 120)
{
	unsigned long len = 16 * MB, h, nh = len / (2 * MB);
	int homes[3], i, n0 = 0, went = 0, at0 = 0, far = 0, status[3][8];
	volatile int stop = 0;
	struct mover m[3] = {};
	double t0, t1;
	void *pages[8];
	long huge;

	if (nr_nodes() != 2 || sysconf(_SC_NPROCESSORS_ONLN) != 4)
		SKIP(return, "needs 2 nodes x 2 CPUs");
	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "2"));
	for (i = 0; i < 3; i++) {
		m[i].addr = map_aligned(len, 1);
		ASSERT_NE(NULL, m[i].addr);
		touch(m[i].addr, len);
		ASSERT_GE(share_on(m[i].addr, len, 0), 0.95);
		m[i].len = len;
		m[i].nid = self->far;
		m[i].stop = &stop;
	}
	huge = anon_huge_kb();
	if (huge < 3 * (long)(len / 1024) / 2)
		SKIP(return, "THP not available: AnonHugePages %ld kB", huge);
	for (i = 0; i < 3; i++)
		pthread_create(&m[i].thread, NULL, mover_fn, &m[i]);
	/*
	 * 1.5 s at least, and until a move was made (the others asked for
	 * then wait for the rate limit): in a slow guest none was made in
	 * 1.5 s once (fc50), and the split came before any.
	 */
	t0 = now_s();
	do {
		usleep(100000);
		far = 0;
		for (i = 0; i < 3; i++) {
			int st[8];

			for (h = 0; h < nh; h++)
				pages[h] = m[i].addr + h * 2 * MB;
			if (!sys_move_pages(0, nh, pages, NULL, st, 0))
				for (h = 0; h < nh; h++)
					far += st[h] == self->far;
		}
	} while (now_s() - t0 < 20 && (now_s() - t0 < 1.5 || !far));
	TH_LOG("%d of 24 huge pages on node %d %.2f s after the threads started",
	       far, self->far, now_s() - t0);
	ASSERT_GT(far, 0);
	far = 0;
	for (i = 0; i < 3; i++)
		m[i].nid = MOVER_ANY;
	/* the split: a thread in a part at home on node 0 */
	t0 = now_s();
	while (now_s() - t0 < 30 && !n0) {
		usleep(100000);
		for (i = 0; i < 3; i++) {
			homes[i] = thread_part_home(m[i].tid);
			n0 += homes[i] == 0;
		}
	}
	t1 = now_s();
	TH_LOG("parts at home %d, %d, %d %.2f s after the threads were let go",
	       homes[0], homes[1], homes[2], t1 - t0);
	ASSERT_GT(n0, 0);
	/*
	 * How many of the moves asked before the split were made by then:
	 * only logged.  The loop above saw one made (the rest wait for the
	 * rate limit: 23 of 24 asked at 1.5 s); a huge page of a thread
	 * whose part is at home on node 0 may be back there already, or
	 * under migration (-ENOENT) at this look - 0 in a make test run of
	 * 2026-12-06 after 1 at 1.54 s, which failed the test on its setup.
	 */
	for (i = 0; i < 3; i++) {
		int st[8];

		for (h = 0; h < nh; h++)
			pages[h] = m[i].addr + h * 2 * MB;
		if (!sys_move_pages(0, nh, pages, NULL, st, 0))
			for (h = 0; h < nh; h++)
				far += st[h] == self->far;
	}
	TH_LOG("%d of 24 huge pages on node %d at the split", far, self->far);
	/*
	 * Where each huge page of a thread at home on node 0 is, every
	 * 100 ms for 6 s (one page each: cheap): one on node 0 at the split
	 * that shows up on the far node went there after it.  Only a node
	 * counts: a huge page under migration is -ENOENT.
	 */
	for (i = 0; i < 3; i++)
		for (h = 0; h < nh; h++)
			status[i][h] = PAGE_UNSEEN;
	while (now_s() - t1 < 6) {
		for (i = 0; i < 3; i++) {
			int st[8];

			/* not after a later move of its part's home */
			if (homes[i] != 0 || thread_part_home(m[i].tid) != 0)
				continue;
			for (h = 0; h < nh; h++)
				pages[h] = m[i].addr + h * 2 * MB;
			if (sys_move_pages(0, nh, pages, NULL, st, 0))
				continue;
			for (h = 0; h < nh; h++) {
				if (st[h] < 0)
					continue;
				if (status[i][h] == PAGE_UNSEEN) {
					status[i][h] = st[h];
					at0 += st[h] == 0;
				} else if (status[i][h] == 0 &&
					   st[h] == self->far) {
					status[i][h] = PAGE_WENT;
				}
			}
		}
		usleep(100000);
	}
	for (i = 0; i < 3; i++)
		for (h = 0; h < nh; h++)
			went += status[i][h] == PAGE_WENT;
	TH_LOG("%d of their huge pages on node 0 at the split", at0);
	/* none on node 0 then: nothing could have gone after it */
	ASSERT_GT(at0, 0);
	TH_LOG("%d huge page(s) of the thread(s) at home on node 0 went to node %d in 6 s after the split (parts at home %d, %d, %d then)",
	       went, self->far, thread_part_home(m[0].tid),
	       thread_part_home(m[1].tid), thread_part_home(m[2].tid));
	EXPECT_EQ(0, went);
	stop = 1;
	for (i = 0; i < 3; i++) {
		pthread_join(m[i].thread, NULL);
		munmap(m[i].addr, len);
	}
}

/* Sum of the high watermarks of node @nid's zones, in pages. */
/* The sum of one watermark ("min", "low" or "high") of @nid's zones. */
static long node_wmark(int nid, const char *which)
{
	char line[256], fmt[32];
	FILE *f = fopen("/proc/zoneinfo", "r");
	long sum = 0, v;
	int node = -1;

	snprintf(fmt, sizeof(fmt), " %s %%ld", which);
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone", &node) == 1)
			continue;
		if (node == nid && sscanf(line, fmt, &v) == 1)
			sum += v;
	}
	if (f)
		fclose(f);
	return sum;
}

static long node_high_wmark(int nid)
{
	return node_wmark(nid, "high");
}

static long vmstat_sum(const char *prefix)
{
	char line[128], name[64];
	FILE *f = fopen("/proc/vmstat", "r");
	long sum = 0, v;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", name, &v) == 2 &&
		    !strncmp(name, prefix, strlen(prefix)))
			sum += v;
	if (f)
		fclose(f);
	return sum;
}

/*
 * A move never makes room on its destination: with the far node filled
 * to 16 MiB above its high watermarks by a process bound there, a 64 MiB
 * misplaced workload used from the far node moves only what fits above
 * the watermarks, and no allocation of knumad's enters direct reclaim.
 */
TEST_F_TIMEOUT(knumad, move_does_not_reclaim_on_destination, 180)
{
	unsigned long len = 64 * MB, far_mask = 1UL << self->far;
	long high = node_high_wmark(self->far), page_kb = page_size() / 1024;
	long low = node_wmark(self->far, "low");
	long free_kb, stall0, stall1, free_end;
	int fds[2], i;
	volatile int stop = 0;
	struct hammer h[2];
	char *buf, c;
	pid_t hog;

	ASSERT_GT(high, 0);
	ASSERT_EQ(0, pipe(fds));
	hog = fork();
	ASSERT_GE(hog, 0);
	if (hog == 0) {
		/*
		 * take the far node down to 16 MiB above its high marks,
		 * in huge pages where it can: about 900 MiB touched 4 KiB
		 * at a time took most of this test's 51 s under TCG
		 */
		if (sys_set_mempolicy(MPOL_BIND, &far_mask, 64))
			_exit(1);
		while (node_meminfo_kb(self->far, "MemFree") >
		       high * page_kb + 16 * 1024) {
			char *p = map_aligned(4 * MB, 1);

			if (!p)
				_exit(2);
			touch(p, 4 * MB);
			/* nor khugepaged's collapses (and compaction) later */
			madvise(p, 4 * MB, MADV_NOHUGEPAGE);
		}
		write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, read(fds[0], &c, 1));
	free_kb = node_meminfo_kb(self->far, "MemFree");
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	ASSERT_GE(share_on(buf, len, 0), 0.95);
	stall0 = vmstat_sum("allocstall_") + vmstat_sum("compact_stall");
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, self->far, &stop);
	EXPECT_TRUE(wait_scans(knumad_get("full_scans"), 20, 120));
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	stall1 = vmstat_sum("allocstall_") + vmstat_sum("compact_stall");
	free_end = node_meminfo_kb(self->far, "MemFree");
	TH_LOG("node %d: watermarks low %ld kB high %ld kB, free %ld kB before, %ld kB after; %.1f%% of 64 MiB moved there; direct reclaim/compaction stalls %ld",
	       self->far, low * page_kb, high * page_kb, free_kb, free_end,
	       share_on(buf, len, self->far) * 100, stall1 - stall0);
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	/*
	 * Some moved (the test measured something); never down to the low
	 * marks, where kswapd would be woken to reclaim: each batch (up to
	 * 2 MiB) is checked against the high marks before it moves, and the
	 * kernel allocates there too (a run ended 5 MiB under the high
	 * marks, with no stall).  The old rules took the node to 37 MiB free
	 * against 58 MiB of high marks, with 210 direct reclaim/compaction
	 * stalls.
	 */
	EXPECT_GT(share_on(buf, len, self->far), 0.0);
	EXPECT_GE(free_end, low * page_kb);
	EXPECT_EQ(stall0, stall1);
	munmap(buf, len);
}

/* A range bound to a group goes to the group's home, not to its users. */
TEST_F_TIMEOUT(knumad, group_range_goes_home, 120)
{
	unsigned long len = 16 * MB;
	volatile int stop = 0;
	struct hammer h[2];
	struct knumad_proc k0, k1;
	long id, scans0;
	int home, other, i;
	char *buf;

	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	home = group_home(id, NULL, 0);
	ASSERT_GE(home, 0);
	other = home ? 0 : self->far;
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ms_mbind(buf, len, id, MS_MBIND_MOVE));
	touch(buf, len);
	ASSERT_GE(share_on(buf, len, home), 0.95);

	ASSERT_EQ(0, knumad_proc(0, &k0));
	scans0 = knumad_get("full_scans");
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, other, &stop);
	ASSERT_TRUE(wait_scans(scans0, 10, 60));
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	ASSERT_EQ(0, knumad_proc(0, &k1));
	TH_LOG("home %d, used from node %d: %.1f%% at home after %ld full scans and %ld hint faults",
	       home, other, share_on(buf, len, home) * 100,
	       knumad_get("full_scans") - scans0, k1.faults - k0.faults);
	EXPECT_GT(k1.faults - k0.faults, 0);
	EXPECT_GE(share_on(buf, len, home), 0.95);
	munmap(buf, len);
	ms_tbind(0, MS_ID_NONE, 0);
}

/*
 * Run a misplaced workload on @buf for 10 full scans and return the share
 * left on node 0.
 */
static double untouched(struct __test_metadata *_metadata, char *buf,
			unsigned long len, int far)
{
	volatile int stop = 0;
	struct hammer h[2];
	long scans0;
	int i;

	touch(buf, len);
	if (share_on(buf, len, 0) < 0.95)
		return -1;
	scans0 = knumad_get("full_scans");
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, far, &stop);
	EXPECT_TRUE(wait_scans(scans0, 10, 60));
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	return share_on(buf, len, 0);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/*
 * In a child process: let knumad arm a buffer, opt out, then touch it
 * and run a misplaced workload on it.  After the prctl() returns there
 * is no hinting fault (a touch of present pages takes no fault at all),
 * nothing is scanned, sampled or migrated, and the memory stays.
 * Returns 0 if so.
 */
static int armed_then_untouched(struct __test_metadata *_metadata,
				unsigned long len, int far, int mbind_first)
{
	unsigned long node0 = 1;
	struct knumad_proc k0, k1, k2;
	long scans0, flt0, flt1;
	pid_t grandchild;
	int status;
	double left;
	char *buf;

	buf = map_aligned(len, 0);
	if (!buf || knumad_proc(0, &k0))
		return 1;
	touch(buf, len);
	/* not touched again, so the samples knumad arms stay armed */
	scans0 = knumad_get("full_scans");
	if (!wait_scans(scans0, 3, 30) || knumad_proc(0, &k1) ||
	    k1.scanned <= k0.scanned) {
		fprintf(stderr, "# knumad did not arm the buffer: full scans %ld -> %ld, scanned %ld -> %ld\n",
			scans0, knumad_get("full_scans"), k0.scanned,
			k1.scanned);
		return 2;
	}
	/*
	 * An mbind() policy makes the range one knumad no longer arms; the
	 * PTEs it armed before must go with the opt-out all the same.
	 */
	if (mbind_first &&
	    sys_mbind(buf, len, MPOL_PREFERRED, &node0, 64, 0))
		return 10;
	if (prctl(PR_SET_NUMA_BALANCING_DISABLE, 1, 0, 0, 0))
		return 3;
	if (knumad_proc(0, &k1))
		return 4;
	flt0 = minflt();
	touch(buf, len);
	flt1 = minflt();
	left = untouched(_metadata, buf, len, far);
	if (knumad_proc(0, &k2))
		return 5;
	/* inherited across fork (after the counts: fork makes COW faults) */
	grandchild = fork();
	if (grandchild == 0)
		_exit(prctl(PR_GET_NUMA_BALANCING_DISABLE, 0, 0, 0, 0) == 1 ?
		      0 : 1);
	if (waitpid(grandchild, &status, 0) != grandchild ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return 6;
	fprintf(stderr, "# opted out after %ld PTEs were armed: %ld faults touching the %lu present pages, then %.1f%% left on node 0; since the prctl: scanned %ld, hint faults %ld, migrated %ld, opt_out %d\n",
		k1.scanned - k0.scanned, flt1 - flt0, len / page_size(),
		left * 100, k2.scanned - k1.scanned, k2.faults - k1.faults,
		k2.migrated - k1.migrated, k2.opt_out);
	if (flt1 != flt0)
		return 7;	/* armed PTEs survived the opt-out */
	if (left < 0.95)
		return 8;
	if (k2.scanned != k1.scanned || k2.faults != k1.faults ||
	    k2.migrated != k1.migrated || k2.opt_out != 1)
		return 9;
	return 0;
}

/*
 * Put this process in a cgroup whose cpuset allows node @nid only (its
 * CPUs and its memory).
 */
static int enter_node_cpuset(int nid)
{
	char cpus[64] = "", buf[32], dir[64], path[96];
	int cpu, n = sysconf(_SC_NPROCESSORS_ONLN);

	for (cpu = 0; cpu < n; cpu++) {
		if (cpu_to_node(cpu) != nid)
			continue;
		snprintf(buf, sizeof(buf), "%s%d", cpus[0] ? "," : "", cpu);
		strcat(cpus, buf);
	}
	if (write_str("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset"))
		return -1;
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/knumad-node%d", nid);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/cpuset.cpus", dir);
	if (write_str(path, cpus))
		return -1;
	snprintf(path, sizeof(path), "%s/cpuset.mems", dir);
	snprintf(buf, sizeof(buf), "%d", nid);
	if (write_str(path, buf))
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(buf, sizeof(buf), "%d", getpid());
	return write_str(path, buf);
}

static void leave_node_cpuset(int nid)
{
	char dir[64];

	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/knumad-node%d", nid);
	rmdir(dir);
}

/*
 * A new group of this thread with its home on @nid, or -1.  A new group
 * goes to the node with the fewest groups: each one that lands elsewhere
 * is kept alive by a page bound to it until the right one is made.
 */
static long group_on(int nid)
{
	long id = -1, found = -1;
	char *pages[16], homes[64] = "";
	int i, n = 0;

	for (i = 0; i < 16 && found < 0; i++) {
		id = ms_tbind(0, MS_ID_NEW, 0);
		if (id < 0)
			break;
		snprintf(homes + strlen(homes), sizeof(homes) - strlen(homes),
			 " %d", group_home(id, NULL, 0));
		if (group_home(id, NULL, 0) == nid) {
			found = id;
			break;
		}
		pages[n] = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (pages[n] == MAP_FAILED)
			break;
		if (ms_mbind(pages[n], page_size(), id, 0)) {
			munmap(pages[n], page_size());
			break;
		}
		n++;
	}
	if (found < 0)
		fprintf(stderr, "# no group on node %d: homes%s %s\n", nid,
			homes, id > 0 ? "" : strerror(errno));
	while (n--)
		munmap(pages[n], page_size());
	return found;
}

/*
 * A member of a group is confined by its cpuset to node @nid, away from
 * the group's home: the balancer must give the group a home in the
 * cpuset.  With 3 nodes or more the test tells: the old balancer chose
 * from the nodes allowed when the group was made, so it left the home
 * where it was, or moved it to the least loaded node (node 0 on a tie),
 * never to node 1.
 */
TEST_F_TIMEOUT(knumad, group_home_follows_member_cpuset, 60)
{
	int nid = nr_nodes() > 2 ? 1 : 0, status, home = -1;
	double t0;
	long id;
	pid_t pid;

	if (getuid())
		SKIP(return, "needs root for the cpuset");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		id = group_on(self->far);
		if (id < 0)
			_exit(5);	/* see the assertion below */
		if (enter_node_cpuset(nid))
			_exit(4);
		t0 = now_s();
		while (now_s() - t0 < 20) {
			home = group_home(id, NULL, 0);
			if (home == nid)
				break;
			usleep(100000);
		}
		fprintf(stderr, "# group %ld: home %d after %.2f s in a cpuset of node %d (started on node %d)\n",
			id, home, now_s() - t0, nid, self->far);
		_exit(home == nid ? 0 : 10);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	leave_node_cpuset(nid);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "no cgroup2 cpuset controller");
	ASSERT_NE(5, WEXITSTATUS(status));	/* no group on the far node */
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * A process in a cpuset of node 1 bound a range to a group homed on the
 * far node before it was confined; its pages are on node 1.  The group's
 * one member is then confined to node 0, so the balancer moves the home
 * there (group_home_follows_member_cpuset) - to a node the process's
 * cpuset forbids.  The background mover, a kworker that no cpuset
 * confines, must leave the pages on node 1.  Needs 3 nodes.  (Before the
 * balancer knew cpusets the home stayed, and this test failed on that.)
 */
TEST_F_TIMEOUT(knumad, mover_stays_in_process_cpuset, 90)
{
	unsigned long len = 16 * MB;
	int status, to_child[2], to_parent[2], home = -1, before;
	char c = 0, buf[32];
	double t0;
	long id;
	pid_t pid;

	if (getuid())
		SKIP(return, "needs root for cpusets");
	if (nr_nodes() < 3)
		SKIP(return, "needs 3 nodes");
	id = group_on(self->far);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		double before, after;
		char *buf;

		/*
		 * knumad stays out of it: this is the mover's test.  Not a
		 * member (fork made it one): the balancer would keep the
		 * home in its cpuset (group_home_follows_member_cpuset).
		 */
		if (prctl(PR_SET_NUMA_BALANCING_DISABLE, 1, 0, 0, 0) ||
		    ms_tbind(0, MS_ID_NONE, 0))
			_exit(9);
		buf = map_aligned(len, 0);
		if (!buf || ms_mbind(buf, len, id, 0))
			_exit(10);
		if (enter_node_cpuset(1))
			_exit(4);
		touch(buf, len);
		before = share_on(buf, len, 1);
		if (write(to_parent[1], &c, 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(11);
		after = share_on(buf, len, 1);
		fprintf(stderr, "# bound range of a process in a cpuset of node 1: %.1f%% on node 1 before the home moved, %.1f%% after\n",
			before * 100, after * 100);
		if (before < 0.95)
			_exit(5);
		_exit(after >= 0.95 ? 0 : 12);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	before = group_home(id, NULL, 0);
	ASSERT_EQ(0, enter_node_cpuset(0));
	t0 = now_s();
	while (now_s() - t0 < 20) {
		home = group_home(id, NULL, 0);
		if (home != self->far)
			break;
		usleep(100000);
	}
	TH_LOG("home %d after %.2f s with the member in a cpuset of node 0 (home %d before)",
	       home, now_s() - t0, before);
	/* the mover takes 2 MiB per 10 ms: 16 MiB is moved in a second */
	sleep(3);
	snprintf(buf, sizeof(buf), "%d", getpid());
	EXPECT_EQ(0, write_str("/sys/fs/cgroup/cgroup.procs", buf));
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	leave_node_cpuset(0);
	leave_node_cpuset(1);
	ms_tbind(0, MS_ID_NONE, 0);
	EXPECT_NE(self->far, home);
	/* a home in the process's cpuset would prove nothing */
	EXPECT_NE(1, home);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "no cgroup2 cpuset controller");
	if (WEXITSTATUS(status) == 5)
		SKIP(return, "the range was not on node 1 to begin with");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * A process binds a range to a group whose home is the far node, is then
 * confined to node 0's memory by its cpuset, and uses the range hard
 * from node 0.  Neither knumad nor the background mover may move the
 * range out of the cpuset: it stays on node 0.
 */
TEST_F_TIMEOUT(knumad, bound_range_stays_in_cpuset, 120)
{
	unsigned long len = 16 * MB;
	int status;
	long id = -1;
	pid_t pid;

	if (getuid())
		SKIP(return, "needs root for the cpuset");
	/* a group whose home is the far node: this thread stays in it */
	id = group_on(self->far);
	ASSERT_GT(id, 0);

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct knumad_proc k0, k1;
		double left;
		char *buf;

		/*
		 * Bound first, then confined (as when an admin shrinks
		 * cpuset.mems): ms_mbind() in the cpuset refuses a home
		 * outside it with EINVAL, as mbind() does.
		 */
		buf = map_aligned(len, 0);
		if (!buf || ms_mbind(buf, len, id, 0)) {
			fprintf(stderr, "# ms_mbind(group %ld): %s\n", id,
				strerror(errno));
			_exit(10);
		}
		if (enter_node_cpuset(0))
			_exit(4);	/* no cgroup2 cpuset controller */
		if (knumad_proc(0, &k0))
			_exit(11);
		left = untouched(_metadata, buf, len, 0);
		/* and once more, for the mover's turn */
		usleep(500000);
		left = share_on(buf, len, 0);
		if (knumad_proc(0, &k1))
			_exit(12);
		fprintf(stderr, "# bound to a group at home on node %d, cpuset mems 0: %.1f%% on node 0 after 10 full scans, %ld hint faults, %ld pages migrated\n",
			self->far, left * 100, k1.faults - k0.faults,
			k1.migrated - k0.migrated);
		if (k1.faults == k0.faults)
			_exit(13);	/* not sampled: proves nothing */
		_exit(left >= 0.95 ? 0 : 14);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	leave_node_cpuset(0);
	ms_tbind(0, MS_ID_NONE, 0);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "no cgroup2 cpuset controller");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* A counter of memory.stat of the cgroup at @dir, or -1. */
static long memcg_stat(const char *dir, const char *name)
{
	char path[128], line[128];
	long v = -1, n;
	size_t len = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ' &&
		    sscanf(line + len, "%ld", &n) == 1)
			v = n;
	if (f)
		fclose(f);
	return v;
}

/*
 * Make the cgroup at @dir with the memory controller: 0, or why it cannot
 * be (a SKIP's reason).
 */
static const char *memcg_make(const char *dir)
{
	if (getuid())
		return "needs root for a cgroup";
	if (write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory"))
		return "no cgroup2 memory controller";
	mkdir(dir, 0755);
	return NULL;
}

/* Move the calling process into the cgroup at @dir; 0 or -1. */
static int memcg_enter(const char *dir)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(buf, sizeof(buf), "%d", getpid());
	return write_str(path, buf) ? -1 : 0;
}

/*
 * knumad's work shows in the memory cgroup of the process it works for,
 * as mainline balancing's does: PTEs armed, hinting faults, pages moved
 * (all three were only counted machine-wide).
 */
TEST_F_TIMEOUT(knumad, memcg_counts_knumad_work, 120)
{
	const char *dir = "/sys/fs/cgroup/knumad-memcg";
	long pte, faults, migrated = -1;
	long want = 0.95 * 8 * MB / page_size();
	const char *why;
	double t0;
	int status;
	pid_t pid;

	why = memcg_make(dir);
	if (why)
		SKIP(return, "%s", why);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		unsigned long len = 8 * MB;
		volatile int stop = 0;
		double moved = 0;
		struct hammer h;
		char *p;

		if (memcg_enter(dir))
			_exit(4);
		p = map_aligned(len, 0);
		if (!p)
			_exit(5);
		touch(p, len);	/* on node 0: the fixture pinned us there */
		hammer_start(&h, p, len, self->far, &stop);
		for (t0 = now_s(); now_s() - t0 < 60; usleep(100000))
			if ((moved = share_on(p, len, self->far)) >= 0.95)
				break;
		stop = 1;
		pthread_join(h.thread, NULL);
		/*
		 * What is counted is this test's point, not where the pages
		 * stay: one make test run (2026-12-01) saw 95% moved, then a
		 * region go back to node 0 (2,559 pages migrated for 2,048;
		 * issue 13's implicit-group churn, not understood yet).
		 */
		if (share_on(p, len, self->far) < 0.95)
			TH_LOG("%.1f%% on node %d after the move, %.1f%% now",
			       moved * 100, self->far,
			       share_on(p, len, self->far) * 100);
		_exit(moved >= 0.95 ? 0 : 6);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/*
	 * memory.stat is flushed when more than 64 updates per CPU are
	 * pending, or every 2 s (mm/memcontrol.c): read right away it
	 * showed 1,550 of the 2,048 pages moved (make test, 2026-12-01).
	 * Wait for the periodic flush.
	 */
	for (t0 = now_s(); now_s() - t0 < 5; usleep(200000)) {
		migrated = memcg_stat(dir, "numa_pages_migrated");
		if (migrated >= want)
			break;
	}
	pte = memcg_stat(dir, "numa_pte_updates");
	faults = memcg_stat(dir, "numa_hint_faults");
	rmdir(dir);
	TH_LOG("memory.stat of the process's cgroup: numa_pte_updates %ld numa_hint_faults %ld numa_pages_migrated %ld",
	       pte, faults, migrated);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "cannot enter the cgroup");
	ASSERT_EQ(0, WEXITSTATUS(status));	/* 95% of 8 MiB moved far */
	EXPECT_GT(pte, 0);
	EXPECT_GT(faults, 0);
	/* it moved 2048 pages: all were counted */
	EXPECT_GE(migrated, want);
}

/* The entries /proc/@pid/memsched lists for threads. */
static int thread_entries(pid_t pid)
{
	char line[768];
	int n = 0;
	FILE *f;

	snprintf(line, sizeof(line), "/proc/%d/memsched", pid);
	f = fopen(line, "r");
	while (f && fgets(line, sizeof(line), f))
		n += !strncmp(line, "knumad thread ", 14);
	if (f)
		fclose(f);
	return n;
}

#define SWEEPERS	256
/* pages knumad samples in a region each pass: KNUMAD_SAMPLE_PAGES */
#define SWEEP_CHUNK	16

struct sweeper {
	char *p;		/* SWEEPERS / SWEEP_CHUNK regions of 2 MiB */
	int id;
	int go;			/* read end of a pipe: EOF is the start */
	volatile int *stop;
	pthread_t thread;
};

/*
 * Write a byte of each of its pages every 20 ms, from the close of the
 * pipe's write end to *stop.  Sweeper @id's pages in region r are those
 * whose index in it is id - SWEEP_CHUNK * r modulo SWEEPERS: knumad
 * samples the same chunk of SWEEP_CHUNK pages in every region of a pass,
 * and the regions' chunks then belong to SWEEPERS different threads - a
 * sample for every thread each pass.  (With a slice of 128 KiB each, one
 * thread a region owned the chunk: 16-32 entries at any time, and the
 * test skipped.)  The wait blocks: 256 threads polling every 1 ms made
 * creating them take 41-46 s on a TCG guest, and the test once 121 s,
 * past its timeout.
 */
static void *sweep_fn(void *arg)
{
	struct sweeper *s = arg;
	unsigned long rpages = 2 * MB / page_size(), r, k;
	char c;

	while (read(s->go, &c, 1) < 0 && errno == EINTR)
		;
	while (!*s->stop) {
		for (r = 0; r < SWEEPERS / SWEEP_CHUNK; r++)
			for (k = (s->id + (SWEEPERS - SWEEP_CHUNK) * r) %
				 SWEEPERS;
			     k < rpages; k += SWEEPERS)
				s->p[(r * rpages + k) * page_size()]++;
		usleep(20000);
	}
	return NULL;
}

/*
 * The entries knumad keeps for a process's threads (up to 1024 of about
 * 200 bytes) are charged to the process's memcg, as its regions are: a
 * process that starts threads to make the kernel hold memory pays for
 * it.  They were allocated without __GFP_ACCOUNT.  256 threads wait,
 * knumad scans their memory, then each writes its own 32 pages (one
 * sample a pass each, sweep_fn()) for a second, and knumad's passes stop;
 * the cgroup's slab_unreclaimable must grow by at least 128 bytes an
 * entry /proc/<pid>/memsched lists.  With this layout (2026-12-04):
 * d61d749's kernel (no __GFP_ACCOUNT) -456 and -384 bytes for 256 new
 * entries, fails 2 of 2; after, 244-257 new entries, 261-275 bytes an
 * entry, 3 of 3, 10-12 s a run.
 */
TEST_F_TIMEOUT(knumad, memcg_charges_thread_entries, 120)
{
	const char *dir = "/sys/fs/cgroup/knumad-memcg-kt";
	const char *why;
	int status;
	pid_t pid;

	why = memcg_make(dir);
	if (why)
		SKIP(return, "%s", why);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		static struct sweeper sw[SWEEPERS];
		unsigned long len = SWEEPERS / SWEEP_CHUNK * 2 * MB;
		volatile int stop = 0;
		int go[2];
		long s0, s1, scans;
		int i, e1, e2, e;
		char *p;

		if (memcg_enter(dir))
			_exit(4);
		p = map_aligned(len, 0);
		if (!p)
			_exit(5);
		touch(p, len);	/* local: the fixture pinned us to node 0 */
		if (pipe(go))
			_exit(5);
		for (i = 0; i < SWEEPERS; i++) {
			sw[i] = (struct sweeper){ .p = p, .id = i,
						  .go = go[0],
						  .stop = &stop };
			if (pthread_create(&sw[i].thread, NULL, sweep_fn,
					   &sw[i]))
				_exit(5);
		}
		/* regions allocated (charged) before the first count */
		scans = knumad_get("full_scans");
		if (!wait_scans(scans, 3, 20))
			_exit(6);
		/* memory.stat is flushed every 2 s */
		usleep(2500000);
		s0 = memcg_stat(dir, "slab_unreclaimable");
		e1 = thread_entries(getpid());
		close(go[1]);
		sleep(1);	/* most have an entry, few judged idle yet */
		/*
		 * No more passes: a pass halves each entry's counts and
		 * frees the entries of idle threads that reach 0, and
		 * memory.stat is only flushed every 2 s - the count must
		 * hold still from here to the read.
		 */
		if (knumad_set("scan_sleep_millisecs", "60000"))
			_exit(6);
		usleep(300000);
		e2 = thread_entries(getpid());
		usleep(2500000);
		s1 = memcg_stat(dir, "slab_unreclaimable");
		e = thread_entries(getpid());
		stop = 1;
		for (i = 0; i < SWEEPERS; i++)
			pthread_join(sw[i].thread, NULL);
		e = e < e2 ? e : e2;
		TH_LOG("slab_unreclaimable %ld -> %ld bytes (+%ld) while thread entries went %d -> %d (%d at least since; %ld bytes an entry)",
		       s0, s1, s1 - s0, e1, e2, e,
		       e > e1 ? (s1 - s0) / (e - e1) : 0);
		if (s0 < 0 || e - e1 < SWEEPERS / 4)
			_exit(7);	/* nothing to judge by */
		_exit(s1 - s0 >= 128L * (e - e1) ? 0 : 8);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	rmdir(dir);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "cannot enter the cgroup");
	if (WEXITSTATUS(status) == 7)
		SKIP(return, "too few thread entries to judge by");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Run for @s seconds of wall time, then: does knumad know this process? */
static int spin_then_known(double s)
{
	struct knumad_proc k;
	double t0 = now_s();

	while (now_s() - t0 < s)
		;
	return knumad_proc(0, &k) == 0;
}

/*
 * Registration is lazy: a process gets knumad's per-process slot only
 * when it runs while knumad is enabled (every fork and exec made one,
 * knumad on or off: about 1.7 KB and a global lock per process).
 */
TEST_F_TIMEOUT(knumad, registers_lazily, 60)
{
	int status, i;
	pid_t pid;

	ASSERT_EQ(0, knumad_set("enabled", "0"));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(spin_then_known(0.5) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("registered with knumad off");

	ASSERT_EQ(0, knumad_set("enabled", "1"));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* its first ticks register it */
		for (i = 0; i < 20; i++)
			if (spin_then_known(0.1))
				_exit(0);
		_exit(1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("not registered after 2 s");
}

/* PR_SET_NUMA_BALANCING_DISABLE: arguments, inheritance, and knumad obeys. */
TEST_F_TIMEOUT(knumad, opted_out_process_untouched, 120)
{
	unsigned long len = 16 * MB;
	int status;
	pid_t pid;

	EXPECT_EQ(0, prctl(PR_GET_NUMA_BALANCING_DISABLE, 0, 0, 0, 0));
	EXPECT_EQ(-1, prctl(PR_SET_NUMA_BALANCING_DISABLE, 2, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, prctl(PR_SET_NUMA_BALANCING_DISABLE, 1, 1, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, prctl(PR_GET_NUMA_BALANCING_DISABLE, 1, 0, 0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, prctl(PR_GET_NUMA_BALANCING_DISABLE, 0, 0, 0, 0));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pid_t grandchild;

		if (prctl(PR_SET_NUMA_BALANCING_DISABLE, 1, 0, 0, 0))
			_exit(10);
		if (prctl(PR_GET_NUMA_BALANCING_DISABLE, 0, 0, 0, 0) != 1)
			_exit(11);
		if (prctl(PR_SET_NUMA_BALANCING_DISABLE, 0, 0, 0, 0))
			_exit(10);
		grandchild = fork();
		if (grandchild == 0)
			_exit(prctl(PR_GET_NUMA_BALANCING_DISABLE, 0, 0, 0,
				    0) == 0 ? 2 : 1);
		if (waitpid(grandchild, &status, 0) != grandchild ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 2)
			_exit(12);	/* the flag was not what it is here */
		status = armed_then_untouched(_metadata, len, self->far, 0);
		_exit(status ? 20 + status : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the parent was not opted out by its child */
	EXPECT_EQ(0, prctl(PR_GET_NUMA_BALANCING_DISABLE, 0, 0, 0, 0));
}

/*
 * knumad armed a range, then the process gave it an mbind() policy (so
 * knumad no longer touches it), then opted out: no hinting fault may
 * follow.  The disarm skipped such ranges, so their armed PTEs faulted.
 */
TEST_F_TIMEOUT(knumad, opt_out_disarms_a_range_mbind_took, 120)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		status = armed_then_untouched(_metadata, 16 * MB, self->far,
					      1);
		_exit(status);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* An explicit mbind() policy wins over knumad. */
TEST_F_TIMEOUT(knumad, mbind_range_untouched, 120)
{
	unsigned long len = 16 * MB, node0 = 1;
	double left;
	char *buf;

	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, sys_mbind(buf, len, MPOL_PREFERRED, &node0, 64, 0));
	left = untouched(_metadata, buf, len, self->far);
	TH_LOG("mbind(MPOL_PREFERRED node 0): %.1f%% left on node 0", left * 100);
	EXPECT_GE(left, 0.95);
	munmap(buf, len);
}

/* Shared memory (memfd) and hugetlb mappings are not knumad's. */
TEST_F_TIMEOUT(knumad, file_and_hugetlb_untouched, 180)
{
	unsigned long len = 16 * MB;
	double left;
	char *buf;
	int fd;

	fd = memfd_create("knumad", MFD_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, len));
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, buf);
	left = untouched(_metadata, buf, len, self->far);
	TH_LOG("memfd MAP_SHARED: %.1f%% left on node 0", left * 100);
	EXPECT_GE(left, 0.95);
	munmap(buf, len);
	close(fd);

	/* hugetlb: a pool of 8 huge pages, all on node 0 */
	write_str(NODE0_HUGEPAGES, "8");
	len = 8 * 2 * MB;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (buf == MAP_FAILED) {
		write_str(NODE0_HUGEPAGES, "0");
		SKIP(return, "no hugetlb pages: the memfd case ran, hugetlb did not");
	}
	left = untouched(_metadata, buf, len, self->far);
	TH_LOG("hugetlb: %.1f%% left on node 0", left * 100);
	EXPECT_GE(left, 0.95);
	munmap(buf, len);
	write_str(NODE0_HUGEPAGES, "0");
}

/*
 * enabled=0 stops scanning and leaves no armed PTE: once the write has
 * returned, touching every page takes no hinting fault (kernel.numa_balancing
 * is 0, so nothing else arms them).
 */
TEST_F_TIMEOUT(knumad, disable_disarms, 90)
{
	unsigned long len = 32 * MB;
	volatile int stop = 0;
	struct hammer h;
	long f0, scanned;
	char *buf;

	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	/* keep it armed: a large sample, nothing touching it */
	ASSERT_TRUE(wait_scans(knumad_get("full_scans"), 3, 30));
	ASSERT_EQ(0, knumad_set("enabled", "0"));
	f0 = vmstat("numa_hint_faults");
	scanned = knumad_get("pages_scanned");
	hammer_start(&h, buf, len, 0, &stop);
	usleep(300000);
	stop = 1;
	pthread_join(h.thread, NULL);
	touch(buf, len);
	usleep(300000);
	TH_LOG("after disable: %ld hint faults, %ld pages scanned (hammer loops %lu)",
	       vmstat("numa_hint_faults") - f0,
	       knumad_get("pages_scanned") - scanned, h.loops);
	EXPECT_GT(h.loops, 0);
	EXPECT_EQ(f0, vmstat("numa_hint_faults"));
	EXPECT_EQ(scanned, knumad_get("pages_scanned"));
	munmap(buf, len);
}

static long numa_scan_seq(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/sched", "r");
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "mm->numa_scan_seq : %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/*
 * kernel.numa_balancing=1 with knumad on: task scanning stands aside for
 * the processes knumad scans; with knumad off it scans them again.
 */
TEST_F_TIMEOUT(knumad, task_scanning_stands_aside, 90)
{
	unsigned long len = 16 * MB;
	struct knumad_proc k0, k1;
	volatile int stop = 0;
	struct hammer h[2];
	long seq0, seq1, seq2;
	char *buf;
	int i;

	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	ASSERT_EQ(0, write_str(NB_SYSCTL, "1"));
	ASSERT_EQ(0, knumad_proc(0, &k0));
	seq0 = numa_scan_seq();
	ASSERT_GE(seq0, 0);
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, i ? self->far : 0, &stop);
	sleep(4);
	seq1 = numa_scan_seq();
	ASSERT_EQ(0, knumad_proc(0, &k1));
	ASSERT_EQ(0, knumad_set("enabled", "0"));
	sleep(6);
	seq2 = numa_scan_seq();
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	TH_LOG("numa_scan_seq %ld -> %ld in 4 s with knumad on (knumad: %ld hint faults), -> %ld in 6 s with it off",
	       seq0, seq1, k1.faults - k0.faults, seq2);
	EXPECT_EQ(seq0, seq1);
	EXPECT_GT(k1.faults - k0.faults, 0);
	EXPECT_GT(seq2, seq1);
	munmap(buf, len);
}

/* A /proc/meminfo field in kB, or -1. */
static long meminfo_kb(const char *field)
{
	return proc_kb("/proc/meminfo", field);
}

/* The "knumad regions N" line of /proc/<pid>/memsched, or -1. */
static long knumad_regions(pid_t pid)
{
	char path[64], line[512];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/memsched", pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "knumad regions %ld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/*
 * Seconds until a fresh CONVERGE_MB buffer first touched on node 0 and
 * then written by two threads on @far is 90% on @far, or @limit if it
 * never is.  32 MiB: 64 MiB took 18.9 s each time on the debug kernel
 * under TCG (2 nodes, make test of 2026-12-01), and the test compares
 * two such runs, not their size.
 */
#define CONVERGE_MB	32

static double converge(struct __test_metadata *_metadata, int far,
		       double limit, double *share)
{
	unsigned long len = CONVERGE_MB * MB;
	volatile int stop = 0;
	struct hammer h[2];
	double t0, t;
	char *buf;
	int i;

	*share = 0;
	buf = map_aligned(len, 0);
	if (!buf)
		return limit;
	touch(buf, len);
	if (share_on(buf, len, 0) < 0.95) {
		munmap(buf, len);
		return limit;
	}
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, far, &stop);
	t0 = now_s();
	while ((t = now_s() - t0) < limit) {
		*share = share_on(buf, len, far);
		if (*share >= 0.9)
			break;
		usleep(100000);
	}
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	munmap(buf, len);
	return t < limit ? t : limit;
}

/*
 * Map @len bytes of MAP_NORESERVE anonymous memory and write @pages pages
 * spread evenly across it (each at a different offset in its 2 MiB).
 */
static char *sparse_setup(unsigned long len, unsigned long pages)
{
	unsigned long stride = len / pages, i;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; i < pages; i++)
		p[i * stride + (i % 512) * page_size()] = 1;
	return p;
}

/* A sleeping child holding a sparse mapping (sparse_setup()), or -1. */
static pid_t fork_sparse(unsigned long len, unsigned long pages)
{
	return fork_ready(sparse_setup, len, pages, 0);
}

#define SPARSE_LEN	(16UL << 40)	/* 16 TiB of address space */
#define SPARSE_PAGES	4096		/* pages touched across it */

/*
 * A process shaped like an AddressSanitizer binary: 16 TiB of
 * MAP_NORESERVE anonymous memory with 4,096 pages touched, spread evenly
 * across it.  Knumad's work and memory must follow resident memory, not
 * address space: beside it a misplaced 32 MiB buffer converges about as
 * fast as alone (at most 4 times as long plus 10 s), and unreclaimable
 * slab grows by less than 32 MiB while knumad scans it.
 */
TEST_F_TIMEOUT(knumad, sparse_process_costs_what_it_uses, 300)
{
	double alone, beside, share_alone, share_beside;
	long slab0, slab1, regions;
	int status;
	pid_t child;

	alone = converge(_metadata, self->far, 60, &share_alone);
	TH_LOG("alone: %d MiB %.1f%% on node %d after %.2f s",
	       CONVERGE_MB, share_alone * 100, self->far, alone);
	ASSERT_GE(share_alone, 0.9);

	child = fork_sparse(SPARSE_LEN, SPARSE_PAGES);
	ASSERT_GT(child, 0);
	/* knumad is well into its pass over the sparse process */
	sleep(3);
	slab0 = meminfo_kb("SUnreclaim");

	beside = converge(_metadata, self->far, 90, &share_beside);
	slab1 = meminfo_kb("SUnreclaim");
	regions = knumad_regions(child);
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	TH_LOG("beside a 16 TiB process with %d pages touched: %d MiB %.1f%% on node %d after %.2f s (alone %.2f s); SUnreclaim %ld -> %ld kB (+%ld kB); the sparse process's knumad regions: %ld",
	       SPARSE_PAGES, CONVERGE_MB, share_beside * 100, self->far, beside, alone,
	       slab0, slab1, slab1 - slab0, regions);
	EXPECT_GE(share_beside, 0.9);
	EXPECT_LE(beside, alone * 4 + 10);
	EXPECT_LT(slab1 - slab0, 32 * 1024);
}

/*
 * Touch @len bytes of anonymous memory in base pages, then run for 100 ms
 * (so the process takes ticks and registers).
 */
static char *idle_setup(unsigned long len, unsigned long unused)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0 = now_s();

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	touch(p, len);
	while (now_s() - t0 < 0.1)
		;
	return p;
}

/*
 * As idle_setup(), then a second write of every page after knumad has
 * had time to arm its first samples: they are taken before the process
 * sleeps, as when a pass comes during the touch (make test at 7adec4c:
 * 48 PTEs armed at a visit of the sleeping process, 3 regions whose
 * sample the end of its touch took).
 */
static char *idle_taken_setup(unsigned long len, unsigned long unused)
{
	char *p = idle_setup(len, 0);
	double t0 = now_s();

	if (!p)
		return NULL;
	while (now_s() - t0 < 0.3)
		;
	touch(p, len);
	return p;
}

/*
 * Wait until knumad visits @pid again (its scan_ns changes), then let
 * the visit end; @k is the state before, and after on success.
 */
static int knumad_next_visit(pid_t pid, struct knumad_proc *k,
			     long *passes, double timeout)
{
	struct knumad_proc n;
	double t0 = now_s();

	while (now_s() - t0 < timeout) {
		if (knumad_proc(pid, &n))
			return -1;
		if (n.scan_ns != k->scan_ns) {
			usleep(50000);
			*passes = knumad_get("full_scans") +
				  knumad_get("quiet_scans");
			return knumad_proc(pid, k);
		}
		usleep(10000);
	}
	return -1;
}

#define VISITS	5

/*
 * What knumad spends follows the CPU processes use and the memory worth
 * moving, not what they hold: a process asleep with 64 MiB resident is
 * visited once in KNUMAD_ASLEEP_PASSES passes only (for threads on
 * nohz_full CPUs), and a visit arms a sample only in a region whose last
 * one was taken - once, as the region's wait after its last sample ends,
 * since nothing takes it while the process sleeps (before: 16 more pages
 * a region every 8 passes).  A process with less anonymous memory than a
 * region (1 MiB, waking every 100 ms, as the 100 small processes of make
 * bench's idle workload) gets no sample at all (before: 16 pages at its
 * first pass).  "knumad scanned" counts PTEs knumad changed.
 */
TEST_F_TIMEOUT(knumad, idle_processes_cost_nothing, 60)
{
	struct knumad_proc b0 = { 0 }, b[VISITS], s1 = { 0 };
	long p[VISITS] = { 0 }, gap = LONG_MAX;
	pid_t big, small;
	double t0;
	int i, ret = 0;

	/* 64 passes in under 2 s */
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "20"));
	big = fork_ready(idle_taken_setup, 64 * MB, 0, 0);
	ASSERT_GT(big, 0);
	small = fork_ready(idle_setup, MB, 0, 1);
	ASSERT_GT(small, 0);
	/* the big one's first samples: 32 regions of 16 pages */
	t0 = now_s();
	while (now_s() - t0 < 10 &&
	       (knumad_proc(big, &b0) || b0.scanned < 32 * 16 / 2))
		usleep(100000);
	usleep(500000);
	ASSERT_EQ(0, knumad_proc(big, &b0));
	/* visits of the sleeping process */
	for (i = 0; i < VISITS && !ret; i++) {
		b[i] = i ? b[i - 1] : b0;
		ret = knumad_next_visit(big, &b[i], &p[i], 15);
		if (i && p[i] - p[i - 1] < gap)
			gap = p[i] - p[i - 1];
	}
	/* registered or not: a small process shows no knumad line until */
	knumad_proc(small, &s1);
	kill(big, SIGKILL);
	kill(small, SIGKILL);
	waitpid(big, NULL, 0);
	waitpid(small, NULL, 0);
	ASSERT_EQ(0, ret);
	TH_LOG("asleep, 64 MiB: %ld PTEs armed first, %ld more in %d visits at least %ld passes apart (%ld at the last); awake, 1 MiB: %ld PTEs armed",
	       b0.scanned, b[VISITS - 1].scanned - b0.scanned, VISITS, gap,
	       b[VISITS - 1].scanned - b[VISITS - 2].scanned, s1.scanned);
	EXPECT_GE(b0.scanned, 32 * 16 / 2);
	/* a sample at most a region (33: the mapping is not aligned) */
	EXPECT_LE(b[VISITS - 1].scanned - b0.scanned, 33 * 16);
	/* KNUMAD_ASLEEP_PASSES (64) apart, some of them dozed through */
	EXPECT_GE(gap, 48);
	EXPECT_EQ(0, s1.scanned);
}

/* Touch @len bytes, then write them over and over for @secs seconds. */
static void run_for(unsigned long len, double secs)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t0 = now_s();

	if (p == MAP_FAILED)
		_exit(1);
	madvise(p, len, MADV_NOHUGEPAGE);
	while (now_s() - t0 < secs)
		touch(p, len);
	_exit(0);
}

/*
 * A machine where nothing runs lets the knumad thread doze: after a pass
 * that found every process asleep it sleeps through up to 7 passes
 * (counted in quiet_scans) instead of waking every period to visit each
 * process - 1 GiB and 100 small processes asleep cost it 0.8-1.2 ms of
 * CPU a second before, under TCG, most of it the wakeups.  A process
 * that starts to run ends the doze: its tick wakes the thread (through
 * an irq_work), and it is sampled at the next period, not at the end of
 * the doze.  Assumes nothing else with 2 MiB of anonymous memory runs
 * in the guest meanwhile.
 */
TEST_F_TIMEOUT(knumad, asleep_machine_lets_knumad_doze, 90)
{
	long f0, f1, q0, q1, q2;
	long long w0, w1;
	struct knumad_proc k;
	pid_t big, run;
	double t0, t = -1;

	ASSERT_GT(knumad_kthread_pid(), 0);
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "100"));
	big = fork_ready(idle_setup, 8 * MB, 0, 0);
	ASSERT_GT(big, 0);
	usleep(1500000);	/* its first pass, then passes that find it asleep */
	f0 = knumad_get("full_scans");
	q0 = knumad_get("quiet_scans");
	knumad_thread_sched(NULL, &w0);
	usleep(4000000);
	f1 = knumad_get("full_scans");
	q1 = knumad_get("quiet_scans");
	knumad_thread_sched(NULL, &w1);
	TH_LOG("asleep, 4 s of 100-ms periods: %ld passes, %ld slept through; the thread woke %lld times",
	       f1 - f0, q1 - q0, w1 - w0);
	ASSERT_GE(q0, 0);
	ASSERT_GE(w0, 0);
	/* 40 periods: most slept through, few wakeups */
	EXPECT_GE(q1 - q0, 20);
	EXPECT_LE(f1 - f0, 20);
	EXPECT_LE(w1 - w0, 20);

	/*
	 * 0.5-s periods: a new doze lasts 4 s.  A process that starts 1.5 s
	 * into it is sampled at the next period (2 s), not at its end.
	 */
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "500"));
	usleep(200000);		/* the write ended the last doze: counted */
	q1 = knumad_get("quiet_scans");
	usleep(1300000);
	run = fork();
	if (!run)
		run_for(8 * MB, 6);
	ASSERT_GT(run, 0);
	t0 = now_s();
	while (now_s() - t0 < 6) {
		if (!knumad_proc(run, &k) && k.scanned > 0) {
			t = now_s() - t0;
			break;
		}
		usleep(20000);
	}
	kill(run, SIGKILL);
	kill(big, SIGKILL);
	waitpid(run, NULL, 0);
	waitpid(big, NULL, 0);
	q2 = knumad_get("quiet_scans");
	TH_LOG("a process that started to run was first sampled %.2f s later; %ld 500-ms passes slept through before",
	       t, q2 - q1);
	EXPECT_GE(t, 0);
	EXPECT_LT(t, 1.5);
	/* it started during a doze: else this tells nothing */
	EXPECT_GE(q2 - q1, 1);
}

#define TEARDOWN_ROUNDS	12

/*
 * A process's first look (KNUMAD_LOOK_SHIFT): its groups are decided from
 * the faults its first samples took a quarter of a scan period after its
 * first pass, not at its second pass a period later.  Periods of 4 s; a
 * thread on the far node writes 32 MiB first touched on node 0: its
 * implicit group comes 1 s after the first pass that armed its memory,
 * 4 s after it before (at the next pass).
 */
TEST_F_TIMEOUT(knumad, first_look_comes_before_second_pass, 120)
{
	static char after_pass[4096], at_look[4096];
	unsigned long len = 32 * MB;
	int i, id = 0, home = -1, members = 0, sampled = 0;
	volatile int stop = 0;
	struct hammer h;
	double t1, t = -1;
	long f0, f1, f = -1;
	char *buf;

	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "4000"));
	/* after a pass: this process's memory is new to the next one */
	f0 = knumad_get("full_scans");
	ASSERT_TRUE(wait_scans(f0, 1, 20));
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);	/* on node 0: the fixture pinned us there */
	ASSERT_EQ(0, unpin());	/* the main thread only watches */
	hammer_start(&h, buf, len, self->far, &stop);
	f0 = knumad_get("full_scans");
	ASSERT_TRUE(wait_scans(f0, 1, 40));
	t1 = now_s();
	f1 = knumad_get("full_scans");
	/* what knumad knew after the pass, and when the look was due */
	slurp("/proc/self/memsched", after_pass, sizeof(after_pass));
	while (now_s() - t1 < 12) {
		id = implicit_group(&home, &members);
		if (id) {
			t = now_s() - t1;
			f = knumad_get("full_scans");
			break;
		}
		if (!at_look[0] && now_s() - t1 >= 1.5)
			slurp("/proc/self/memsched", at_look, sizeof(at_look));
		usleep(100000);
	}
	stop = 1;
	pthread_join(h.thread, NULL);
	TH_LOG("implicit group %d home %d %.2f s after the first pass, %ld passes later",
	       id, home, t, f - f1);
	if (t < 0 || t >= 3) {
		TH_LOG("after the pass (%ld): %s", f1, after_pass);
		TH_LOG("1.5 s later: %s", at_look);
	}
	ASSERT_GT(id, 0);
	EXPECT_EQ(self->far, home);
	/* before the next pass (4 s), not with it */
	EXPECT_LT(t, 3);
	EXPECT_EQ(f, f1);
	munmap(buf, len);

	/*
	 * Processes that exit while their look waits: a 100-ms look after
	 * 400-ms periods, each killed right after its first pass sampled
	 * it.  The exit takes the slot off the list of looks: a look that
	 * used it freed would be a KASAN report, which fails the run (make
	 * test's kernels have KASAN and kmemleak).
	 */
	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "400"));
	for (i = 0; i < 20; i++) {
		struct knumad_proc k = { .scanned = -1 };
		int fds[2];
		pid_t child;
		char c;

		ASSERT_EQ(0, pipe(fds));
		child = fork();
		if (!child) {
			char *p = map_aligned(4 * MB, 0);

			if (!p)
				_exit(1);
			touch(p, 4 * MB);
			if (write(fds[1], "r", 1) != 1)
				_exit(1);
			for (;;)
				touch(p, 4 * MB);
		}
		ASSERT_GT(child, 0);
		close(fds[1]);
		ASSERT_EQ(1, read(fds[0], &c, 1));
		close(fds[0]);
		/* its memory is there: the next pass is its first with it */
		f0 = knumad_get("full_scans");
		EXPECT_TRUE(wait_scans(f0, 1, 10));
		knumad_proc(child, &k);
		kill(child, SIGKILL);
		ASSERT_EQ(child, waitpid(child, NULL, 0));
		if (k.scanned > 0)
			sampled++;
	}
	usleep(500000);		/* the looks that were due */
	TH_LOG("%d of 20 processes killed just after a pass that sampled them",
	       sampled);
	EXPECT_GE(sampled, 10);
}

/*
 * Wait, until @secs after @t1, for a tenth of [@addr, @addr + @len) to be
 * on node @nid.  Returns when it was, in seconds after @t1 (-1: not in
 * time), with full_scans then in @f and the last share seen in @s; what
 * knumad did for this process meanwhile (scanned/hint faults/migrated at
 * each change) goes into @hist, for a failure's log.
 */
static double wait_tenth_on(char *addr, unsigned long len, int nid,
			    double t1, double secs, long *f, double *s,
			    char *hist, size_t size)
{
	struct knumad_proc k = { .scanned = -1 }, k2;
	size_t n = 0;

	hist[0] = 0;
	while (now_s() - t1 < secs) {
		*s = share_on_sampled(addr, len, nid);
		if (*s >= 0.1) {
			*f = knumad_get("full_scans");
			return now_s() - t1;
		}
		k2.scanned = -1;
		if (!knumad_proc(getpid(), &k2) &&
		    (k2.scanned != k.scanned || k2.faults != k.faults) &&
		    n < size - 80) {
			n += snprintf(hist + n, size - n, " %.2f:%ld/%ld/%ld",
				      now_s() - t1, k2.scanned, k2.faults,
				      k2.migrated);
			k = k2;
		}
		usleep(50000);
	}
	return -1;
}

/*
 * What wait_tenth_on() saw (@hist) and this process's knumad state, if
 * @t missed @limit.
 */
static void log_wait(struct __test_metadata *_metadata, double t,
		     double limit, const char *hist)
{
	if (t >= 0 && t < limit)
		return;
	TH_LOG("s after the pass: scanned/hint faults/migrated:%s", hist);
	dump_memsched(_metadata, getpid());
}

/*
 * What late_hammer_fn() did before it moved: its CPU time on node 0, and
 * how long after late_t0 (just before pthread_create()) it moved.
 */
static double late_t0, late_cpu, late_moved;

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A hammer that first runs on node 0 (its affinity, from its creator) for
 * 12 ms of CPU time - three ticks at HZ=250 - or 40 ms at most, then sets
 * its own affinity to the far node and writes its memory there
 * (hammer_fn()).  The kernel counts a thread young for 100 ms after it
 * was made.
 */
static void *late_hammer_fn(void *arg)
{
	double t0 = now_s();

	while (thread_cpu_s() < 0.012 && now_s() - t0 < 0.04)
		;
	late_cpu = thread_cpu_s();
	late_moved = now_s() - late_t0;
	return hammer_fn(arg);
}

/*
 * Pages of @pid armed by passes out of turn (scanned_early) since @k was
 * read, until the regular pass after the one full_scans read @f at
 * completes, or @secs after @t0; when the last of them came, in seconds
 * after @t0, in @te (left as it was if none did).  The last read comes
 * after the loop's end was seen.
 */
static long early_until_pass(pid_t pid, const struct knumad_proc *k, long f,
			     double t0, double secs, double *te)
{
	struct knumad_proc k2;
	long early = 0;
	bool done;

	do {
		done = now_s() - t0 >= secs || knumad_get("full_scans") != f;
		if (!knumad_proc(pid, &k2) && k2.early - k->early > early) {
			early = k2.early - k->early;
			*te = now_s() - t0;
		}
		if (!done)
			usleep(50000);
	} while (!done);
	return early;
}

/*
 * The body of the new_thread_far tests.  Periods of 4 s.  The process is
 * sampled while it runs on node 0 only, and the main thread takes those
 * samples itself (local: the regions settle); then a new thread writes
 * the memory from the far node: made with the far node's affinity, or
 * (@late) first running 12 ms of CPU time on node 0 and then setting its
 * affinity to the far node itself.  Its first ticks there ask for a pass
 * out of turn that samples the settled regions again, a step or two later -
 * before the next regular pass (scanned_early: at least half of the 256
 * pages a pass samples of the 32 MiB).  The memory then moves within two
 * passes (those samples contest regions another thread had on another
 * node).  The main thread stays on node 0: a change of node of its own
 * would have its regions - all of them - sampled again too.  258 pages
 * 1.02-1.07 s after the pass in 5 runs of each test; the memory there
 * 8.24-8.30 s after it in 8, 4.05-4.06 s in 2.  Only the pages sampled
 * out of turn tell the fixes from their absence: a process whose ask was
 * dropped had its memory move two passes later too (9.3-9.4 s).
 */
static void new_thread_far(struct __test_metadata *_metadata, int far,
			   bool late)
{
	unsigned long len = 32 * MB;
	struct knumad_proc k = { .scanned = -1 };
	static char hist[1024];
	volatile int stop = 0;
	double t1, t = -1, te = -1, s = 0;
	long f0, f1, f = -1, early = 0;
	struct hammer h;
	pthread_attr_t attr;
	cpu_set_t cpus;
	char *buf;

	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "4000"));
	f0 = knumad_get("full_scans");
	ASSERT_TRUE(wait_scans(f0, 1, 20));
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);	/* on node 0: the fixture pinned us there */
	/* the next pass samples it: it ran since the last */
	f0 = knumad_get("full_scans");
	ASSERT_TRUE(wait_scans(f0, 1, 10));
	t1 = now_s();
	f1 = knumad_get("full_scans");
	ASSERT_EQ(0, knumad_proc(getpid(), &k));
	ASSERT_GT(k.scanned, 0);
	if (k.early < 0)
		SKIP(goto out, "no scanned_early in /proc/PID/memsched");
	touch(buf, len);	/* its samples, taken on node 0 */
	h = (struct hammer){ .addr = buf, .len = len, .nid = far,
			     .stop = &stop };
	ASSERT_EQ(0, node_cpus(late ? 0 : far, &cpus));
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus));
	late_t0 = now_s();
	ASSERT_EQ(0, pthread_create(&h.thread, &attr,
				    late ? late_hammer_fn : hammer_fn, &h));
	pthread_attr_destroy(&attr);
	/* armed out of turn, until the next regular pass completes */
	early = early_until_pass(getpid(), &k, f1, t1, 6, &te);
	t = wait_tenth_on(buf, len, far, t1, 14, &f, &s, hist, sizeof(hist));
	stop = 1;
	pthread_join(h.thread, NULL);
	if (late)
		TH_LOG("the new thread ran %.1f ms on node 0, moved %.1f ms after it was made",
		       late_cpu * 1e3, late_moved * 1e3);
	TH_LOG("%ld pages sampled out of turn %.2f s after the pass, before the next",
	       early, te);
	TH_LOG("a tenth of the memory on the far node %.2f s after the pass (%ld passes later; %.2f there at the end)",
	       t, f - f1, s);
	/* not what the test is about: no tick on node 0, or no longer young */
	if (late && (late_cpu < 0.008 || late_moved > 0.06))
		SKIP(goto out, "the new thread did not run 8 ms on node 0 within 60 ms");
	log_wait(_metadata, t, 9.5, hist);
	EXPECT_GE(early, 128);
	ASSERT_GE(t, 0);
	EXPECT_LE(f - f1, 2);
out:
	munmap(buf, len);
}

/*
 * A new thread that runs where few of its process's samples were taken
 * has the process's settled regions sampled again at a pass out of turn:
 * what it uses is not known, and the memory may have settled as another
 * thread's (sampled every 2^settled periods).  Before the fix nothing
 * moved in 10 s (3 runs): the settled regions waited, and the process
 * backed off.  At 4b64676 (the pass out of turn, made by a new thread's
 * first tick only, a step before the next pass only), with this test's
 * first draft (the main thread unpinned; all armed pages counted), 0, 258
 * and 0 pages were sampled early and the memory moved 8.29 s after in
 * the second run, nothing in 14 s in the others (3 runs).
 */
TEST_F_TIMEOUT(knumad, new_thread_far_from_the_samples_resamples, 120)
{
	new_thread_far(_metadata, self->far, false);
}

/*
 * The same for a new thread whose affinity is set after it ran: glibc's
 * pthread_create() with an affinity attribute sets it after clone(), and
 * the new thread's first tick can come on its creator's node (make
 * test's CI caught the test above so: nothing sampled early, 9.38 s).
 * Here the thread runs 12 ms of CPU time on node 0 first.  Before the fix (a
 * thread's first tick only was new; a change of node after it resampled
 * the thread's own regions) 2, 0 and 2 pages were sampled early, and
 * nothing moved in 14 s (3 runs, the test's first draft).
 */
TEST_F_TIMEOUT(knumad, new_thread_moved_at_once_resamples, 120)
{
	new_thread_far(_metadata, self->far, true);
}

/*
 * A thread that changes node asks for a pass out of turn over its
 * process: its memory, settled where it ran, is sampled from its new
 * node a step (a quarter period) later - the first of the two visits
 * knumad_region_follow() wants - so it follows with the next pass, not
 * the one after.  Periods of 4 s: a thread writes 32 MiB on node 0
 * through two passes, then, right after a pass, moves to the far node
 * (its affinity).  Before the fix its memory moved 8.28 s after that
 * pass (two passes later).
 */
TEST_F_TIMEOUT(knumad, thread_that_changes_node_is_resampled_early, 120)
{
	struct mover m = { .len = 32 * MB, .nid = 0 };
	struct knumad_proc k = { .scanned = -1 };
	static char hist[1024];
	volatile int stop = 0;
	double t1, t = -1, s = 0;
	long f0, f1, f = -1;

	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "4000"));
	m.addr = map_aligned(m.len, 0);
	ASSERT_NE(NULL, m.addr);
	touch(m.addr, m.len);	/* on node 0: the fixture pinned us there */
	ASSERT_EQ(0, unpin());	/* the main thread only watches */
	m.stop = &stop;
	ASSERT_EQ(0, pthread_create(&m.thread, NULL, mover_fn, &m));
	/* two passes sample it where it runs, with its memory */
	f0 = knumad_get("full_scans");
	ASSERT_TRUE(wait_scans(f0, 2, 20));
	ASSERT_EQ(0, knumad_proc(getpid(), &k));
	ASSERT_GT(k.scanned, 0);
	EXPECT_LT(share_on(m.addr, m.len, self->far), 0.1);
	/* right after a pass: the next is 4 s away */
	f0 = knumad_get("full_scans");
	ASSERT_TRUE(wait_scans(f0, 1, 10));
	t1 = now_s();
	f1 = knumad_get("full_scans");
	m.nid = self->far;
	t = wait_tenth_on(m.addr, m.len, self->far, t1, 10, &f, &s, hist,
			  sizeof(hist));
	stop = 1;
	pthread_join(m.thread, NULL);
	TH_LOG("a tenth of the memory on the far node %.2f s after the pass the thread moved after (%ld passes later; %.2f there at the end)",
	       t, f - f1, s);
	log_wait(_metadata, t, 7, hist);
	ASSERT_GE(t, 0);
	/* with the next pass (4 s after the last), not the one after */
	EXPECT_LT(t, 7);
	EXPECT_LE(f - f1, 1);
	munmap(m.addr, m.len);
}

/*
 * An ask made as a doze ends is served: a process sampled on node 0 goes
 * to sleep, the knumad thread dozes (every process asleep), and the
 * process wakes 1.25 periods into the doze with its thread moved to the
 * far node.  The move asks for a pass out of turn (knumad_ask()), due a
 * step later, before the next regular pass.  Before the fix the doze's
 * end left knumad_scan.pass_at at the pass before it, a period and more
 * back, so the ask looked too late for a pass out of turn and was
 * dropped: the next regular pass sampled the memory (0 pages out of
 * turn).  Periods of 4 s.  Skips if the thread does not doze (something
 * else with 2 MiB of anonymous memory ran): asleep_machine_lets_knumad_doze
 * tests that it does.
 */
TEST_F_TIMEOUT(knumad, ask_as_a_doze_ends_is_served, 120)
{
	struct knumad_proc k = { .scanned = -1 };
	unsigned long len = 32 * MB;
	double t0, tl, tw, te = -1;
	long f, f2, q0, q1, early = 0;
	volatile int *stop;
	int fds[2], passes = 0;
	pid_t child;
	char *buf;

	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "4000"));
	/* the child's memory: the parent maps it and touches none */
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	stop = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, stop);
	*stop = 0;
	ASSERT_EQ(0, pipe(fds));
	child = fork();
	if (!child) {
		char c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		close(fds[1]);
		/* on node 0: the fixture pinned the parent there */
		while (!*stop)
			touch(buf, len);
		/* asleep, no tick, until the parent writes */
		if (read(fds[0], &c, 1) != 1 || pin_to_node(self->far))
			_exit(1);
		for (;;)
			touch(buf, len);
	}
	close(fds[0]);
	ASSERT_GT(child, 0);
	/* a pass samples it on node 0, and its samples fault there */
	t0 = now_s();
	while ((knumad_proc(child, &k) || k.scanned <= 0) && now_s() - t0 < 12)
		usleep(50000);
	EXPECT_GT(k.scanned, 0)
		goto out;
	if (k.early < 0)
		SKIP(goto out, "no scanned_early in /proc/PID/memsched");
	usleep(500000);
	*stop = 1;
	/*
	 * The pass after that finds it ran, the next finds it asleep and
	 * the thread dozes: no pass for 1.25 periods.
	 */
	f = knumad_get("full_scans");
	t0 = now_s();
	tl = t0;
	while (now_s() - tl < 5 && now_s() - t0 < 30) {
		f2 = knumad_get("full_scans");
		if (f2 != f) {
			f = f2;
			tl = now_s();
			passes++;
		}
		usleep(20000);
	}
	/* it wakes during a doze: else this tells nothing */
	if (!passes || now_s() - tl < 5)
		SKIP(goto out, "knumad did not doze: %d passes in 30 s after the process slept",
		     passes);
	q0 = knumad_get("quiet_scans");
	EXPECT_EQ(0, knumad_proc(child, &k))
		goto out;
	tw = now_s();
	EXPECT_EQ(1, write(fds[1], "w", 1))
		goto out;
	/* armed out of turn until the next regular pass completes */
	early = early_until_pass(child, &k, f, tw, 6, &te);
	q1 = knumad_get("quiet_scans");
	TH_LOG("%d passes after it slept; it woke %.2f s after the last, and %ld pages were sampled out of turn %.2f s later (%ld passes slept through)",
	       passes, tw - tl, early, te, q1 - q0);
	/* the doze ended as it woke, a period or more after it began */
	EXPECT_GE(q1 - q0, 1);
	EXPECT_GE(early, 128);
out:
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fds[1]);
	munmap((void *)stop, page_size());
	munmap(buf, len);
}

/*
 * A thread first seen at the first look, busy over its life so far,
 * has no verdict until its window ends (a second): the look waits for
 * it, before the next pass, and does not leave the process's group to
 * that pass.  first_look_comes_before_second_pass failed that way in 3
 * make test runs of 2026-12-04 (group 3.95-4.09 s after the pass
 * instead of ~1.06): its main thread, which had first-touched the
 * memory, took its first sample after the census at the pass's end.
 * Made certain here: the main thread spins 2 s (a busy life), sleeps
 * through the pass in a read() a watcher process ends once full_scans
 * moved, then writes memory of its own that the pass armed: its first
 * sample comes after the pass, before the look.  Before the fix the
 * group came with the second pass, 4 s later.
 */
TEST_F_TIMEOUT(knumad, look_waits_for_a_thread_first_seen_late, 120)
{
	unsigned long len = 32 * MB, own_len = 2 * MB;
	int id = 0, home = -1, members = 0, fds[2];
	static char at_pass[4096], later[4096];
	volatile int stop = 0;
	struct hammer h;
	double t1, t0, t = -1, on0;
	long f0, f1, f = -1;
	char *buf, *own, c;
	pid_t watcher;

	ASSERT_EQ(0, knumad_set("scan_sleep_millisecs", "4000"));
	f0 = knumad_get("full_scans");
	ASSERT_TRUE(wait_scans(f0, 1, 20));
	buf = map_aligned(len, 0);
	own = map_aligned(own_len, 0);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, own);
	touch(buf, len);	/* on node 0: the fixture pinned us there */
	touch(own, own_len);
	/*
	 * With the hammer: busy threads on two nodes that share no memory
	 * get no home while the CPUs there are held (knumad_implicit_pick())
	 * - not what this test checks.  Its one failure (make test of
	 * 2026-12-05: the group at the next pass; the main thread judged
	 * busy, where it ran not on record) was most likely that.
	 */
	ASSERT_EQ(0, pin_to_node(self->far));
	hammer_start(&h, buf, len, self->far, &stop);
	/* a busy life: more than 1/8 of it on a CPU at the look */
	for (t0 = now_s(); now_s() - t0 < 2;)
		;
	ASSERT_EQ(0, pipe(fds));
	f0 = knumad_get("full_scans");
	watcher = fork();
	ASSERT_GE(watcher, 0);
	if (!watcher) {
		close(fds[0]);
		_exit(!wait_scans(f0, 1, 40) || write(fds[1], "p", 1) != 1);
	}
	close(fds[1]);
	/* asleep through the pass: no sample of ours before it ends */
	ASSERT_EQ(1, read(fds[0], &c, 1));
	touch(own, own_len);	/* its first samples: after the pass */
	t1 = now_s();
	close(fds[0]);
	ASSERT_EQ(watcher, waitpid(watcher, NULL, 0));
	f1 = knumad_get("full_scans");
	on0 = share_on(buf, len, 0);
	slurp("/proc/self/memsched", at_pass, sizeof(at_pass));
	while (now_s() - t1 < 8) {
		id = implicit_group(&home, &members);
		if (id) {
			t = now_s() - t1;
			f = knumad_get("full_scans");
			break;
		}
		if (!later[0] && now_s() - t1 >= 1.5)
			slurp("/proc/self/memsched", later, sizeof(later));
		usleep(100000);
	}
	stop = 1;
	pthread_join(h.thread, NULL);
	TH_LOG("implicit group %d home %d %.2f s after the pass, %ld passes later; %.1f%% on node 0 at the pass",
	       id, home, t, f - f1, on0 * 100);
	if (t < 0 || t >= 3) {
		TH_LOG("after the pass (%ld): %s", f1, at_pass);
		TH_LOG("1.5 s later: %s", later);
	}
	ASSERT_GT(id, 0);
	EXPECT_EQ(self->far, home);
	/* the look a second after the thread was first seen, not the pass */
	EXPECT_LT(t, 3);
	EXPECT_EQ(f, f1);
	munmap(buf, len);
	munmap(own, own_len);
}

/*
 * A process that exits while knumad works on it is torn down by its own
 * exit, not by knumad.  knumad drops the reference it holds during its
 * work with mmput_async(), as MGLRU's page-table walker does
 * (mm/vmscan.c): with mmput(), when the process exited meanwhile, knumad
 * freed the whole address space itself, however large, and every other
 * process waited for it.  Seen through kmem:rss_stat, which the teardown
 * fires as it unmaps (knumad's own work - arming, migrating - changes no
 * RSS counter): none may come from the knumad thread.  A sparse process
 * keeps knumad busy on it; it is killed at a random moment once knumad
 * has scanned it, TEARDOWN_ROUNDS times.  Before the fix, knumad did the
 * teardown in the third round (1,026 events) of the one run measured.
 * The trace is checked first on this process's own faults: a trace
 * that shows nothing must not pass the test.
 */
TEST_F_TIMEOUT(knumad, exit_teardown_not_in_knumad, 240)
{
	char tpath[256], filter[64], first[512] = "";
	int kpid = knumad_kthread_pid(), round, hits = 0, scanned = 0;
	struct knumad_proc k;
	double t0;
	pid_t child;
	char *own;

	ASSERT_GT(kpid, 0);
	ASSERT_NE(NULL, tracefs());
	snprintf(tpath, sizeof(tpath), "%s/trace", tracefs());
	/* the trace works: this process's own page faults show in it */
	ASSERT_EQ(0, truncate_file(tpath));
	snprintf(filter, sizeof(filter), "common_pid == %d", getpid());
	ASSERT_EQ(0, rss_stat_trace(filter));
	own = map_aligned(2 * MB, 0);
	ASSERT_NE(NULL, own);
	touch(own, 2 * MB);
	ASSERT_GT(trace_count("rss_stat:", NULL, NULL, 0), 0);
	munmap(own, 2 * MB);
	/* now only knumad's */
	ASSERT_EQ(0, rss_stat_trace(NULL));
	ASSERT_EQ(0, truncate_file(tpath));
	snprintf(filter, sizeof(filter), "common_pid == %d", kpid);
	ASSERT_EQ(0, rss_stat_trace(filter));
	srand(getpid());
	for (round = 0; round < TEARDOWN_ROUNDS && !hits; round++) {
		/* 256 GiB of address space, a page every 256 MiB */
		child = fork_sparse(256UL << 30, 1024);
		ASSERT_GT(child, 0);
		/* knumad has made a pass over it */
		for (t0 = now_s(); now_s() - t0 < 30; usleep(20000))
			if (!knumad_proc(child, &k) && k.scan_ns > 0) {
				scanned++;
				break;
			}
		usleep(rand() % 200000);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		usleep(200000);	/* an mmput_async() runs in a worker */
		hits = trace_count("rss_stat:", NULL, first, sizeof(first));
	}
	rss_stat_trace(NULL);
	TH_LOG("%d of %d rounds (knumad had scanned the process in %d): %d rss_stat events from knumad (pid %d)%s%s",
	       round, TEARDOWN_ROUNDS, scanned, hits, kpid,
	       hits ? "; first: " : "", first);
	EXPECT_EQ(round, scanned);
	EXPECT_EQ(0, hits);
}

/*
 * A process that opts out while knumad is still moving its memory (the
 * rate limit at 1 MiB/s keeps marked regions waiting): what was marked
 * stays where it is.  The batch in flight may finish: at most 2% of the
 * buffer moves in the 10 s after a 1 s grace; before the fix the marked
 * regions went on moving at the rate limit (up to 15% in 10 s).
 */
TEST_F_TIMEOUT(knumad, opt_out_stops_moves, 120)
{
	unsigned long len = 64 * MB;
	volatile int stop = 0;
	struct hammer h[2];
	double t0, s0 = 0, s1, s2;
	char *buf;
	int i;

	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "1"));
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	ASSERT_GE(share_on(buf, len, 0), 0.95);
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, self->far, &stop);
	t0 = now_s();
	while (now_s() - t0 < 60) {
		s0 = share_on(buf, len, self->far);
		if (s0 >= 0.01)
			break;
		usleep(100000);
	}
	ASSERT_EQ(0, prctl(PR_SET_NUMA_BALANCING_DISABLE, 1, 0, 0, 0));
	sleep(1);
	s1 = share_on(buf, len, self->far);
	sleep(10);
	s2 = share_on(buf, len, self->far);
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	TH_LOG("on node %d: %.1f%% when opting out after %.1f s, %.1f%% 1 s later, %.1f%% 10 s after that",
	       self->far, s0 * 100, now_s() - t0 - 11, s1 * 100, s2 * 100);
	ASSERT_GE(s0, 0.01);
	ASSERT_LT(s1, 0.5);
	EXPECT_LT(s2 - s1, 0.02);
	munmap(buf, len);
}

/*
 * The rate limit binds every mover together - the faulting threads' task
 * work and the knumad thread - and a low rate still moves: at 1 MiB/s
 * (256 pages a second, a quarter of a page per millisecond, taken by
 * movers a jiffy apart or less), two threads on the far node using 16 MiB
 * get at most the second's worth the bucket held plus 6 s of the rate
 * moved in 6 s (7 MiB, 1,792 pages; 2,048 allowed), and at least 2 MiB.
 */
TEST_F_TIMEOUT(knumad, rate_limit_binds_every_mover, 90)
{
	unsigned long len = 16 * MB;
	struct knumad_proc k0, k1;
	volatile int stop = 0;
	struct hammer h[2];
	long moved;
	double t;
	char *buf;
	int i;

	ASSERT_EQ(0, knumad_set("migrate_rate_limit_mbps", "1"));
	buf = map_aligned(len, 0);
	ASSERT_NE(NULL, buf);
	touch(buf, len);
	ASSERT_GE(share_on(buf, len, 0), 0.95);
	ASSERT_EQ(0, knumad_proc(0, &k0));
	t = now_s();
	for (i = 0; i < 2; i++)
		hammer_start(&h[i], buf, len, self->far, &stop);
	while (now_s() - t < 6)
		usleep(100000);
	ASSERT_EQ(0, knumad_proc(0, &k1));
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(h[i].thread, NULL);
	moved = k1.migrated - k0.migrated;
	TH_LOG("at 1 MiB/s: %ld pages moved in %.1f s (%.1f%% of the buffer on node %d), %.2f s of it by the threads, %.2f s by the knumad thread",
	       moved, now_s() - t, share_on(buf, len, self->far) * 100,
	       self->far, (k1.task_ns - k0.task_ns) / 1e9,
	       (k1.migrate_ns - k0.migrate_ns) / 1e9);
	EXPECT_LE(moved, 2048);
	EXPECT_GE(moved, 512);
	munmap(buf, len);
}

TEST_HARNESS_MAIN
