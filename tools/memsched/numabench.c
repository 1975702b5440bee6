// SPDX-License-Identifier: GPL-2.0
/*
 * numabench: the workloads of `make bench`, and what they measure.
 *
 *   numabench -w WORKLOAD [-M MODE] [-s SECONDS] [-m MIB] [--thp]
 *             [--period MS] [--label TEXT] [-- COMMAND...]
 *
 * WORKLOAD (the ideas are the usual NUMA-balancing benchmarks'; the code
 * is ours):
 *   misplaced  one process, MIB first touched on node 0, used by two
 *              threads pinned to the last node (memory must follow).
 *   numa02     one process, one thread per CPU, each on a private slice
 *              of MIB; the main thread first touches all of it on node 0.
 *   numa01t    two processes of CPUs/2 threads; every thread allocates and
 *              first touches its own slice of MIB (numa01 THREAD_ALLOC).
 *   shared     two processes of CPUs/2 threads; all threads of a process
 *              write the whole of its MIB buffer (numa01): the adverse
 *              case, where moving much is wrong.
 *   vnuma      a QEMU-like guest: one virtual node per host node, its
 *              vCPU threads (CPUs/nodes) on its slice of MIB of guest RAM,
 *              all first touched on node 0 before the vCPUs start.
 *   idle       a process with MIB resident and never touched again, and
 *              100 small processes that wake every 100 ms: the cost of
 *              the balancers when nothing needs to move.
 *   cmd        run COMMAND as the workload (perf bench numa mem).
 *
 * MODE is what this process does itself; the system-wide side of a mode
 * (knumad, kernel.numa_balancing, numad) is set by the caller.
 *   auto       nothing (none, mainline, numad and knumad modes)
 *   hardbind   each thread pinned to its node's CPUs and its memory bound
 *              there (mbind MPOL_BIND) before the first touch: the ideal.
 *   memsched   one memsched group per node (numa02, vnuma): threads join
 *              with ms_tbind, memory is bound with ms_mbind after the first
 *              touch; the kernel picks the homes and moves the pages.
 *
 * Every PERIOD ms (default 500) a sampler asks move_pages(2) where up to
 * 512 pages of every region are, and counts a page as local when it is on
 * the node of the thread that uses it (for a region used by several
 * threads, the node most of them run on).  One "json" line at the end
 * holds every sample and the counters; scripts/bench-report.py reads it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/memsched.h>

#ifndef __NR_ms_tbind
#define __NR_ms_tbind 600
#define __NR_ms_mbind 601
#endif
#define MB (1024UL * 1024)
#define MAX_THR 64
#define MAX_REG 64
#define MAX_NODES 16
#define MAX_SAMPLES 4096
#define SAMPLE_PAGES 512
#define MPOL_BIND_ 2

struct thr {
	int proc;		/* index of its process */
	int reg;		/* region it works on */
	int node;		/* hardbind node / memsched group index */
	volatile int cpu;	/* where it last ran */
	volatile int tid;	/* for NUMABENCH_TRACE */
	volatile unsigned long ops;	/* pages written */
	long near, seen;	/* sampler: ran on its memory's node */
};

struct reg {
	pid_t pid;		/* process that maps it */
	unsigned long addr, len;
	volatile int ready;
};

struct ctl {
	volatile int go, stop, ready, failed;
	int nthr, nreg, nproc;
	struct thr t[MAX_THR];
	struct reg r[MAX_REG];
};

enum { W_MISPLACED, W_NUMA02, W_NUMA01T, W_SHARED, W_VNUMA, W_IDLE, W_CMD };
static const char *const wnames[] = {
	"misplaced", "numa02", "numa01t", "shared", "vnuma", "idle", "cmd",
};
enum { M_AUTO, M_HARDBIND, M_MEMSCHED };
static const char *const mnames[] = { "auto", "hardbind", "memsched" };

