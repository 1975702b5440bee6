/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the memsched selftests. */
#ifndef MEMSCHED_UTIL_H
#define MEMSCHED_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/memsched.h>

#ifndef __NR_ms_tbind
#define __NR_ms_tbind 600
#endif
#ifndef __NR_ms_mbind
#define __NR_ms_mbind 601
#endif

#define MPOL_DEFAULT	0
#define MPOL_PREFERRED	1
#define MPOL_BIND	2
#define MPOL_MF_MOVE	(1 << 1)
#define MPOL_F_ADDR	(1 << 1)

static inline long ms_tbind(pid_t tid, int id, unsigned long flags)
{
	return syscall(__NR_ms_tbind, tid, id, flags);
}

static inline long ms_mbind(void *addr, unsigned long len, int id,
			    unsigned long flags)
{
	return syscall(__NR_ms_mbind, (unsigned long)addr, len, id, flags);
}

static inline long sys_mbind(void *addr, unsigned long len, int mode,
			     const unsigned long *nodes, unsigned long maxnode,
			     unsigned int flags)
{
	return syscall(__NR_mbind, addr, len, mode, nodes, maxnode, flags);
}

static inline long sys_set_mempolicy(int mode, const unsigned long *nodes,
				     unsigned long maxnode)
{
	return syscall(__NR_set_mempolicy, mode, nodes, maxnode);
}

/* The policy of the VMA at @addr: its mode, and its nodes in *@nodes. */
static inline long addr_policy(void *addr, unsigned long *nodes)
{
	int mode = -1;

	*nodes = 0;
	if (syscall(__NR_get_mempolicy, &mode, nodes, 64, addr, MPOL_F_ADDR))
		return -1;
	return mode;
}

static inline long sys_move_pages(int pid, unsigned long count, void **pages,
				  const int *nodes, int *status, int flags)
{
	return syscall(__NR_move_pages, pid, count, pages, nodes, status, flags);
}

static inline long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Number of online NUMA nodes. */
static inline int nr_nodes(void)
{
	char path[64];
	int n = 0;

	for (;;) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK))
			return n;
		n++;
	}
}

/* Read the first integer of a file, or -1. */
static inline long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Write a string to a file: 0 or -errno. */
static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * The first line of a small file, without its newline, in a static
 * buffer ("" on error): valid until the next call.
 */
static inline const char *read_str(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = 0;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

/* Empty a file that empties on O_TRUNC (tracefs "trace"): 0 or -errno. */
static inline int truncate_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* The tracefs directory, or NULL. */
static inline const char *tracefs(void)
{
	if (!access("/sys/kernel/tracing/events", F_OK))
		return "/sys/kernel/tracing";
	if (!access("/sys/kernel/debug/tracing/events", F_OK))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

/* Enable ("1") or disable ("0") the memsched:@event tracepoint. */
static inline int trace_enable(const char *event, const char *on)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/memsched/%s/enable",
		 tracefs(), event);
	return write_str(path, on);
}

/*
 * Lines of the trace buffer with @what and, if set, @also; the first is
 * copied to @first.
 */
static inline int trace_count(const char *what, const char *also,
			      char *first, size_t size)
{
	char path[256], line[512];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/trace", tracefs());
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, what) ||
		    (also && !strstr(line, also)))
			continue;
		if (!n++ && first)
			snprintf(first, size, "%s", line);
	}
	if (f)
		fclose(f);
	return n;
}

/*
 * Fill @count from /proc/self/memsched: the home node of group @id (or -1)
 * and, if @pages is given, its resident pages per node.
 */
static inline int group_home(int id, long *pages, int maxnodes)
{
	char line[512], *p;
	FILE *f = fopen("/proc/self/memsched", "r");
	int gid, home = -1, nid;
	long n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "group %d home %d", &gid, &home) != 2 || gid != id) {
			home = -1;
			continue;
		}
		p = strstr(line, " pages");
		while (pages && p && (p = strstr(p, " N"))) {
			if (sscanf(p, " N%d=%ld", &nid, &n) == 2 && nid < maxnodes)
				pages[nid] = n;
			p++;
		}
		break;
	}
	fclose(f);
	return home;
}

/* Count lines of /proc/self/memsched that start with @what and mention id. */
static inline int memsched_lines(const char *what, int id)
{
	char line[512], needle[32];
	FILE *f = fopen("/proc/self/memsched", "r");
	int n = 0;

	if (!f)
		return -1;
	snprintf(needle, sizeof(needle), " group %d ", id);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, what, strlen(what)) && strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

/* Number of VMAs of /proc/self/maps that overlap [start, end). */
static inline int vmas_in(void *start, void *end)
{
	unsigned long s, e, a = (unsigned long)start, b = (unsigned long)end;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < b && e > a)
			n++;
	fclose(f);
	return n;
}

/*
 * How many of the @npages pages, @stride bytes apart, from @addr are on
 * @nid (move_pages query); -1 on error.
 */
static inline long pages_on_node_stride(void *addr, long npages, long stride,
					int nid)
{
	void **pages = calloc(npages, sizeof(void *));
	int *status = calloc(npages, sizeof(int));
	long i, n = -1;

	if (!pages || !status)
		goto out;
	for (i = 0; i < npages; i++)
		pages[i] = (char *)addr + i * stride;
	if (sys_move_pages(0, npages, pages, NULL, status, 0))
		goto out;
	n = 0;
	for (i = 0; i < npages; i++)
		n += status[i] == nid;
out:
	free(pages);
	free(status);
	return n;
}

/* How many of the @npages pages at @addr are on @nid; -1 on error. */
static inline long pages_on_node(void *addr, long npages, int nid)
{
	return pages_on_node_stride(addr, npages, page_size(), nid);
}

/* The @field ("MemFree", "MemTotal") of node @nid's meminfo in kB, or -1. */
static inline long node_meminfo_kb(int nid, const char *field)
{
	char path[96], line[256], want[64];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo",
		 nid);
	snprintf(want, sizeof(want), "%s: %%ld kB", field);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, field);

		if (p && sscanf(p, want, &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

/* Touch every page of [addr, addr + len) for writing. */
static inline void touch(void *addr, unsigned long len)
{
	unsigned long i;

	for (i = 0; i < len; i += page_size())
		((volatile char *)addr)[i] = 1;
}

/* Map @len bytes of private anonymous memory with a PROT_NONE page on
 * either side, so the mapping never merges with a neighbour.
 */
static inline void *map_guarded(unsigned long len)
{
	char *p = mmap(NULL, len + 2 * page_size(), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + page_size(), len, PROT_READ | PROT_WRITE))
		return NULL;
	return p + page_size();
}

#endif
