// SPDX-License-Identifier: GPL-2.0
/*
 * msabuse: what an unprivileged user might do to make memsched or knumad
 * hold memory or burn CPU.  One mode per run; each prints one "msabuse:"
 * line with what it did, for scripts/stress-guest.sh to check.
 *
 *   msabuse groups          make groups until ms_tbind() refuses
 *   msabuse split PAGES     bind every other page of a PAGES*2 mapping to a
 *                           group, one VMA each, until ms_mbind() refuses
 *   msabuse sparse SECONDS  16 TiB MAP_NORESERVE, 4096 pages touched, idle
 *   msabuse dense MIB S     MIB touched, idle: knumad's full budget of work,
 *                           the yardstick for the other cases
 *   msabuse forks SECONDS   fork short-lived children as fast as possible
 *   msabuse churn SECONDS   mmap, touch, munmap 2 MiB as fast as possible
 *   msabuse fill NODE MIB S  touch MIB preferring NODE (spilling when it
 *                           is full), hold S seconds
 *   msabuse bound MIB S     a group with a MIB range, touched by a member,
 *                           held S seconds; prints the home and where
 *                           the pages went
 *   msabuse queued MIB [exec]  a group whose MIB range was populated off
 *                           its home and bound without MS_MBIND_MOVE, so
 *                           a background move is queued; then sleep (to
 *                           be killed) or exec /bin/true at once
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/memsched.h>

#ifndef __NR_ms_tbind
#define __NR_ms_tbind 600
#define __NR_ms_mbind 601
#endif

static long ms_tbind(int tid, int id, unsigned long flags)
{
	return syscall(__NR_ms_tbind, tid, id, flags);
}

static long ms_mbind(void *p, unsigned long len, int id, unsigned long flags)
{
	return syscall(__NR_ms_mbind, p, len, id, flags);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int groups(void)
{
	long page = sysconf(_SC_PAGESIZE), n = 0, id;
	char *p = mmap(NULL, 1 << 24, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int e = 0;

	if (p == MAP_FAILED)
		return 1;
	/* each group kept alive by one bound page; at most 4096 */
	while (n < 4096) {
		id = ms_tbind(0, MS_ID_NEW, 0);
		if (id < 0) {
			e = errno;
			break;
		}
		if (ms_mbind(p + 2 * n * page, page, id, 0)) {
			e = errno;
			break;
		}
		n++;
	}
	printf("msabuse: groups %ld errno %s\n", n, e ? strerrorname_np(e) : "0");
	return 0;
}

static int split(long pages)
{
	long page = sysconf(_SC_PAGESIZE), n = 0, id;
	char *p = mmap(NULL, 2 * pages * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int e = 0;

	if (p == MAP_FAILED)
		return 1;
	id = ms_tbind(0, MS_ID_NEW, 0);
	if (id < 0) {
		perror("ms_tbind");
		return 1;
	}
	for (n = 0; n < pages; n++) {
		if (ms_mbind(p + 2 * n * page, page, id, 0)) {
			e = errno;
			break;
		}
	}
	printf("msabuse: split %ld bound ranges errno %s\n", n,
	       e ? strerrorname_np(e) : "0");
	fflush(stdout);
	/* hold it while the caller measures */
	sleep(2);
	return 0;
}

static int sparse(int secs)
{
	unsigned long len = 16UL << 40, i, step = len / 4096;
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap 16 TiB");
		return 1;
	}
	madvise(p, len, MADV_NOHUGEPAGE);	/* 4096 pages, not 8 GiB */
	for (i = 0; i < 4096; i++)
		p[i * (step & ~(page - 1))] = 1;
	printf("msabuse: sparse 16 TiB mapped, 4096 pages touched\n");
	fflush(stdout);
	sleep(secs);
	return 0;
}

static int dense(long mib, int secs)
{
	unsigned long len = mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, 1, len);
	printf("msabuse: dense %ld MiB touched\n", mib);
	fflush(stdout);
	sleep(secs);
	return 0;
}

static int forks(int secs)
{
	double end = now() + secs;
	long n = 0;

	while (now() < end) {
		pid_t pid = fork();

		if (pid == 0) {
			/* touch a little memory, so there is a process to see */
			char *q = malloc(1 << 16);

			if (q)
				memset(q, 1, 1 << 16);
			_exit(0);
		}
		if (pid > 0) {
			waitpid(pid, NULL, 0);
			n++;
		}
	}
	printf("msabuse: forks %ld\n", n);
	return 0;
}

