// SPDX-License-Identifier: GPL-2.0
/*
 * mbind-cost: what ms_mbind() costs next to mbind(MPOL_PREFERRED) on the
 * same populated range, in the same machine.
 *
 *   mbind-cost [MiB]     (default 256)
 *
 * For each call the range is first populated on the node that is not the
 * target, so every page has to move.  Prints the time of the call, the
 * pages on the target afterwards, and for the background variant the time
 * until all pages arrived.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/memsched.h>

#define MPOL_DEFAULT	0
#define MPOL_PREFERRED	1
#define MPOL_BIND	2
#define MPOL_MF_MOVE	(1 << 1)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long on_node(char *p, long npages, int nid)
{
	void **pages = malloc(npages * sizeof(void *));
	int *status = malloc(npages * sizeof(int));
	long i, n = 0;

	for (i = 0; i < npages; i++)
		pages[i] = p + i * 4096;
	if (!syscall(__NR_move_pages, 0, npages, pages, NULL, status, 0))
		for (i = 0; i < npages; i++)
			n += status[i] == nid;
	free(pages);
	free(status);
	return n;
}

static int vmas(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		fclose(f);
	return n;
}

static char *populated(size_t len, int nid)
{
	unsigned long mask = 1UL << nid;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	madvise(p, len, MADV_NOHUGEPAGE);
	syscall(__NR_set_mempolicy, MPOL_BIND, &mask, 64);
	memset(p, 1, len);
	syscall(__NR_set_mempolicy, MPOL_DEFAULT, NULL, 0);
	return p;
}

static int home_of(long id)
{
	char line[768];
	int gid, home = -1;
	FILE *f = fopen("/proc/self/memsched", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "group %d home %d", &gid, &home) == 2 && gid == id)
			break;
	if (f)
		fclose(f);
	return home;
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 256;
	size_t len = mib << 20;
	long npages = len / 4096, id, n;
	unsigned long mask;
	int home, away, before;
	double t0, t;
	char *p, *guard;

	id = syscall(600, 0, MS_ID_NEW, 0);
	guard = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(601, (unsigned long)guard, 4096, id, 0);
	home = home_of(id);
	away = home == 0 ? 1 : 0;
	mask = 1UL << home;
	printf("mbind-cost: %ld MiB, group %ld home node %d, pages start on node %d\n",
	       mib, id, home, away);

	p = populated(len, away);
	before = vmas();
	t0 = now();
	if (syscall(601, (unsigned long)p, len, id, MS_MBIND_MOVE))
		perror("ms_mbind");
	t = now() - t0;
	printf("ms_mbind(MS_MBIND_MOVE)         %8.3f s  %6ld/%ld pages home  VMAs %d -> %d",
	       t, on_node(p, npages, home), npages, before, vmas());
	syscall(601, (unsigned long)p, len, MS_ID_NONE, 0);
	printf(" -> %d after unbind\n", vmas());
	munmap(p, len);

	p = populated(len, away);
	t0 = now();
	if (syscall(__NR_mbind, p, len, MPOL_PREFERRED, &mask, 64, MPOL_MF_MOVE))
		perror("mbind");
	t = now() - t0;
	printf("mbind(MPOL_PREFERRED, MF_MOVE)  %8.3f s  %6ld/%ld pages home\n",
	       t, on_node(p, npages, home), npages);
	munmap(p, len);

	p = populated(len, away);
	t0 = now();
	syscall(601, (unsigned long)p, len, id, 0);
	t = now() - t0;
	printf("ms_mbind() (background move)    %8.3f s  %6ld/%ld pages home at return",
	       t, on_node(p, npages, home), npages);
	while ((n = on_node(p, npages, home)) < npages && now() - t0 < 120)
		usleep(50000);
	printf(", all %s after %.3f s\n", n == npages ? "home" : "NOT home",
	       now() - t0);
	munmap(p, len);

	p = populated(len, away);
	t0 = now();
	syscall(__NR_mbind, p, len, MPOL_PREFERRED, &mask, 64, 0);
	t = now() - t0;
	printf("mbind(MPOL_PREFERRED) no move   %8.3f s  %6ld/%ld pages home\n",
	       t, on_node(p, npages, home), npages);
	munmap(p, len);
	return 0;
}
