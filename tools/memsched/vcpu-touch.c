// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu-touch: /init of the inner guest in the QEMU end-to-end test.
 *
 * Runs as PID 1 of a small guest (static, no libc beyond what is linked in,
 * nothing mounted).  On every online CPU a thread pinned to that CPU maps
 * MIB MiB, binds it to the CPU's NUMA node (mbind MPOL_BIND) and writes
 * every page, again and again, forever: each guest vCPU keeps touching its
 * own guest node's memory, as a NUMA-aware guest workload would.  After the
 * first pass each thread prints one line on the console:
 *
 *   vcpu-touch: cpu 1 node 1 wrote 16 MiB
 *
 * and, once all have, "vcpu-touch: all N cpus done".  Then, every 2 s,
 * how many passes each thread has made so far:
 *
 *   vcpu-touch: passes 812 790 805 799
 *
 * so that a guest restored from a snapshot shows that its vCPUs run and
 * write again.  The MiB per thread comes from the kernel command line,
 * vcpu_touch_mib=N (default 16).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define MPOL_BIND 2

#define MAX_THREADS	64

static long mib = 16;
static atomic_int done;
static atomic_uint passes[MAX_THREADS];

/* One write(2) per line: stdio's shared buffer is not for PID 1's console. */
static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1) < 0)
		return;
}

static void *toucher(void *arg)
{
	long cpu = (long)arg, len = mib << 20, pg = sysconf(_SC_PAGESIZE), i;
	unsigned int c = 0, node = 0;
	unsigned long mask[16] = { 0 };
	cpu_set_t set;
	unsigned int pass = 0;
	char *p;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		say("vcpu-touch: cpu %ld: setaffinity: %s\n", cpu,
		       strerror(errno));
	syscall(SYS_getcpu, &c, &node, NULL);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		say("vcpu-touch: cpu %ld: mmap: %s\n", cpu, strerror(errno));
		return NULL;
	}
	mask[node / 64] |= 1UL << (node % 64);
	if (syscall(SYS_mbind, p, len, MPOL_BIND, mask, 1024, 0))
		say("vcpu-touch: cpu %ld: mbind: %s\n", cpu,
		       strerror(errno));
	for (i = 0; i < len; i += pg)
		p[i] = 1;
	say("vcpu-touch: cpu %u node %u wrote %ld MiB\n", c, node, mib);
	atomic_fetch_add(&done, 1);
	for (;;) {
		pass++;
		for (i = 0; i < len; i += pg)
			((volatile char *)p)[i] = (char)pass;
		if (cpu < MAX_THREADS)
			atomic_store(&passes[cpu], pass);
	}
	return NULL;
}

int main(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN), cpu;
	char cmdline[4096] = "", *s;
	pthread_t t;
	int fd;

	/* the console, if the kernel did not give us one */
	if (fcntl(1, F_GETFD) < 0) {
		mkdir("/dev", 0755);
		mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
		fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	mkdir("/proc", 0755);
	mount("proc", "/proc", "proc", 0, NULL);
	fd = open("/proc/cmdline", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, cmdline, sizeof(cmdline) - 1) < 0)
			cmdline[0] = 0;
		close(fd);
	}
	s = strstr(cmdline, "vcpu_touch_mib=");
	if (s)
		mib = atol(s + strlen("vcpu_touch_mib="));
	if (mib <= 0)
		mib = 16;
	say("vcpu-touch: %ld cpus, %ld MiB each\n", n, mib);
	for (cpu = 0; cpu < n; cpu++)
		if (pthread_create(&t, NULL, toucher, (void *)cpu))
			say("vcpu-touch: cpu %ld: no thread\n", cpu);
	while (atomic_load(&done) < n)
		usleep(100000);
	say("vcpu-touch: all %ld cpus done\n", n);
	for (;;) {
		char line[256];
		int len = snprintf(line, sizeof(line), "vcpu-touch: passes");

		sleep(2);
		for (cpu = 0; cpu < n && cpu < MAX_THREADS && len < 200; cpu++)
			len += snprintf(line + len, sizeof(line) - len, " %u",
					atomic_load(&passes[cpu]));
		say("%s\n", line);
	}
}
