// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler hook: grouped threads prefer their home node without being
 * pinned, the group balancer evens out homes and moves memory with them,
 * affinity and CPU hotplug win over homes.  Needs 2 nodes with 2 CPUs each
 * (4 nodes of 1 CPU work too, with looser placement).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "../kselftest_harness.h"
#include "memsched_util.h"

struct spinner {
	pthread_t thread;
	long group;
	cpu_set_t *affinity;
	volatile int *stop;
	double cputime;
	long samples[8];	/* per node */
};

static double thread_cputime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cpu_node(int cpu)
{
	char path[96];
	int nid;

	for (nid = 0; nid < 8; nid++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/node%d", cpu, nid);
		if (!access(path, F_OK))
			return nid;
	}
	return -1;
}

static void *spin(void *arg)
{
	struct spinner *s = arg;
	unsigned long i = 0;

	if (s->affinity)
		sched_setaffinity(0, sizeof(cpu_set_t), s->affinity);
	if (s->group > 0)
		ms_tbind(0, s->group, 0);
	while (!*s->stop) {
		if (++i % 100000 == 0) {
			int nid = cpu_node(sched_getcpu());

			if (nid >= 0 && nid < 8)
				s->samples[nid]++;
		}
	}
	s->cputime = thread_cputime();
	return NULL;
}

/* ns_home, ns_away and moves of group @id from /proc/self/memsched. */
static int group_stats(long id, long long *home_ns, long long *away_ns,
		       unsigned int *moves)
{
	char line[768], *p;
	FILE *f = fopen("/proc/self/memsched", "r");
	int gid, home = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "group %d home %d", &gid, &home) != 2 || gid != id)
			continue;
		p = strstr(line, " ns_home ");
		if (!p || sscanf(p, " ns_home %lld ns_away %lld moves %u",
				 home_ns, away_ns, moves) != 3)
			home = -1;
		break;
	}
	if (f)
		fclose(f);
	return home;
}

/* Start @n spinners in group @id (0: none). */
static void start(struct spinner *s, int n, long id, volatile int *stop)
{
	int i;

	for (i = 0; i < n; i++) {
		s[i].group = id;
		s[i].stop = stop;
		pthread_create(&s[i].thread, NULL, spin, &s[i]);
	}
}

static void join_all(struct spinner *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		pthread_join(s[i].thread, NULL);
}

/* A group with a bound page, so its home is visible before threads run. */
static long new_group(void)
{
	long id = ms_tbind(0, MS_ID_NEW, 0);
	char *p = map_guarded(page_size());

	if (id > 0 && ms_mbind(p, page_size(), id, 0))
		id = -1;
	ms_tbind(0, MS_ID_NONE, 0);
	return id;
}

/* knumad's enabled state before a test turned it off ("" if it did not) */
static char knumad_was[8];

#define KNUMAD_ENABLED	"/sys/kernel/mm/knumad/enabled"

/*
 * Turn knumad off for a test that counts the group balancer's threads
 * per node: knumad gives other processes in the guest implicit groups,
 * and their members count at their homes too.  Restored by the teardown.
 */
static void knumad_off(void)
{
	const char *was = read_str(KNUMAD_ENABLED);

	knumad_was[0] = 0;
	if (strlen(was) < sizeof(knumad_was))
		strcpy(knumad_was, was);
	if (knumad_was[0] && write_str(KNUMAD_ENABLED, "0"))
		knumad_was[0] = 0;
}

/* Every group in the system with members: "pid:group@home/threads ...". */
static void log_groups(struct __test_metadata *_metadata)
{
	char path[300], line[512], out[1024] = "";
	struct dirent *de;
	int id, home, threads;
	size_t len = 0;
	DIR *d = opendir("/proc");
	FILE *f;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/memsched", de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "group %d home %d threads %d", &id,
				   &home, &threads) == 3 && threads &&
			    len < sizeof(out) - 64)
				len += snprintf(out + len, sizeof(out) - len,
						" %.16s:%d@%d/%d%s", de->d_name,
						id, home, threads,
						strstr(line, "implicit") ?
						"i" : "");
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	TH_LOG("groups with members (pid:group@home/threads, i: implicit):%s",
	       out);
}