static int churn(int secs)
{
	double end = now() + secs;
	long n = 0;

	while (now() < end) {
		char *q = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (q == MAP_FAILED)
			continue;
		madvise(q, 2 << 20, MADV_NOHUGEPAGE);
		memset(q, 1, 2 << 20);
		munmap(q, 2 << 20);
		n++;
	}
	printf("msabuse: churn %ld mappings\n", n);
	return 0;
}

static long set_mempolicy_(int mode, unsigned long *nodes)
{
	return syscall(SYS_set_mempolicy, mode, nodes, nodes ? 64 : 0);
}

/* Pages of [p, p + len) on each node, printed as " N0=... N1=..." */
static void print_nodes(char *p, unsigned long len)
{
	long page = sysconf(_SC_PAGESIZE), n = len / page, i;
	long count[8] = { 0 };
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	for (i = 0; pages && status && i < n; i++)
		pages[i] = p + i * page;
	if (pages && status &&
	    !syscall(SYS_move_pages, 0, n, pages, NULL, status, 0)) {
		for (i = 0; i < n; i++)
			if (status[i] >= 0 && status[i] < 8)
				count[status[i]]++;
	}
	for (i = 0; i < 8; i++)
		if (count[i])
			printf(" N%ld=%ld", i, count[i]);
	free(pages);
	free(status);
}

static int fill(int node, long mib, int secs)
{
	unsigned long nodes = 1UL << node, len = mib << 20;
	char *p;

	if (set_mempolicy_(1 /* MPOL_PREFERRED */, &nodes)) {
		perror("set_mempolicy");
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	/*
	 * in huge pages where it can: about 800 MiB faulted 4 KiB at a
	 * time took about 80 s of make test's stress slice under TCG
	 */
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 1, len);
	printf("msabuse: fill %ld MiB preferring node %d:", mib, node);
	print_nodes(p, len);
	printf("\n");
	sleep(secs);
	return 0;
}

static int home_of(long id)
{
	char line[256];
	FILE *f = fopen("/proc/self/memsched", "r");
	int gid, home = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "group %d home %d", &gid, &home) == 2 &&
		    gid == id)
			break;
	if (f)
		fclose(f);
	return home;
}

static int bound(long mib, int secs)
{
	unsigned long len = mib << 20;
	long id = ms_tbind(0, MS_ID_NEW, 0);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (id < 0 || p == MAP_FAILED || ms_mbind(p, len, id, 0)) {
		perror("msabuse bound");
		return 1;
	}
	memset(p, 1, len);
	printf("msabuse: bound %ld MiB to group %ld home %d:", mib, id,
	       home_of(id));
	print_nodes(p, len);
	printf("\n");
	sleep(secs);
	return 0;
}

static int queued(long mib, int do_exec)
{
	unsigned long len = mib << 20, nodes;
	long id = ms_tbind(0, MS_ID_NEW, 0);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int home;

	if (id < 0 || p == MAP_FAILED || ms_mbind(p, 4096, id, 0))
		return 1;
	home = home_of(id);
	nodes = 1UL << (home == 0 ? 1 : 0);
	if (set_mempolicy_(2 /* MPOL_BIND */, &nodes))
		return 1;
	memset(p, 1, len);
	set_mempolicy_(0, NULL);
	if (ms_mbind(p, len, id, 0))
		return 1;
	if (do_exec) {
		execl("/bin/true", "true", (char *)NULL);
		return 1;
	}
	pause();
	return 0;
}

int main(int argc, char **argv)
{
	long arg = argc > 2 ? atol(argv[2]) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "groups"))
		return groups();
	if (argc >= 3 && !strcmp(argv[1], "split") && arg > 0)
		return split(arg);
	if (argc >= 3 && !strcmp(argv[1], "sparse") && arg > 0)
		return sparse(arg);
	if (argc >= 3 && !strcmp(argv[1], "forks") && arg > 0)
		return forks(arg);
	if (argc >= 3 && !strcmp(argv[1], "churn") && arg > 0)
		return churn(arg);
	if (argc >= 4 && !strcmp(argv[1], "dense") && arg > 0)
		return dense(arg, atoi(argv[3]));
	if (argc >= 5 && !strcmp(argv[1], "fill"))
		return fill(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
	if (argc >= 4 && !strcmp(argv[1], "bound") && arg > 0)
		return bound(arg, atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "queued") && arg > 0)
		return queued(arg, argc > 3 && !strcmp(argv[3], "exec"));
	fprintf(stderr, "usage: msabuse groups|split PAGES|sparse S|dense MIB S|forks S|churn S|fill NODE MIB S|bound MIB S|queued MIB [exec]\n");
	return 2;
}