static struct ctl *ctl;
static int workload = -1, mode = M_AUTO, thp, seconds = 10, period_ms = 250;
static unsigned long mib = 320;
static int nnodes, ncpus;
static long pagesz;
static int node_of_cpu[1024];
static cpu_set_t node_cpus[MAX_NODES];
static long groups[MAX_NODES];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	if (ctl)
		ctl->failed = 1;
	exit(1);
}

static void read_topology(void)
{
	char path[96], buf[512], *p, *save;
	int a, b, n;
	FILE *f;

	for (n = 0; n < MAX_NODES; n++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/cpulist", n);
		f = fopen(path, "r");
		if (!f)
			break;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
		CPU_ZERO(&node_cpus[n]);
		for (p = strtok_r(buf, ",\n", &save); p;
		     p = strtok_r(NULL, ",\n", &save)) {
			if (sscanf(p, "%d-%d", &a, &b) != 2) {
				if (sscanf(p, "%d", &a) != 1)
					continue;
				b = a;
			}
			for (; a <= b && a < 1024; a++) {
				CPU_SET(a, &node_cpus[n]);
				node_of_cpu[a] = n;
				ncpus++;
			}
		}
	}
	nnodes = n;
	if (nnodes < 1 || ncpus < 1) {
		fprintf(stderr, "numabench: no NUMA topology in sysfs\n");
		exit(2);
	}
}

static void pin_node(int nid)
{
	if (sched_setaffinity(0, sizeof(cpu_set_t), &node_cpus[nid]))
		die("sched_setaffinity");
}

static void unpin(void)
{
	cpu_set_t all;
	int n, c;

	CPU_ZERO(&all);
	for (n = 0; n < nnodes; n++)
		for (c = 0; c < 1024; c++)
			if (CPU_ISSET(c, &node_cpus[n]))
				CPU_SET(c, &all);
	sched_setaffinity(0, sizeof(all), &all);
}

static void bind_mem(void *addr, unsigned long len, int nid)
{
	unsigned long mask = 1UL << nid;

	if (syscall(__NR_mbind, addr, len, MPOL_BIND_, &mask, 64, 0))
		die("mbind");
}

static void *map_region(unsigned long len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return p;
}

static void touch(void *addr, unsigned long len)
{
	unsigned long off;

	for (off = 0; off < len; off += pagesz)
		((volatile char *)addr)[off] = 1;
}

static void *worker(void *arg)
{
	struct thr *t = arg;
	struct reg *r = &ctl->r[t->reg];
	unsigned long off = 0, n = 0;

	if (mode == M_HARDBIND || workload == W_MISPLACED)
		pin_node(t->node);
	if (mode == M_MEMSCHED &&
	    syscall(__NR_ms_tbind, 0, groups[t->node], 0) < 0)
		die("ms_tbind");
	if (workload == W_NUMA01T) {
		/* THREAD_ALLOC: the thread allocates its own slice */
		void *p = map_region(r->len);

		if (mode == M_HARDBIND)
			bind_mem(p, r->len, t->node);
		touch(p, r->len);
		r->addr = (unsigned long)p;
		r->pid = getpid();
		__sync_synchronize();
		r->ready = 1;
	}
	t->cpu = sched_getcpu();
	t->tid = syscall(SYS_gettid);
	__sync_fetch_and_add(&ctl->ready, 1);
	while (!ctl->go)
		usleep(1000);
	while (!ctl->stop) {
		((volatile char *)r->addr)[off] += 1;
		off += pagesz;
		if (off >= r->len)
			off = 0;
		if (!(++n & 63)) {
			t->ops += 64;
			t->cpu = sched_getcpu();
		}
	}
	return NULL;
}