FIXTURE(sched) {};
FIXTURE_SETUP(sched) {}
FIXTURE_TEARDOWN(sched)
{
	if (knumad_was[0])
		write_str(KNUMAD_ENABLED, knumad_was);
}

TEST_F_TIMEOUT(sched, two_groups_stay_home, 120)
{
	struct spinner s[4] = {};
	volatile int stop = 0;
	long ids[2];
	long long home_ns, away_ns;
	unsigned int moves;
	int homes[2], g;

	if (nr_nodes() != 2 || sysconf(_SC_NPROCESSORS_ONLN) != 4)
		SKIP(return, "needs 2 nodes x 2 CPUs");
	for (g = 0; g < 2; g++) {
		ids[g] = new_group();
		ASSERT_GT(ids[g], 0);
		start(&s[2 * g], 2, ids[g], &stop);
	}
	sleep(10);
	for (g = 0; g < 2; g++) {
		homes[g] = group_stats(ids[g], &home_ns, &away_ns, &moves);
		ASSERT_GE(homes[g], 0);
		TH_LOG("group %ld home %d: %.1f%% of %.2f s at home, %u moves",
		       ids[g], homes[g], 100.0 * home_ns / (home_ns + away_ns),
		       (home_ns + away_ns) / 1e9, moves);
		EXPECT_GE(home_ns * 100, (home_ns + away_ns) * 95);
	}
	stop = 1;
	join_all(s, 4);
	EXPECT_NE(homes[0], homes[1]);
}

TEST_F_TIMEOUT(sched, three_groups_work_conserving_no_flapping, 120)
{
	struct spinner s[6] = {};
	volatile int stop = 0;
	long ids[3];
	long long home_ns, away_ns;
	unsigned int moves;
	double t0, wall, sum = 0;
	int g, i, cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (nr_nodes() < 2)
		SKIP(return, "needs 2 nodes");
	t0 = now();
	for (g = 0; g < 3; g++) {
		ids[g] = new_group();
		ASSERT_GT(ids[g], 0);
		start(&s[2 * g], 2, ids[g], &stop);
	}
	sleep(10);
	for (g = 0; g < 3; g++) {
		int home = group_stats(ids[g], &home_ns, &away_ns, &moves);

		ASSERT_GE(home, 0);
		TH_LOG("group %ld home %d: %.1f%% at home, %u moves", ids[g],
		       home, 100.0 * home_ns / (home_ns + away_ns + 1), moves);
		EXPECT_LE(moves, 3);
	}
	stop = 1;
	join_all(s, 6);
	wall = now() - t0;
	for (i = 0; i < 6; i++)
		sum += s[i].cputime;
	TH_LOG("6 spinners on %d CPUs: %.2f CPU-s in %.2f s (%.0f%%)", cpus,
	       sum, wall, 100 * sum / (cpus * wall));
	/* No CPU idles while threads wait. */
	EXPECT_GE(sum, 0.9 * cpus * wall);
}

TEST(affinity_beats_home)
{
	struct spinner s[2] = {};
	volatile int stop = 0;
	long id = new_group();
	long long home_ns, away_ns, base;
	unsigned int moves;
	cpu_set_t away;
	int home, cpu, i;

	if (nr_nodes() < 2)
		SKIP(return, "needs 2 nodes");
	ASSERT_GT(id, 0);
	home = group_stats(id, &home_ns, &away_ns, &moves);
	ASSERT_GE(home, 0);
	/* Whatever the creating thread ran at home before it left. */
	base = home_ns;
	CPU_ZERO(&away);
	for (cpu = 0; cpu < sysconf(_SC_NPROCESSORS_ONLN); cpu++)
		if (cpu_node(cpu) != home)
			CPU_SET(cpu, &away);
	for (i = 0; i < 2; i++)
		s[i].affinity = &away;
	start(s, 2, id, &stop);
	sleep(3);
	group_stats(id, &home_ns, &away_ns, &moves);
	stop = 1;
	join_all(s, 2);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, s[i].samples[home]);
	EXPECT_EQ(base, home_ns);
	EXPECT_GT(away_ns, 0);
}

