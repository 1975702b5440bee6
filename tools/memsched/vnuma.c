// SPDX-License-Identifier: GPL-2.0
/*
 * vnuma: what a virtual machine monitor does with memsched.
 *
 * A guest with N virtual NUMA nodes and M vCPUs per node: each virtual
 * node's vCPU threads and its slice of guest RAM go into one memsched group
 * (ms_tbind + ms_mbind), and the kernel keeps each group on one host node.
 * The vCPU threads then read and write their node's RAM; at the end the
 * program prints, per virtual node, the group's home, where the threads ran
 * and where the pages are.
 *
 *   vnuma [-n NODES] [-c VCPUS_PER_NODE] [-m MIB_PER_NODE] [-t SECONDS]
 *         [--misplace] [--no-memsched]
 *
 * --misplace first touches all guest RAM on host node 0 (as a guest that
 * booted before the binding would), so the binding has pages to move.
 * --no-memsched runs the same workload without any group, for comparison.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/memsched.h>

#ifndef __NR_ms_tbind
#define __NR_ms_tbind 600
#define __NR_ms_mbind 601
#endif
#define MAX_HOST_NODES 64

struct vnode {
	int index;
	long group;
	char *ram;
	size_t len;
	pthread_barrier_t *ready;
	long ran_on[MAX_HOST_NODES];	/* samples of the vCPUs' host node */
	pthread_mutex_t lock;
};

struct vcpu {
	struct vnode *node;
	pthread_t thread;
	int index;
};

static int use_memsched = 1, seconds = 5;
static volatile int stop;

static long ms_tbind(pid_t tid, int id, unsigned long flags)
{
	return syscall(__NR_ms_tbind, tid, id, flags);
}

static long ms_mbind(void *addr, unsigned long len, int id, unsigned long fl)
{
	return syscall(__NR_ms_mbind, (unsigned long)addr, len, id, fl);
}

static int cpu_node(int cpu)
{
	char path[96];
	int nid;

	for (nid = 0; nid < MAX_HOST_NODES; nid++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/node%d", cpu, nid);
		if (!access(path, F_OK))
			return nid;
	}
	return 0;
}

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;
	struct vnode *n = v->node;
	long samples[MAX_HOST_NODES] = {0};
	size_t off = (size_t)v->index * 4096 * 7, pg = 4096;
	unsigned long iter = 0;
	int i;

	if (use_memsched && v->index != 0 && ms_tbind(0, n->group, 0)) {
		perror("ms_tbind join");
		exit(1);
	}
	pthread_barrier_wait(n->ready);
	while (!stop) {
		/* A guest's working set: stride through the node's RAM. */
		n->ram[off] += 1;
		off = (off + pg * 3) % n->len;
		if (++iter % 4096 == 0)
			samples[cpu_node(sched_getcpu())]++;
	}
	pthread_mutex_lock(&n->lock);
	for (i = 0; i < MAX_HOST_NODES; i++)
		n->ran_on[i] += samples[i];
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

static void pages_per_node(char *p, size_t len, long *count)
{
	size_t i, npages = len / 4096;
	void **pages = calloc(npages, sizeof(*pages));
	int *status = calloc(npages, sizeof(*status));

	for (i = 0; i < npages; i++)
		pages[i] = p + i * 4096;
	if (syscall(__NR_move_pages, 0, npages, pages, NULL, status, 0) == 0)
		for (i = 0; i < npages; i++)
			if (status[i] >= 0 && status[i] < MAX_HOST_NODES)
				count[status[i]]++;
	free(pages);
	free(status);
}

static int group_home(long id)
{
	char line[512];
	int gid, home;
	FILE *f = fopen("/proc/self/memsched", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "group %d home %d", &gid, &home) == 2 &&
		    gid == id) {
			fclose(f);
			return home;
		}
	if (f)
		fclose(f);
	return -1;
}