/* One process of the workload: its regions, then its threads. */
static void run_proc(int p)
{
	pthread_t th[MAX_THR];
	int i, r, nth = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (r = 0; r < ctl->nreg; r++) {
		struct reg *rg = &ctl->r[r];
		int nid = 0;
		void *addr;

		if (workload == W_NUMA01T)
			continue;	/* the threads map their own */
		for (i = 0; i < ctl->nthr; i++)
			if (ctl->t[i].reg == r)
				nid = ctl->t[i].node;
		if (rg->pid != (pid_t)p)	/* pid holds the owner index */
			continue;
		addr = map_region(rg->len);
		if (mode == M_HARDBIND) {
			bind_mem(addr, rg->len, nid);
			pin_node(nid);
		} else if (workload == W_SHARED) {
			pin_node(p % nnodes);	/* each process on its node */
		} else {
			pin_node(0);		/* all first touched on node 0 */
		}
		touch(addr, rg->len);
		unpin();
		rg->addr = (unsigned long)addr;
	}
	if (mode == M_MEMSCHED) {
		/*
		 * One group per node: create it (the thread joins it), bind
		 * its regions while it has a member, then go on to the next.
		 * A group left with a bound range lives on; the workers join
		 * by id, and are created after the last group is left.
		 */
		for (i = 0; i < nnodes; i++) {
			groups[i] = syscall(__NR_ms_tbind, 0, MS_ID_NEW, 0);
			if (groups[i] < 0)
				die("ms_tbind(MS_ID_NEW)");
			for (r = 0; r < ctl->nreg; r++) {
				int j, nid = -1;

				for (j = 0; j < ctl->nthr; j++)
					if (ctl->t[j].reg == r)
						nid = ctl->t[j].node;
				if (nid == i &&
				    syscall(__NR_ms_mbind, ctl->r[r].addr,
					    ctl->r[r].len, groups[i], 0))
					die("ms_mbind");
			}
		}
		if (syscall(__NR_ms_tbind, 0, MS_ID_NONE, 0))
			die("ms_tbind(MS_ID_NONE)");
	}
	for (r = 0; r < ctl->nreg; r++)
		if (workload != W_NUMA01T && ctl->r[r].pid == (pid_t)p) {
			ctl->r[r].pid = getpid();
			__sync_synchronize();
			ctl->r[r].ready = 1;
		}
	for (i = 0; i < ctl->nthr; i++) {
		if (ctl->t[i].proc != p)
			continue;
		if (pthread_create(&th[nth++], NULL, worker, &ctl->t[i]))
			die("pthread_create");
	}
	while (nth--)
		pthread_join(th[nth], NULL);
	exit(0);
}

/* Regions and threads of each workload. */
static int setup(void)
{
	int per_proc, i, p, nr, nt = 0;

	switch (workload) {
	case W_MISPLACED:
		ctl->nproc = 1;
		ctl->nreg = 1;
		ctl->r[0].len = mib * MB;
		for (i = 0; i < 2; i++)
			ctl->t[nt++] = (struct thr){ .reg = 0, .node = nnodes - 1 };
		break;
	case W_NUMA02:
		if (ncpus > MAX_THR)
			return -1;
		ctl->nproc = 1;
		for (i = 0; i < ncpus; i++) {
			ctl->r[i].len = mib * MB / ncpus;
			ctl->t[nt++] = (struct thr){ .reg = i, .node = i % nnodes };
		}
		ctl->nreg = ncpus;
		break;
	case W_NUMA01T:
	case W_SHARED:
		ctl->nproc = 2;
		per_proc = ncpus / 2 > 0 ? ncpus / 2 : 1;
		if (2 * per_proc > MAX_THR)
			return -1;
		nr = 0;
		for (p = 0; p < 2; p++) {
			for (i = 0; i < per_proc; i++) {
				int g = p * per_proc + i;
				int node = workload == W_SHARED ? p % nnodes :
					   g % nnodes;

				if (workload == W_NUMA01T) {
					ctl->r[nr].len = mib * MB / per_proc;
					ctl->r[nr].pid = p;
					ctl->t[nt++] = (struct thr){
						.proc = p, .reg = nr++,
						.node = node };
				} else {
					ctl->t[nt++] = (struct thr){
						.proc = p, .reg = p,
						.node = node };
				}
			}
			if (workload == W_SHARED) {
				ctl->r[p].len = mib * MB;
				ctl->r[p].pid = p;
				nr++;
			}
		}
		ctl->nreg = nr;
		break;
	case W_VNUMA:
		if (ncpus > MAX_THR)
			return -1;
		ctl->nproc = 1;
		ctl->nreg = nnodes;
		for (i = 0; i < nnodes; i++)
			ctl->r[i].len = mib * MB / nnodes;
		for (i = 0; i < ncpus; i++) {
			int v = i / (ncpus / nnodes > 0 ? ncpus / nnodes : 1);

			if (v >= nnodes)
				v = nnodes - 1;
			ctl->t[nt++] = (struct thr){ .reg = v, .node = v };
		}
		break;
	default:
		return -1;
	}
	ctl->nthr = nt;
	return 0;
}