/*
 * Threads each on the next one's home all go home once they may.  One
 * group per node, one spinner each, held for a second on the CPU of the
 * next group's home (a ring), then let go: no CPU is idle, and no
 * thread at a home wants the node the one coming home leaves - only a
 * swap with a thread that is away either way breaks the ring (before:
 * numa02 with THP on 4 nodes, three threads in a ring for 5 s).
 */
TEST_F_TIMEOUT(sched, threads_in_a_ring_all_go_home, 60)
{
	int n = nr_nodes(), cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long long h0[8], a0[8], h1, a1;
	struct spinner s[8] = {};
	volatile int stop = 0;
	cpu_set_t on[8], all;
	int homes[8], g, cpu;
	unsigned int moves;
	long ids[8];

	if (n < 3 || n > 8 || cpus != n)
		SKIP(return, "needs 3 to 8 nodes of one CPU each");
	knumad_off();
	for (g = 0; g < n; g++) {
		ids[g] = new_group();
		ASSERT_GT(ids[g], 0);
		homes[g] = group_stats(ids[g], &h0[g], &a0[g], &moves);
		ASSERT_GE(homes[g], 0);
	}
	/* a ring needs one home per node (new groups go where none is) */
	for (g = 1; g < n; g++)
		for (cpu = 0; cpu < g; cpu++)
			if (homes[g] == homes[cpu])
				SKIP(return, "groups %ld and %ld share home %d",
				     ids[cpu], ids[g], homes[g]);
	for (g = 0; g < n; g++) {
		CPU_ZERO(&on[g]);
		for (cpu = 0; cpu < cpus; cpu++)
			if (cpu_node(cpu) == homes[(g + 1) % n])
				CPU_SET(cpu, &on[g]);
		s[g].affinity = &on[g];
		s[g].group = ids[g];
		s[g].stop = &stop;
		pthread_create(&s[g].thread, NULL, spin, &s[g]);
	}
	sleep(1);
	CPU_ZERO(&all);
	for (cpu = 0; cpu < cpus; cpu++)
		CPU_SET(cpu, &all);
	for (g = 0; g < n; g++)
		ASSERT_EQ(0, pthread_setaffinity_np(s[g].thread, sizeof(all),
						    &all));
	for (g = 0; g < n; g++)
		group_stats(ids[g], &h0[g], &a0[g], &moves);
	sleep(5);
	for (g = 0; g < n; g++) {
		ASSERT_EQ(homes[g], group_stats(ids[g], &h1, &a1, &moves));
		h1 -= h0[g];
		a1 -= a0[g];
		TH_LOG("group %ld home %d (its thread held on node %d first): %.1f%% of %.2f s at home since let go",
		       ids[g], homes[g], homes[(g + 1) % n],
		       100.0 * h1 / (h1 + a1 + 1), (h1 + a1) / 1e9);
		EXPECT_GE(h1 * 100, (h1 + a1) * 80);
	}
	stop = 1;
	join_all(s, n);
}

