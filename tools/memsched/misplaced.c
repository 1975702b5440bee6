// SPDX-License-Identifier: GPL-2.0
/*
 * misplaced: the knumad demo and benchmark workload.
 *
 * Maps SIZE MiB of private anonymous memory, first touches it from node 0,
 * then runs THREADS threads on node FAR that write one byte of every page
 * in a loop.  Every 0.5 s it prints how much of the buffer is on FAR
 * (move_pages(2) query), until at least 95% is there or the time limit.
 * At the end one "result" line gives the time to 95%, the passes of the
 * balancer in charge, hinting faults and pages migrated, and the CPU time
 * spent, so the same run can be compared with knumad and with
 * kernel.numa_balancing=1.
 *
 *   misplaced [-m MiB] [-t seconds] [-T threads] [-f far-node] [--thp]
 *             [--label NAME]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define MB (1024UL * 1024)

static long pagesz;
static volatile int stop;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pin_to_node(int nid)
{
	char path[96], buf[256], *p;
	cpu_set_t set;
	FILE *f;
	int a, b;

	CPU_ZERO(&set);
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
		 nid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		fprintf(stderr, "misplaced: no CPUs on node %d\n", nid);
		exit(1);
	}
	fclose(f);
	for (p = strtok(buf, ",\n"); p; p = strtok(NULL, ",\n")) {
		if (sscanf(p, "%d-%d", &a, &b) == 2)
			for (; a <= b; a++)
				CPU_SET(a, &set);
		else if (sscanf(p, "%d", &a) == 1)
			CPU_SET(a, &set);
	}
	return sched_setaffinity(0, sizeof(set), &set);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long vmstat(const char *name)
{
	char line[128];
	size_t len = strlen(name);
	FILE *f = fopen("/proc/vmstat", "r");
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ' ')
			v = atol(line + len);
	if (f)
		fclose(f);
	return v;
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

/* scan_ns + migrate_ns of this process from /proc/self/memsched, or -1. */
static long long knumad_ns(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/memsched", "r");
	long long scan, migr, v = -1;
	char *p;

	while (f && fgets(line, sizeof(line), f)) {
		p = strstr(line, " scan_ns ");
		if (!strncmp(line, "knumad ", 7) && p &&
		    sscanf(p, " scan_ns %lld migrate_ns %lld", &scan, &migr) == 2)
			v = scan + migr;
	}
	if (f)
		fclose(f);
	return v;
}

/* utime + stime of the knumad thread, in clock ticks, or -1. */
static long knumad_thread_ticks(void)
{
	char path[64], buf[512], comm[64];
	long best = -1;
	int pid;

	for (pid = 2; pid < 200; pid++) {
		unsigned long ut, st;
		FILE *f;
		char *p;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) &&
		    sscanf(buf, "%*d (%63[^)])", comm) == 1 &&
		    !strcmp(comm, "knumad")) {
			p = strrchr(buf, ')');
			if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
					&ut, &st) == 2)
				best = ut + st;
		}
		fclose(f);
	}
	return best;
}

static double share_on(char *buf, unsigned long len, int nid)
{
	static void **pages;
	static int *status;
	unsigned long n = len / pagesz, i, on = 0;

	if (!pages) {
		pages = calloc(n, sizeof(void *));
		status = calloc(n, sizeof(int));
		for (i = 0; i < n; i++)
			pages[i] = buf + i * pagesz;
	}
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		return -1;
	for (i = 0; i < n; i++)
		on += status[i] == nid;
	return (double)on / n;
}

struct worker {
	pthread_t thread;
	char *buf;
	unsigned long len;
	int nid;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	unsigned long i;

	pin_to_node(w->nid);
	while (!stop)
		for (i = 0; i < w->len && !stop; i += pagesz)
			((volatile char *)w->buf)[i]++;
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long mb = 256, len, i;
	int nthreads = 2, far = 1, thp = 0, t;
	double limit = 120, t0, el = 0, share = 0, reached = -1;
	const char *label = "run";
	struct rusage ru;
	struct worker *w;
	long f0, m0, nbf0, nbm0, seq0, tick0;
	long long kns0;
	char *raw, *buf;