/* Node of every sampled page of region @r into @cnt; pages sampled. */
static long sample_region(struct reg *r, long *cnt)
{
	void *pages[SAMPLE_PAGES];
	int status[SAMPLE_PAGES];
	unsigned long npages = r->len / pagesz, step, i;
	long n = 0, got = 0;

	step = npages > SAMPLE_PAGES ? npages / SAMPLE_PAGES : 1;
	for (i = 0; i < npages && n < SAMPLE_PAGES; i += step)
		pages[n++] = (void *)(r->addr + i * pagesz);
	if (syscall(__NR_move_pages, r->pid, n, pages, NULL, status, 0))
		return 0;
	for (i = 0; i < (unsigned long)n; i++)
		if (status[i] >= 0 && status[i] < MAX_NODES) {
			cnt[status[i]]++;
			got++;
		}
	return got;
}

struct vm {
	long pte_updates, hint_faults, pages_migrated, pgmigrate_success;
};

static void read_vmstat(struct vm *v)
{
	char name[64];
	long val;
	FILE *f = fopen("/proc/vmstat", "r");

	memset(v, 0, sizeof(*v));
	while (f && fscanf(f, "%63s %ld", name, &val) == 2) {
		if (!strcmp(name, "numa_pte_updates"))
			v->pte_updates = val;
		else if (!strcmp(name, "numa_hint_faults"))
			v->hint_faults = val;
		else if (!strcmp(name, "numa_pages_migrated"))
			v->pages_migrated = val;
		else if (!strcmp(name, "pgmigrate_success"))
			v->pgmigrate_success = val;
	}
	if (f)
		fclose(f);
}

/* The comm, user and system ticks in /proc/.../stat at @path. */
static int read_stat(const char *path, char name[64], unsigned long *ut,
		     unsigned long *st)
{
	char buf[512], *p = NULL;
	FILE *f = fopen(path, "r");
	int ok = 0;

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		p = strrchr(buf, ')');
	if (p && sscanf(buf, "%*d (%63[^)]", name) == 1 &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   ut, st) == 2)
		ok = 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* Entries in directory @path, "." and ".." aside; -1 if unreadable. */
static int count_entries(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);
	int n = 0;

	if (!d)
		return -1;
	for (de = readdir(d); de; de = readdir(d))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/*
 * CPU seconds of every task whose comm is @comm (knumad, numad): the
 * scheduler's own runtime (/proc/PID/schedstat, nanoseconds) where the
 * kernel has it, else utime + stime, which are sampled at the tick (a
 * 10 ms unit: one tick in an 8-s window read as 1.2 ms a second).  The
 * schedstat of a process is its main thread's only: a multi-threaded
 * one is read from stat.
 */
static double comm_cpu(const char *comm)
{
	char path[300], name[64];
	unsigned long long ns;
	unsigned long ut, st;
	struct dirent *de;
	double sum = 0;
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return 0;
	for (de = readdir(d); de; de = readdir(d)) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if (read_stat(path, name, &ut, &st) || strcmp(name, comm))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", de->d_name);
		if (count_entries(path) == 1) {
			snprintf(path, sizeof(path), "/proc/%s/schedstat",
				 de->d_name);
			f = fopen(path, "r");
			if (f && fscanf(f, "%llu", &ns) == 1) {
				fclose(f);
				sum += ns / 1e9;
				continue;
			}
			if (f)
				fclose(f);
		}
		sum += (double)(ut + st) / sysconf(_SC_CLK_TCK);
	}
	closedir(d);
	return sum;
}