TEST_F_TIMEOUT(sched, balancer_evens_out_and_memory_follows, 180)
{
	char path[256], first[512] = "", want[96];
	struct spinner s[6] = {};
	volatile int stop = 0;
	long a, b, c, len = 256 * page_size(), filler_len = 256L << 20;
	long long hn, an;
	unsigned int moves;
	unsigned long nodes;
	int ha, hb, hc, h0, i;
	char *ram = map_guarded(len), *filler;
	double t0;

	if (nr_nodes() != 2)
		SKIP(return, "needs 2 nodes");
	/* a: 4 threads; b: none, takes the other node; c: 2 threads. */
	a = new_group();
	b = new_group();
	ASSERT_GT(a, 0);
	ASSERT_GT(b, 0);
	ha = group_stats(a, &hn, &an, &moves);
	hb = group_stats(b, &hn, &an, &moves);
	/* Make b's node the one with less free memory, so c joins a's. */
	filler = map_guarded(filler_len);
	ASSERT_NE(NULL, filler);
	nodes = 1UL << hb;
	ASSERT_EQ(0, sys_mbind(filler, filler_len, MPOL_BIND, &nodes, 64, 0));
	touch(filler, filler_len);
	c = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(c, 0);
	ASSERT_EQ(0, ms_mbind(ram, len, c, 0));
	ms_tbind(0, MS_ID_NONE, 0);
	hc = group_stats(c, &hn, &an, &moves);
	if (hc != ha)
		SKIP(return, "c did not start next to a (home %d vs %d)", hc, ha);
	touch(ram, len);
	ASSERT_EQ(256, pages_on_node(ram, 256, hc));
	h0 = hc;
	/* the home decision must show in the memsched:memsched_group_move event */
	ASSERT_NE(NULL, tracefs());
	snprintf(path, sizeof(path), "%s/trace", tracefs());
	ASSERT_EQ(0, truncate_file(path));
	ASSERT_EQ(0, trace_enable("memsched_group_move", "1"));
	start(s, 4, a, &stop);
	start(&s[4], 2, c, &stop);
	/* 6 threads on one node, none on the other: someone moves. */
	t0 = now();
	while (now() - t0 < 15) {
		if (group_stats(a, &hn, &an, &moves) !=
		    group_stats(c, &hn, &an, &moves))
			break;
		usleep(100000);
	}
	ha = group_stats(a, &hn, &an, &moves);
	hc = group_stats(c, &hn, &an, &moves);
	TH_LOG("after %.1f s: a at %d, c at %d", now() - t0, ha, hc);
	if (ha == hc) {
		char line[768];
		FILE *f = fopen("/proc/self/memsched", "r");

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "group", 5))
				TH_LOG("%s", line);
		if (f)
			fclose(f);
	}
	EXPECT_NE(ha, hc);
	trace_enable("memsched_group_move", "0");
	snprintf(want, sizeof(want), "from=%d to=%d", h0, !h0);
	EXPECT_GE(trace_count("memsched_group_move:", NULL, first, sizeof(first)), 1);
	EXPECT_NE(NULL, strstr(first, want));
	TH_LOG("trace: %s", first);
	/* c's memory follows c's home, if c was the one that moved. */
	for (i = 0; i < 100 && pages_on_node(ram, 256, hc) < 256; i++)
		usleep(100000);
	EXPECT_EQ(256, pages_on_node(ram, 256, hc));
	stop = 1;
	join_all(s, 6);
}

/* /proc/self/memsched into the test log, to explain a failure. */
static void dump_memsched(struct __test_metadata *_metadata)
{
	char line[768];
	FILE *f = fopen("/proc/self/memsched", "r");

	while (f && fgets(line, sizeof(line), f))
		TH_LOG("%s", line);
	if (f)
		fclose(f);
}

/* The "reason" of group @id's last home change, into @buf. */
static int group_reason(long id, char *buf, size_t size)
{
	char line[768], *p;
	FILE *f = fopen("/proc/self/memsched", "r");
	int gid, home, ret = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "group %d home %d", &gid, &home) != 2 ||
		    gid != id)
			continue;
		p = strstr(line, " reason ");
		if (p && sscanf(p, " reason %63s", buf) == 1 && size > 63)
			ret = 0;
		break;
	}
	if (f)
		fclose(f);
	return ret;
}