	pagesz = sysconf(_SC_PAGESIZE);
	for (t = 1; t < argc; t++) {
		if (!strcmp(argv[t], "-m") && t + 1 < argc)
			mb = strtoul(argv[++t], NULL, 0);
		else if (!strcmp(argv[t], "-t") && t + 1 < argc)
			limit = atof(argv[++t]);
		else if (!strcmp(argv[t], "-T") && t + 1 < argc)
			nthreads = atoi(argv[++t]);
		else if (!strcmp(argv[t], "-f") && t + 1 < argc)
			far = atoi(argv[++t]);
		else if (!strcmp(argv[t], "--thp"))
			thp = 1;
		else if (!strcmp(argv[t], "--label") && t + 1 < argc)
			label = argv[++t];
		else {
			fprintf(stderr, "usage: misplaced [-m MiB] [-t s] [-T threads] [-f node] [--thp] [--label NAME]\n");
			return 2;
		}
	}
	len = mb * MB;
	raw = mmap(NULL, len + 2 * MB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	buf = (char *)(((uintptr_t)raw + 2 * MB - 1) & ~(2 * MB - 1));
	madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);

	pin_to_node(0);
	for (i = 0; i < len; i += pagesz)
		buf[i] = 1;
	printf("%s: %lu MiB%s first touched on node 0: %.1f%% there; %d threads now use it from node %d\n",
	       label, mb, thp ? " (THP)" : "", share_on(buf, len, 0) * 100,
	       nthreads, far);
	pin_to_node(far);

	f0 = read_long("/sys/kernel/mm/knumad/hint_faults");
	m0 = read_long("/sys/kernel/mm/knumad/pages_migrated");
	nbf0 = vmstat("numa_hint_faults");
	nbm0 = vmstat("numa_pages_migrated");
	seq0 = read_long("/sys/kernel/mm/knumad/full_scans");
	tick0 = knumad_thread_ticks();
	kns0 = knumad_ns();
	w = calloc(nthreads, sizeof(*w));
	t0 = now_s();
	for (t = 0; t < nthreads; t++) {
		w[t].buf = buf;
		w[t].len = len;
		w[t].nid = far;
		pthread_create(&w[t].thread, NULL, work, &w[t]);
	}
	for (;;) {
		usleep(500000);
		el = now_s() - t0;
		share = share_on(buf, len, far);
		printf("%s: %6.1f s  %5.1f%% on node %d\n", label, el,
		       share * 100, far);
		fflush(stdout);
		if (share >= 0.95 && reached < 0)
			reached = el;
		if (reached >= 0 || el >= limit)
			break;
	}
	stop = 1;
	for (t = 0; t < nthreads; t++)
		pthread_join(w[t].thread, NULL);
	getrusage(RUSAGE_SELF, &ru);

	{
		long kf = read_long("/sys/kernel/mm/knumad/hint_faults");
		long km = read_long("/sys/kernel/mm/knumad/pages_migrated");
		long ks = read_long("/sys/kernel/mm/knumad/full_scans");
		long tick1 = knumad_thread_ticks();
		long long kns1 = knumad_ns();

		printf("result %s: size_mib=%lu thp=%d to95_s=%.2f final_pct=%.1f knumad_passes=%ld mainline_scan_seq=%ld knumad_hint_faults=%ld knumad_pages_migrated=%ld vmstat_numa_hint_faults=%ld vmstat_numa_pages_migrated=%ld knumad_cpu_s_this_process=%.3f knumad_thread_cpu_s=%.2f workload_sys_s=%.2f workload_user_s=%.2f\n",
		       label, mb, thp, reached, share * 100,
		       ks >= 0 ? ks - seq0 : -1, numa_scan_seq(),
		       kf >= 0 ? kf - f0 : -1, km >= 0 ? km - m0 : -1,
		       vmstat("numa_hint_faults") - nbf0,
		       vmstat("numa_pages_migrated") - nbm0,
		       kns1 >= 0 && kns0 >= 0 ? (kns1 - kns0) / 1e9 : -1.0,
		       tick1 >= 0 && tick0 >= 0 ?
		       (double)(tick1 - tick0) / sysconf(_SC_CLK_TCK) : -1.0,
		       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6);
	}
	return reached >= 0 ? 0 : 3;
}