/* User and system seconds of process @pid and its live threads. */
static void proc_cpu(pid_t pid, double *user, double *sys)
{
	char path[64], name[64];
	unsigned long ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_stat(path, name, &ut, &st))
		return;
	*user += (double)ut / sysconf(_SC_CLK_TCK);
	*sys += (double)st / sysconf(_SC_CLK_TCK);
}

static void kids_cpu(pid_t *kids, int n, double *user, double *sys)
{
	int i;

	*user = *sys = 0;
	for (i = 0; i < n; i++)
		proc_cpu(kids[i], user, sys);
}

/* Has one of the workload processes exited (it never should by itself)? */
static int child_gone(pid_t *kids, int n)
{
	siginfo_t si;
	int i;

	for (i = 0; i < n; i++) {
		si.si_pid = 0;
		if (!waitid(P_PID, kids[i], &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid)
			return 1;
	}
	return 0;
}

/* System and softirq time of the whole machine, in seconds. */
static double machine_sys(void)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	FILE *f = fopen("/proc/stat", "r");
	double v = 0;

	if (f && fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user,
			&nice, &sys, &idle, &iowait, &irq, &softirq) == 7)
		v = (double)(sys + irq + softirq) / sysconf(_SC_CLK_TCK);
	if (f)
		fclose(f);
	return v;
}

static void idle_small(void)
{
	char *p;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	p = map_region(MB);
	touch(p, MB);
	__sync_fetch_and_add(&ctl->ready, 1);
	while (!ctl->stop) {
		p[0]++;
		usleep(100000);
	}
	exit(0);
}

static void idle_big(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	touch(map_region(mib * MB), mib * MB);
	__sync_fetch_and_add(&ctl->ready, 1);
	while (!ctl->stop)
		usleep(100000);
	exit(0);
}

/*
 * The idle workload's first seconds, reported apart: they hold knumad's
 * first look at memory just touched, which the rest of a long window
 * does not.
 */
#define IDLE_EARLY_S	8.0
struct early {
	double secs, knumad_cpu, numad_cpu;
	long hint_faults, pte_updates;
};

static void early(struct early *e, double t, struct vm *v0, double bal0,
		  double dmn0)
{
	struct vm v;

	read_vmstat(&v);
	e->knumad_cpu = comm_cpu("knumad") - bal0;
	e->numad_cpu = comm_cpu("numad") - dmn0;
	e->hint_faults = v.hint_faults - v0->hint_faults;
	e->pte_updates = v.pte_updates - v0->pte_updates;
	e->secs = t;
}

/* One locality sample at @t: into st[]/sl[], and the threads' nearness. */
static double st[MAX_SAMPLES], sl[MAX_SAMPLES];
static int ns;
static double misplaced;