static int host_nodes(void)
{
	char path[64];
	int n = 0;

	do
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
	while (!access(path, F_OK) && ++n);
	return n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "misplace", no_argument, NULL, 'M' },
		{ "no-memsched", no_argument, NULL, 'N' },
		{ }
	};
	int nnodes = 2, ncpus = 2, mib = 128, misplace = 0, opt, i, j;
	int hosts = host_nodes();
	struct vnode *nodes;
	struct vcpu *vcpus;
	pthread_barrier_t ready;
	struct timespec t0, t1;

	while ((opt = getopt_long(argc, argv, "n:c:m:t:", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': nnodes = atoi(optarg); break;
		case 'c': ncpus = atoi(optarg); break;
		case 'm': mib = atoi(optarg); break;
		case 't': seconds = atoi(optarg); break;
		case 'M': misplace = 1; break;
		case 'N': use_memsched = 0; break;
		default:
			fprintf(stderr, "usage: %s [-n nodes] [-c vcpus/node] [-m MiB/node] [-t s] [--misplace] [--no-memsched]\n",
				argv[0]);
			return 2;
		}
	}
	if (nnodes < 1 || ncpus < 1 || mib < 1 || seconds < 1)
		return 2;

	nodes = calloc(nnodes, sizeof(*nodes));
	vcpus = calloc(nnodes * ncpus, sizeof(*vcpus));
	pthread_barrier_init(&ready, NULL, nnodes * ncpus + 1);
	printf("vnuma: %d virtual nodes x %d vCPUs, %d MiB each, on %d host nodes, memsched %s\n",
	       nnodes, ncpus, mib, hosts, use_memsched ? "on" : "off");

	for (i = 0; i < nnodes; i++) {
		struct vnode *n = &nodes[i];

		n->index = i;
		n->len = (size_t)mib << 20;
		n->ready = &ready;
		pthread_mutex_init(&n->lock, NULL);
		n->ram = mmap(NULL, n->len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (n->ram == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		if (misplace) {
			unsigned long node0 = 1;

			syscall(__NR_set_mempolicy, 2 /* MPOL_BIND */, &node0, 64);
			memset(n->ram, 0, n->len);
			syscall(__NR_set_mempolicy, 0, NULL, 0);
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nnodes; i++) {
		struct vnode *n = &nodes[i];

		for (j = 0; j < ncpus; j++) {
			struct vcpu *v = &vcpus[i * ncpus + j];

			v->node = n;
			v->index = j;
		}
		if (use_memsched) {
			/* The first vCPU creates the group; the others join it. */
			n->group = ms_tbind(0, MS_ID_NEW, 0);
			if (n->group < 0) {
				perror("ms_tbind(MS_ID_NEW)");
				return 1;
			}
			if (ms_mbind(n->ram, n->len, n->group, 0)) {
				perror("ms_mbind");
				return 1;
			}
		}
		/* vCPU 0 of the node is created while the main thread is a
		 * member, so it joins by inheritance; the rest join by id.
		 */
		for (j = 0; j < ncpus; j++)
			pthread_create(&vcpus[i * ncpus + j].thread, NULL,
				       vcpu_main, &vcpus[i * ncpus + j]);
		if (use_memsched)
			ms_tbind(0, MS_ID_NONE, 0);
	}
	pthread_barrier_wait(&ready);
	sleep(seconds);
	stop = 1;
	for (i = 0; i < nnodes * ncpus; i++)
		pthread_join(vcpus[i].thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("%-6s %-6s %-5s %-28s %s\n", "vnode", "group", "home",
	       "vCPU samples per host node", "pages per host node");
	for (i = 0; i < nnodes; i++) {
		struct vnode *n = &nodes[i];
		long pages[MAX_HOST_NODES] = {0}, total = 0, samples = 0;
		char ran[256] = "", where[256] = "";
		int h, home = use_memsched ? group_home(n->group) : -1;

		pages_per_node(n->ram, n->len, pages);
		for (h = 0; h < hosts; h++) {
			size_t l = strlen(ran), w = strlen(where);

			snprintf(ran + l, sizeof(ran) - l, "N%d=%ld ", h, n->ran_on[h]);
			snprintf(where + w, sizeof(where) - w, "N%d=%ld ", h, pages[h]);
			total += pages[h];
			samples += n->ran_on[h];
		}
		printf("%-6d %-6ld %-5d %-28s %s", i, n->group, home, ran, where);
		if (home >= 0 && total && samples)
			printf(" (%.0f%% of pages, %.0f%% of run time at home)",
			       100.0 * pages[home] / total,
			       100.0 * n->ran_on[home] / samples);
		printf("\n");
	}
	printf("vnuma: ran %.1f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (use_memsched) {
		FILE *f = fopen("/proc/self/memsched", "r");
		char line[512];

		printf("--- /proc/self/memsched (after the vCPUs exited) ---\n");
		while (f && fgets(line, sizeof(line), f))
			fputs(line, stdout);
		if (f)
			fclose(f);
	}
	return 0;
}