/* Sum of node @nid's zone high watermarks in kB (/proc/zoneinfo), or -1. */
static long node_high_wmark_kb(int nid)
{
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");
	long pages, sum = -1;
	int n, in = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone", &n) == 1)
			in = n == nid;
		else if (in && sscanf(line, " high %ld", &pages) == 1)
			sum = (sum < 0 ? 0 : sum) + pages * (page_size() / 1024);
	}
	if (f)
		fclose(f);
	return sum;
}

/*
 * Fill node @nid from a child process until it is short of memory as the
 * group balancer sees it (free below the high watermarks + 1/32 of the
 * node, kernel/sched/numa.c) but well above the low watermarks, so the
 * filler is not reclaimed from nor OOM-killed; the child waits on
 * @release.  Returns the child, or -1.
 */
static pid_t fill_node(int nid, int release[2])
{
	long total = node_meminfo_kb(nid, "MemTotal");
	long high = node_high_wmark_kb(nid);
	int ready[2];
	pid_t pid;
	char c;

	if (total <= 0 || high < 0 || pipe(ready) || pipe(release))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		unsigned long mask = 1UL << nid, step = 4UL << 20, len;
		char *p;

		len = (unsigned long)total << 10;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED ||
		    sys_set_mempolicy(MPOL_BIND, &mask, 64))
			_exit(1);
		/*
		 * Huge pages where there are some: a base-page fault costs
		 * so much under KASAN and TCG that filling 1 GiB took 33 s.
		 */
		madvise(p, len, MADV_HUGEPAGE);
		for (unsigned long off = 0; off + step <= len; off += step) {
			if (node_meminfo_kb(nid, "MemFree") < high + total / 64)
				break;
			touch(p + off, step);
		}
		/* and no khugepaged collapse on the full node afterwards */
		madvise(p, len, MADV_NOHUGEPAGE);
		c = 1;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		/* Hold the memory until the parent is done. */
		close(release[1]);
		if (read(release[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	if (read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return -1;
	}
	close(ready[0]);
	return pid;
}

/*
 * A group whose home runs short of memory moves to a node its memory fits
 * on, although the CPUs alone would keep it (1 thread, the other node
 * idle), and its memory follows.  Then it stays.
 */
TEST_F_TIMEOUT(sched, balancer_moves_group_off_a_full_node, 180)
{
	long len = 64L << 20, npages = len / page_size();
	long long hn, an;
	struct spinner s[1] = {};
	volatile int stop = 0;
	char reason[64] = "", *ram;
	unsigned int moves;
	int release[2], home, dst, status, i;
	long id, total, here;
	double t0;
	pid_t hog;

	if (nr_nodes() < 2)
		SKIP(return, "needs 2 nodes");
	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	ram = map_guarded(len);
	ASSERT_NE(NULL, ram);
	ASSERT_EQ(0, ms_mbind(ram, len, id, MS_MBIND_MOVE));
	touch(ram, len);
	ms_tbind(0, MS_ID_NONE, 0);
	home = group_home(id, NULL, 0);
	ASSERT_GE(home, 0);
	here = pages_on_node(ram, npages, home);
	ASSERT_GE(here * 100, npages * 95);
	start(s, 1, id, &stop);

	/* Pages shared with the filler after fork() would not move. */
	ASSERT_EQ(0, madvise(ram, len, MADV_DONTFORK));
	total = node_meminfo_kb(home, "MemTotal");
	hog = fill_node(home, release);
	ASSERT_GT(hog, 0);
	TH_LOG("node %d: %ld of %ld kB free after the filler (high watermarks %ld kB)",
	       home, node_meminfo_kb(home, "MemFree"), total,
	       node_high_wmark_kb(home));

	t0 = now();
	while (now() - t0 < 30 && group_home(id, NULL, 0) == home)
		usleep(100000);
	dst = group_stats(id, &hn, &an, &moves);
	ASSERT_EQ(0, group_reason(id, reason, sizeof(reason)));
	TH_LOG("after %.1f s: home %d -> %d, %u moves, reason %s",
	       now() - t0, home, dst, moves, reason);
	EXPECT_NE(home, dst);
	EXPECT_STREQ("memory", reason);
	EXPECT_EQ(1, moves);
	/* The memory follows, off the full node. */
	for (i = 0; i < 120 && dst != home; i++) {
		here = pages_on_node(ram, npages, dst);
		if (here * 100 >= npages * 95)
			break;
		usleep(500000);
	}
	TH_LOG("%ld of %ld pages on node %d after %.1f s", here, npages, dst,
	       now() - t0);
	if (here * 100 < npages * 95)
		dump_memsched(_metadata);
	EXPECT_GE(here * 100, npages * 95);
	/* No way back: the group stays although the CPUs are uneven. */
	sleep(6);
	EXPECT_EQ(dst, group_stats(id, &hn, &an, &moves));
	EXPECT_EQ(1, moves);

	stop = 1;
	join_all(s, 1);
	close(release[1]);
	ASSERT_EQ(hog, waitpid(hog, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int set_online(int cpu, int on)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return write_str(path, on ? "1" : "0");
}

TEST_F_TIMEOUT(sched, offlining_a_node_moves_its_groups, 60)
{
	long ids[4], id = -1;
	long long hn, an;
	unsigned int moves;
	int g, cpu, home = -1, cpus = sysconf(_SC_NPROCESSORS_CONF);
	double t0;

	if (nr_nodes() < 2 || getuid())
		SKIP(return, "needs 2 nodes and root");
	/* Find a group at home on a node without CPU 0. */
	for (g = 0; g < 4; g++) {
		ids[g] = new_group();
		ASSERT_GT(ids[g], 0);
		home = group_stats(ids[g], &hn, &an, &moves);
		if (home != cpu_node(0)) {
			id = ids[g];
			break;
		}
	}
	ASSERT_GT(id, 0);
	for (cpu = 0; cpu < cpus; cpu++)
		if (cpu_node(cpu) == home)
			ASSERT_EQ(0, set_online(cpu, 0));
	t0 = now();
	while (now() - t0 < 10 && group_stats(id, &hn, &an, &moves) == home)
		usleep(100000);
	EXPECT_NE(home, group_stats(id, &hn, &an, &moves));
	TH_LOG("group left node %d after %.1f s", home, now() - t0);
	for (cpu = 0; cpu < cpus; cpu++)
		if (cpu_node(cpu) == home || cpu_node(cpu) < 0)
			set_online(cpu, 1);
	for (cpu = 0; cpu < cpus; cpu++) {
		char path[96];

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/online", cpu);
		if (cpu)
			EXPECT_EQ(1, read_long(path));
	}
}

/* Does the /proc/self/numa_maps line of the VMA at @addr contain @what? */
static bool numa_maps_has(void *addr, const char *what)
{
	char line[1024], start[32];
	bool found = false;
	FILE *f = fopen("/proc/self/numa_maps", "r");

	if (!f)
		return false;
	snprintf(start, sizeof(start), "%lx ", (unsigned long)addr);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, start, strlen(start))) {
			found = strstr(line, what) != NULL;
			break;
		}
	fclose(f);
	return found;
}

/*
 * A home change moves the group's ranges, and only they cost work: a
 * 64 TiB PROT_NONE reservation below the bound range (an address-space
 * layout like a sanitizer's) is skipped in one step.  The mover walked
 * it 2 MiB every 10 ms, so the range never reached the new home.
 */
TEST_F_TIMEOUT(sched, mover_skips_unbound_address_space, 90)
{
	unsigned long len = 8UL << 20, big = 64UL << 40, n = len / page_size();
	int g, cpu, home = -1, dst, cpus = sysconf(_SC_NPROCESSORS_CONF);
	long ids[4], id = -1, policy_mode;
	unsigned long policy_nodes;
	long long hn, an;
	unsigned int moves;
	char *buf, *res, want[32];
	double t0, t1, share = 0;
	bool maps_line;

	if (nr_nodes() < 2 || getuid())
		SKIP(return, "needs 2 nodes and root");
	for (g = 0; g < 4; g++) {
		ids[g] = new_group();
		ASSERT_GT(ids[g], 0);
		home = group_stats(ids[g], &hn, &an, &moves);
		if (home != cpu_node(0)) {
			id = ids[g];
			break;
		}
	}
	ASSERT_GT(id, 0);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, ms_mbind(buf, len, id, MS_MBIND_MOVE));
	memset(buf, 1, len);
	ASSERT_GE(pages_on_node(buf, n, home), (long)n * 95 / 100);
	/* mapped after, so below it: the mover meets it first */
	res = mmap(NULL, big, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	ASSERT_LT(res, buf);

	for (cpu = 0; cpu < cpus; cpu++)
		if (cpu_node(cpu) == home)
			ASSERT_EQ(0, set_online(cpu, 0));
	t0 = now();
	while (now() - t0 < 15 && group_stats(id, &hn, &an, &moves) == home)
		usleep(100000);
	dst = group_stats(id, &hn, &an, &moves);
	t1 = now();
	while (dst != home && now() - t1 < 15) {
		share = (double)pages_on_node(buf, n, dst) / n;
		if (share >= 0.95)
			break;
		usleep(100000);
	}
	TH_LOG("home %d -> %d after %.1f s; %.1f%% of the 8 MiB range there %.1f s later",
	       home, dst, t1 - t0, share * 100, now() - t1);
	/* get_mempolicy() and numa_maps answer the home now, not then */
	policy_mode = addr_policy(buf, &policy_nodes);
	snprintf(want, sizeof(want), "prefer:%d", dst);
	maps_line = numa_maps_has(buf, want);
	for (cpu = 0; cpu < cpus; cpu++)
		if (cpu_node(cpu) == home || cpu_node(cpu) < 0)
			set_online(cpu, 1);
	EXPECT_NE(home, dst);
	EXPECT_GE(share, 0.95);
	EXPECT_EQ(MPOL_PREFERRED, policy_mode);
	EXPECT_EQ(1UL << dst, policy_nodes);
	EXPECT_TRUE(maps_line);
	munmap(res, big);
	munmap(buf, len);
}

/* Put this process in a cgroup whose cpuset allows node 0 only. */
static int enter_node0_cpuset(void)
{
	char cpus[64] = "", buf[32];
	int cpu, n = sysconf(_SC_NPROCESSORS_ONLN);

	for (cpu = 0; cpu < n; cpu++) {
		if (cpu_node(cpu) != 0)
			continue;
		snprintf(buf, sizeof(buf), "%s%d", cpus[0] ? "," : "", cpu);
		strcat(cpus, buf);
	}
	if (write_str("/sys/fs/cgroup/cgroup.subtree_control", "+cpuset"))
		return -1;
	mkdir("/sys/fs/cgroup/memsched-node0", 0755);
	if (write_str("/sys/fs/cgroup/memsched-node0/cpuset.cpus", cpus) ||
	    write_str("/sys/fs/cgroup/memsched-node0/cpuset.mems", "0"))
		return -1;
	snprintf(buf, sizeof(buf), "%d", getpid());
	return write_str("/sys/fs/cgroup/memsched-node0/cgroup.procs", buf);
}

TEST_F_TIMEOUT(sched, cpuset_confines_home_and_balancer, 60)
{
	struct spinner s[4] = {};
	volatile int stop = 0;
	long long hn, an;
	unsigned int moves;
	long ids[2];
	int g;

	if (nr_nodes() < 2 || getuid())
		SKIP(return, "needs 2 nodes and root");
	if (enter_node0_cpuset())
		SKIP(return, "no cgroup2 cpuset controller");
	/* Both homes on node 0, however crowded, and they stay there. */
	for (g = 0; g < 2; g++) {
		ids[g] = new_group();
		ASSERT_GT(ids[g], 0);
		EXPECT_EQ(0, group_stats(ids[g], &hn, &an, &moves));
		start(&s[2 * g], 2, ids[g], &stop);
	}
	sleep(8);
	for (g = 0; g < 2; g++) {
		EXPECT_EQ(0, group_stats(ids[g], &hn, &an, &moves));
		EXPECT_EQ(0, moves);
	}
	stop = 1;
	join_all(s, 4);
	for (g = 0; g < 4; g++)
		EXPECT_EQ(0, s[g].samples[1]);
}

/*
 * A process started in a cpuset of node 0 and then given every node - a
 * VMM started confined, as the QEMU end-to-end test does - gets its groups
 * spread: the balancer reads the members' cpusets now.  It used to keep
 * the creator's cpuset of the group's creation for good, and both homes
 * stayed on node 0.
 */
TEST_F_TIMEOUT(sched, widened_cpuset_lets_groups_spread, 60)
{
	struct spinner s[2] = {};
	volatile int stop = 0;
	long long hn, an;
	unsigned int moves;
	int g, homes[2];
	long ids[2];
	double t0;

	if (nr_nodes() < 2 || getuid())
		SKIP(return, "needs 2 nodes and root");
	if (enter_node0_cpuset())
		SKIP(return, "no cgroup2 cpuset controller");
	/*
	 * One thread of another group at home on node 1 is enough to keep
	 * both homes on node 0 (threads per CPU 1024 against 512 before,
	 * 512 against 1024 after: no gain of half a thread per CPU) - the
	 * balancer's rule, not a failure of this test's case: knumad's
	 * implicit groups for other processes in the guest stay out of it.
	 * Failed once in a fresh-clone make test (2026-12-02), homes 0 and
	 * 0 after 23.5 s, cause not seen (an implicit group at home on
	 * node 1 is the likely one); the groups present are logged now.
	 */
	knumad_off();
	for (g = 0; g < 2; g++) {
		ids[g] = new_group();
		ASSERT_GT(ids[g], 0);
		EXPECT_EQ(0, group_stats(ids[g], &hn, &an, &moves));
		start(&s[g], 1, ids[g], &stop);
	}
	/* every CPU and node: the parent's cpuset */
	ASSERT_EQ(0, write_str("/sys/fs/cgroup/memsched-node0/cpuset.mems",
			       read_str("/sys/fs/cgroup/cpuset.mems.effective")));
	ASSERT_EQ(0, write_str("/sys/fs/cgroup/memsched-node0/cpuset.cpus",
			       read_str("/sys/fs/cgroup/cpuset.cpus.effective")));
	t0 = now();
	do {
		usleep(200000);
		for (g = 0; g < 2; g++)
			homes[g] = group_stats(ids[g], &hn, &an, &moves);
	} while (homes[0] == homes[1] && now() - t0 < 20);
	TH_LOG("homes %d and %d %.1f s after the cpuset was widened",
	       homes[0], homes[1], now() - t0);
	if (homes[0] == homes[1])
		log_groups(_metadata);
	stop = 1;
	join_all(s, 2);
	EXPECT_NE(homes[0], homes[1]);
}

TEST(ungrouped_spinners_spread_evenly)
{
	struct spinner s[4] = {};
	volatile int stop = 0;
	double min = 1e9, max = 0;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) != 4)
		SKIP(return, "needs 4 CPUs");
	start(s, 4, 0, &stop);
	sleep(4);
	stop = 1;
	join_all(s, 4);
	for (i = 0; i < 4; i++) {
		min = s[i].cputime < min ? s[i].cputime : min;
		max = s[i].cputime > max ? s[i].cputime : max;
	}
	TH_LOG("4 ungrouped spinners: %.2f..%.2f CPU-s", min, max);
	EXPECT_GE(min, 0.8 * max);
}

TEST_HARNESS_MAIN