static void sample(double t)
{
	long cnt[MAX_REG][MAX_NODES], got;
	int tnode[MAX_THR], r, i;
	double loc = 0, w = 0;

	if (ns >= MAX_SAMPLES)
		return;
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < ctl->nthr; i++)
		tnode[i] = node_of_cpu[ctl->t[i].cpu & 1023];
	for (r = 0; r < ctl->nreg; r++) {
		double share = 0;
		int users = 0, best = 0, n;

		got = sample_region(&ctl->r[r], cnt[r]);
		if (!got)
			continue;
		for (n = 0; n < nnodes; n++)
			if (cnt[r][n] > cnt[r][best])
				best = n;
		/*
		 * A page is local to a thread on its node: the region's
		 * locality is the mean over the threads that use it, so a
		 * region shared by threads on two nodes is at most half
		 * local to them.
		 */
		for (i = 0; i < ctl->nthr; i++) {
			if (ctl->t[i].reg != r)
				continue;
			share += (double)cnt[r][tnode[i]] / got;
			users++;
			ctl->t[i].seen++;
			ctl->t[i].near += tnode[i] == best;
		}
		if (!users)
			continue;
		share /= users;
		loc += ctl->r[r].len * share;
		w += ctl->r[r].len;
		/*
		 * Misplaced at the start: at the first sample after the
		 * threads started, once the scheduler has spread them (at
		 * t=0 they are where they were created).
		 */
		if (ns == 1)
			misplaced += (double)ctl->r[r].len / pagesz * (1 - share);
	}
	st[ns] = t;
	sl[ns] = w ? loc / w : 0;
	/*
	 * NUMABENCH_TRACE=1: each thread's node, group, home and knumad's
	 * measure of its CPU share, and its region's nodes
	 */
	if (getenv("NUMABENCH_TRACE")) {
		int grp[MAX_THR], cpu[MAX_THR], home[64], g, h, tid;
		char path[64], line[256], *p;
		FILE *f;

		memset(grp, -1, sizeof(grp));
		memset(cpu, -1, sizeof(cpu));
		memset(home, -1, sizeof(home));
		snprintf(path, sizeof(path), "/proc/%d/memsched",
			 ctl->r[0].pid);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "thread %d group %d", &tid, &g) == 2) {
				for (i = 0; i < ctl->nthr; i++)
					if (ctl->t[i].tid == tid)
						grp[i] = g;
			} else if (sscanf(line, "group %d home %d", &g, &h) == 2 &&
				   g >= 0 && g < 64) {
				home[g] = h;
			} else if (sscanf(line, "knumad thread %d", &tid) == 1) {
				p = strstr(line, " cpu ");
				if (!p || sscanf(p, " cpu %d", &h) != 1)
					continue;
				for (i = 0; i < ctl->nthr; i++)
					if (ctl->t[i].tid == tid)
						cpu[i] = h;
			}
		}
		if (f)
			fclose(f);
		if (!ns)
			for (i = 0; i < ctl->nthr; i++)
				fprintf(stderr, "trace t%d tid %d memory %p-%p\n",
					i, ctl->t[i].tid,
					(void *)ctl->r[ctl->t[i].reg].addr,
					(char *)ctl->r[ctl->t[i].reg].addr +
					ctl->r[ctl->t[i].reg].len);
		fprintf(stderr, "trace %.2f loc %.3f:", t, sl[ns]);
		for (i = 0; i < ctl->nthr; i++) {
			fprintf(stderr, " t%d@N%d", i, tnode[i]);
			if (grp[i] >= 0)
				fprintf(stderr, "g%dh%d", grp[i],
					grp[i] < 64 ? home[grp[i]] : -1);
			if (cpu[i] >= 0)
				fprintf(stderr, "s%d", cpu[i]);
			fprintf(stderr, "[");
			for (r = 0; r < nnodes; r++)
				fprintf(stderr, "%s%ld", r ? "," : "",
					cnt[ctl->t[i].reg][r]);
			fprintf(stderr, "]");
		}
		fprintf(stderr, "\n");
	}
	ns++;
}

/* The first sample time from which locality stays at @thr or more. */
static double settled(double thr)
{
	int i;

	for (i = ns; i > 0 && sl[i - 1] >= thr; i--)
		;
	return i < ns ? st[i] : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "thp", no_argument, NULL, 'H' },
		{ "period", required_argument, NULL, 'P' },
		{ "label", required_argument, NULL, 'L' },
		{ }
	};
	const char *label = "";
	int opt, i, p, nchild = 0;
	double t0, t = 0, final = 0;
	double bal0 = 0, bal1 = 0, dmn0 = 0, dmn1 = 0, total_pages = 0;
	double thr_near = 0, usr0 = 0, sys0 = 0, usr1 = 0, sys1 = 0;
	double msys0 = 0, msys1 = 0;
	pid_t kids[128];
	struct vm v0, v1;
	struct early e = { 0 };
	struct rusage ru;
	unsigned long ops = 0;

	while ((opt = getopt_long(argc, argv, "w:M:s:m:", opts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			for (i = 0; i <= W_CMD; i++)
				if (!strcmp(optarg, wnames[i]))
					workload = i;
			break;
		case 'M':
			mode = -1;
			for (i = 0; i <= M_MEMSCHED; i++)
				if (!strcmp(optarg, mnames[i]))
					mode = i;
			break;
		case 's':
			seconds = atoi(optarg);
			break;
		case 'm':
			mib = strtoul(optarg, NULL, 0);
			break;
		case 'H':
			thp = 1;
			break;
		case 'P':
			period_ms = atoi(optarg);
			break;
		case 'L':
			label = optarg;
			if (strspn(label, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
			    strlen(label))
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (workload < 0 || mode < 0 || seconds < 1 || seconds > 3600 ||
	    !mib || mib > (1UL << 20) || period_ms < 10 ||
	    (workload == W_CMD) != (optind < argc) ||
	    (mode == M_MEMSCHED && workload != W_NUMA02 && workload != W_VNUMA))
		goto usage;
	pagesz = sysconf(_SC_PAGESIZE);
	read_topology();
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		die("mmap");

	if (workload == W_IDLE) {
		for (i = 0; i <= 100; i++) {
			kids[nchild] = fork();
			if (kids[nchild] < 0)
				die("fork");
			if (!kids[nchild]) {
				if (i == 100)
					idle_big();
				idle_small();
			}
			nchild++;
		}
		while (ctl->ready < 101 && !ctl->failed && !child_gone(kids, nchild))
			usleep(10000);
	} else if (workload == W_CMD) {
		kids[nchild] = fork();
		if (!kids[nchild]) {
			execvp(argv[optind], argv + optind);
			die(argv[optind]);
		}
		nchild++;
	} else {
		if (setup())
			goto usage;
		for (p = 0; p < ctl->nproc; p++) {
			kids[nchild] = fork();
			if (kids[nchild] < 0)
				die("fork");
			if (!kids[nchild])
				run_proc(p);
			nchild++;
		}
		while (ctl->ready < ctl->nthr && !ctl->failed &&
		       !child_gone(kids, nchild))
			usleep(10000);
		for (i = 0; i < ctl->nreg; i++)
			while (!ctl->r[i].ready && !ctl->failed &&
			       !child_gone(kids, nchild))
				usleep(10000);
	}
	if (ctl->failed || child_gone(kids, nchild)) {
		ctl->failed = 1;
		fprintf(stderr, "numabench: a worker failed\n");
		goto kill;
	}

	read_vmstat(&v0);
	msys0 = machine_sys();
	kids_cpu(kids, nchild, &usr0, &sys0);
	bal0 = comm_cpu("knumad");
	dmn0 = comm_cpu("numad");
	t0 = now_s();
	if (workload != W_IDLE && workload != W_CMD)
		sample(0);
	ctl->go = 1;
	for (;;) {
		usleep(period_ms * 1000);
		t = now_s() - t0;
		if (workload == W_CMD) {
			int status;

			if (waitpid(kids[0], &status, WNOHANG) == kids[0]) {
				nchild = 0;
				if (!WIFEXITED(status) || WEXITSTATUS(status)) {
					fprintf(stderr, "numabench: %s failed (status %#x)\n",
						argv[optind], status);
					ctl->failed = 1;
				}
				break;
			}
			if (t > seconds * 4 + 60) {
				fprintf(stderr, "numabench: %s timed out\n",
					argv[optind]);
				kill(kids[0], SIGKILL);
				ctl->failed = 1;
				break;
			}
			continue;
		}
		if (child_gone(kids, nchild)) {
			fprintf(stderr, "numabench: a workload process died\n");
			ctl->failed = 1;
			break;
		}
		if (t >= seconds)
			break;
		if (workload != W_IDLE)
			sample(t);
		else if (!e.secs && t >= IDLE_EARLY_S && seconds > IDLE_EARLY_S)
			early(&e, t, &v0, bal0, dmn0);
	}
	t = now_s() - t0;
	read_vmstat(&v1);
	msys1 = machine_sys();
	kids_cpu(kids, nchild, &usr1, &sys1);
	bal1 = comm_cpu("knumad");
	dmn1 = comm_cpu("numad");
	for (i = 0; i < ctl->nthr; i++) {
		ops += ctl->t[i].ops;
		thr_near += ctl->t[i].seen ? (double)ctl->t[i].near / ctl->t[i].seen : 0;
	}
	if (ctl->nthr)
		thr_near /= ctl->nthr;
	for (i = 0; i < ctl->nreg; i++)
		total_pages += (double)ctl->r[i].len / pagesz;
	/* final locality: the median of the samples of the last 2 seconds */
	{
		double last[MAX_SAMPLES];
		int n = 0;

		for (i = 0; i < ns; i++)
			if (st[i] >= t - 2.0 - period_ms / 1000.0)
				last[n++] = sl[i];
		qsort(last, n, sizeof(double), cmp_double);
		final = n ? last[n / 2] : 0;
	}
kill:
	ctl->stop = 1;
	for (i = 0; i < nchild; i++) {
		int status;

		if (ctl->failed)
			kill(kids[i], SIGKILL);
		if (waitpid(kids[i], &status, 0) == kids[i] &&
		    (!WIFEXITED(status) || WEXITSTATUS(status)))
			ctl->failed = 1;
	}
	if (ctl->failed) {
		fprintf(stderr, "numabench: %s failed: no result\n",
			wnames[workload]);
		return 1;
	}
	if (workload == W_CMD) {
		/* perf's own children are reaped by perf: take it all */
		getrusage(RUSAGE_CHILDREN, &ru);
		usr0 = sys0 = 0;
		usr1 = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
		sys1 = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	}

	printf("json {\"workload\":\"%s\",\"mode\":\"%s\",\"label\":\"%s\","
	       "\"thp\":%d,\"nodes\":%d,\"cpus\":%d,\"mib\":%lu,\"secs\":%.3f,",
	       wnames[workload], mnames[mode], label, thp, nnodes, ncpus, mib, t);
	printf("\"t90\":%.3f,\"t95\":%.3f,\"final\":%.4f,", settled(0.90),
	       settled(0.95), final);
	printf("\"pages\":%.0f,\"misplaced\":%.0f,\"near\":%.4f,\"ops\":%lu,",
	       total_pages, misplaced, thr_near, ops);
	printf("\"pte_updates\":%ld,\"hint_faults\":%ld,\"numa_pages_migrated\":%ld,"
	       "\"pgmigrate_success\":%ld,",
	       v1.pte_updates - v0.pte_updates, v1.hint_faults - v0.hint_faults,
	       v1.pages_migrated - v0.pages_migrated,
	       v1.pgmigrate_success - v0.pgmigrate_success);
	printf("\"knumad_cpu\":%.3f,\"numad_cpu\":%.3f,\"user_cpu\":%.3f,\"sys_cpu\":%.3f,"
	       "\"machine_sys\":%.3f,\"period\":%.3f,",
	       bal1 - bal0, dmn1 - dmn0, usr1 - usr0, sys1 - sys0,
	       msys1 - msys0, period_ms / 1000.0);
	if (e.secs)
		printf("\"early\":{\"secs\":%.3f,\"knumad_cpu\":%.4f,"
		       "\"numad_cpu\":%.4f,\"hint_faults\":%ld,"
		       "\"pte_updates\":%ld},",
		       e.secs, e.knumad_cpu, e.numad_cpu, e.hint_faults,
		       e.pte_updates);
	printf("\"samples\":[");
	for (i = 0; i < ns; i++)
		printf("%s[%.2f,%.4f]", i ? "," : "", st[i], sl[i]);
	printf("]}\n");
	return 0;
usage:
	fprintf(stderr,
		"usage: numabench -w misplaced|numa02|numa01t|shared|vnuma|idle|cmd\n"
		"       [-M auto|hardbind|memsched] [-s SECONDS] [-m MIB] [--thp]\n"
		"       [--period MS] [--label TEXT] [-- COMMAND...]\n"
		"  memsched mode: numa02 and vnuma only; cmd needs a COMMAND\n");
	return 2;
}
