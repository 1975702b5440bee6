// SPDX-License-Identifier: GPL-2.0
/*
 * ms_tbind(2) and ms_mbind(2): every argument check and errno, permissions
 * as an unprivileged user, the per-user group quota, the sysfs knobs, and
 * VMA splitting and merging counted in /proc/self/maps.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "../kselftest_harness.h"
#include "memsched_util.h"

#define KNOB_MAX_GROUPS "/sys/kernel/mm/memsched/max_groups_per_user"
#define KNOB_INTERVAL "/sys/kernel/mm/memsched/move_interval_ms"

/* Run @fn in a child as uid/gid 65534; returns the child's exit status. */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(fn(arg));
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 101;
}

TEST(tbind_new_get_none)
{
	long id = ms_tbind(0, MS_ID_NEW, 0);

	ASSERT_GT(id, 0);
	EXPECT_EQ(id, ms_tbind(0, MS_ID_GET, 0));
	EXPECT_EQ(id, ms_tbind(gettid(), MS_ID_GET, 0));
	EXPECT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	EXPECT_EQ(0, ms_tbind(0, MS_ID_GET, 0));
	/* Leaving twice is fine. */
	EXPECT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
}

TEST(tbind_join_existing)
{
	long a = ms_tbind(0, MS_ID_NEW, 0), b;
	char *p = map_guarded(page_size());

	ASSERT_GT(a, 0);
	/* A range keeps group a alive while the thread moves on. */
	ASSERT_EQ(0, ms_mbind(p, page_size(), a, 0));
	b = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(b, 0);
	EXPECT_NE(a, b);
	EXPECT_EQ(0, ms_tbind(0, a, 0));
	EXPECT_EQ(a, ms_tbind(0, MS_ID_GET, 0));
	EXPECT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	munmap(p - page_size(), 3 * page_size());
}

TEST(tbind_errors)
{
	EXPECT_EQ(-1, ms_tbind(0, MS_ID_NEW, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_tbind(0, MS_ID_GET, ~0UL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_tbind(0, -3, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_tbind(-1, MS_ID_GET, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_tbind(0x3ffffff0, MS_ID_GET, 0));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, ms_tbind(0x3ffffff0, MS_ID_NEW, 0));
	EXPECT_EQ(ESRCH, errno);
	/* No such group: state unchanged. */
	EXPECT_EQ(-1, ms_tbind(0, 0x7ffffff0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ms_tbind(0, MS_ID_GET, 0));
	/* Kernel threads cannot be grouped (kthreadd is pid 2). */
	EXPECT_EQ(-1, ms_tbind(2, MS_ID_NEW, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST(ids_not_reused)
{
	long a, b;
	int i;

	a = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(a, 0);
	ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	/* Group a is gone once its release work ran: joining it fails. */
	for (i = 0; i < 100 && ms_tbind(0, a, 0) == 0; i++) {
		ms_tbind(0, MS_ID_NONE, 0);
		usleep(10000);
	}
	EXPECT_EQ(-1, ms_tbind(0, a, 0));
	EXPECT_EQ(EINVAL, errno);
	b = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(b, 0);
	EXPECT_NE(a, b);
	ms_tbind(0, MS_ID_NONE, 0);
}

static int other_thread_tid;
static void *idle_thread(void *arg)
{
	other_thread_tid = gettid();
	pause();
	return NULL;
}

TEST(tbind_other_thread_and_fork_inherit)
{
	pthread_t t;
	long id;
	int status;
	pid_t pid;

	ASSERT_EQ(0, pthread_create(&t, NULL, idle_thread, NULL));
	while (!__atomic_load_n(&other_thread_tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	id = ms_tbind(other_thread_tid, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	EXPECT_EQ(id, ms_tbind(other_thread_tid, MS_ID_GET, 0));
	EXPECT_EQ(0, ms_tbind(0, MS_ID_GET, 0));

	ASSERT_EQ(0, ms_tbind(0, id, 0));
	pid = fork();
	if (pid == 0)
		_exit(ms_tbind(0, MS_ID_GET, 0) == id ? 0 : 1);
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pthread_cancel(t);
	pthread_join(t, NULL);
	ms_tbind(0, MS_ID_NONE, 0);
}

static int try_bind_root_pid(void *arg)
{
	/* Another user's process: the ptrace rules say no. */
	if (ms_tbind(*(pid_t *)arg, MS_ID_NEW, 0) != -1 || errno != EPERM)
		return 1;
	if (ms_tbind(*(pid_t *)arg, MS_ID_NONE, 0) != -1 || errno != EPERM)
		return 2;
	/*
	 * Nor may it read the group id: as for /proc/<pid>/memsched
	 * (PTRACE_MODE_READ).  The old code answered any caller.
	 */
	if (ms_tbind(*(pid_t *)arg, MS_ID_GET, 0) != -1 || errno != EPERM)
		return 3;
	return 0;
}

static int try_join_root_group(void *arg)
{
	long id = *(long *)arg, own;
	char *p = map_guarded(page_size());

	/* fork() put us in the parent's group; leaving is always allowed. */
	if (ms_tbind(0, MS_ID_NONE, 0))
		return 6;
	if (ms_tbind(0, id, 0) != -1 || errno != EPERM)
		return 1;
	if (ms_tbind(0, MS_ID_GET, 0) != 0)
		return 2;
	if (ms_mbind(p, page_size(), id, 0) != -1 || errno != EPERM)
		return 3;
	/* Its own groups are fine. */
	own = ms_tbind(0, MS_ID_NEW, 0);
	if (own <= 0)
		return 4;
	if (ms_mbind(p, page_size(), own, 0))
		return 5;
	return 0;
}

TEST(permissions_unprivileged)
{
	pid_t self = getpid();
	long id;

	if (getuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	ASSERT_EQ(0, as_nobody(try_bind_root_pid, &self));
	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	EXPECT_EQ(0, as_nobody(try_join_root_group, &id));
	ms_tbind(0, MS_ID_NONE, 0);
}

static int quota_of_two(void *arg)
{
	char *p = map_guarded(4 * page_size());
	long a, b, c;

	/* Each group stays alive through a bound page. */
	a = ms_tbind(0, MS_ID_NEW, 0);
	if (a <= 0 || ms_mbind(p, page_size(), a, 0))
		return 1;
	b = ms_tbind(0, MS_ID_NEW, 0);
	if (b <= 0 || ms_mbind(p + page_size(), page_size(), b, 0))
		return 2;
	c = ms_tbind(0, MS_ID_NEW, 0);
	if (c != -1 || errno != EDQUOT)
		return 3;
	/* Refused creation left the thread where it was. */
	if (ms_tbind(0, MS_ID_GET, 0) != b)
		return 4;
	return 0;
}

TEST(per_user_quota)
{
	long old = read_long(KNOB_MAX_GROUPS);

	ASSERT_GT(old, 0);
	if (getuid() != 0)
		SKIP(return, "needs root to set the quota");
	ASSERT_EQ(0, write_str(KNOB_MAX_GROUPS, "2"));
	EXPECT_EQ(0, as_nobody(quota_of_two, NULL));
	ASSERT_EQ(0, write_str(KNOB_MAX_GROUPS, "1024"));
	if (old != 1024) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%ld", old);
		write_str(KNOB_MAX_GROUPS, buf);
	}
}

TEST(sysfs_knobs_validate)
{
	static const char * const bad[] = { "\n", "abc", "-1", "0", "1x",
		"99999999999999999999" };
	static const char * const knobs[] = { KNOB_MAX_GROUPS, KNOB_INTERVAL };
	unsigned int i, k;

	if (getuid() != 0)
		SKIP(return, "needs root to write sysfs");
	for (k = 0; k < 2; k++) {
		long before = read_long(knobs[k]);

		ASSERT_GE(before, 0);
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			/* 0 is a valid move interval. */
			if (k == 1 && !strcmp(bad[i], "0"))
				continue;
			EXPECT_EQ(-EINVAL, write_str(knobs[k], bad[i]))
				TH_LOG("%s <- '%s'", knobs[k], bad[i]);
			EXPECT_EQ(before, read_long(knobs[k]));
		}
	}
	EXPECT_EQ(-EINVAL, write_str(KNOB_INTERVAL, "60001"));
}

FIXTURE(range) {
	char *p;
	long pg, id;
};

FIXTURE_SETUP(range)
{
	self->pg = page_size();
	self->p = map_guarded(16 * self->pg);
	ASSERT_NE(NULL, self->p);
	self->id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(self->id, 0);
}

FIXTURE_TEARDOWN(range)
{
	munmap(self->p - self->pg, 18 * self->pg);
	ms_tbind(0, MS_ID_NONE, 0);
}

TEST_F(range, mbind_errors)
{
	char *p = self->p;
	long pg = self->pg;
	int before = vmas_in(p, p + 16 * pg);

	EXPECT_EQ(-1, ms_mbind(p + 1, pg, self->id, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_mbind(p, pg, self->id, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_mbind(p, pg, MS_ID_NEW, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_mbind(p, pg, MS_ID_GET, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_mbind(p, pg, 0x7ffffff0, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_mbind((void *)(-pg), 2 * pg, self->id, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_mbind(p, -1UL, self->id, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Unmap the upper half: a range reaching into it is EFAULT. */
	ASSERT_EQ(0, munmap(p + 8 * pg, 9 * pg));
	EXPECT_EQ(-1, ms_mbind(p + 8 * pg, 4 * pg, self->id, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ms_mbind(p, 12 * pg, self->id, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ms_mbind(p, 12 * pg, MS_ID_NONE, 0));
	EXPECT_EQ(EFAULT, errno);
	/* Nothing was split by the refused calls. */
	EXPECT_EQ(before, vmas_in(p, p + 8 * pg));
	EXPECT_EQ(0, memsched_lines("range", self->id));
	/* len 0 succeeds and does nothing; len rounds up to a page. */
	EXPECT_EQ(0, ms_mbind(p, 0, self->id, 0));
	EXPECT_EQ(0, memsched_lines("range", self->id));
	EXPECT_EQ(0, ms_mbind(p, 1, self->id, 0));
	EXPECT_EQ(1, memsched_lines("range", self->id));
}

TEST_F(range, hole_in_the_middle_is_efault)
{
	char *p = self->p;
	long pg = self->pg;

	ASSERT_EQ(0, munmap(p + 4 * pg, pg));
	EXPECT_EQ(-1, ms_mbind(p, 8 * pg, self->id, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, memsched_lines("range", self->id));
}

/* A refused unbinding changes nothing: both bound pieces stay bound. */
TEST_F(range, unbind_over_a_hole_changes_nothing)
{
	char *p = self->p;
	long pg = self->pg;

	ASSERT_EQ(0, ms_mbind(p, 8 * pg, self->id, 0));
	ASSERT_EQ(0, munmap(p + 4 * pg, pg));
	ASSERT_EQ(2, memsched_lines("range", self->id));
	EXPECT_EQ(-1, ms_mbind(p, 8 * pg, MS_ID_NONE, 0));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(2, memsched_lines("range", self->id));
	EXPECT_EQ(0, ms_mbind(p, 4 * pg, MS_ID_NONE, 0));
	EXPECT_EQ(1, memsched_lines("range", self->id));
}

/*
 * A binding of a file mapping with a shared policy (tmpfs, memfd) goes
 * into the file: it decides where every mapper's pages go and keeps the
 * group alive as long as the file lives.  Only a file opened for writing
 * may be bound.  (make stress found an unprivileged process binding its
 * own executable, a root-owned file on tmpfs mapped read-only: the group
 * and the user's quota slot outlived the process.)
 */
TEST_F(range, readonly_shared_file_is_eacces)
{
	long pg = self->pg;
	int fd = memfd_create("ro", 0), rfd;
	char path[64];
	void *p, *q;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 4 * pg));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY);
	ASSERT_GE(rfd, 0);
	p = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE, rfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, ms_mbind(p, 4 * pg, self->id, 0));
	EXPECT_EQ(EACCES, errno);
	/* the same file through a descriptor open for writing: bound */
	q = mmap(NULL, 4 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(0, ms_mbind(q, 4 * pg, self->id, 0));
	EXPECT_EQ(0, ms_mbind(q, 4 * pg, MS_ID_NONE, 0));
	munmap(p, 4 * pg);
	munmap(q, 4 * pg);
	close(rfd);
	close(fd);
}

/*
 * hugetlb ranges bind and unbind, but only at huge page boundaries: a
 * call that would split a hugetlb VMA inside a huge page is EINVAL and
 * changes nothing, not even the VMAs before it in the range.  Unbinding
 * splits only bound VMAs: inside a huge page of one that is not bound it
 * is a no-op.
 */
TEST_F(range, hugetlb_binds_at_huge_page_boundaries)
{
	long huge = 2 << 20;
	char *h;

	write_str("/proc/sys/vm/nr_hugepages", "2");
	h = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (h == MAP_FAILED) {
		write_str("/proc/sys/vm/nr_hugepages", "0");
		SKIP(return, "no hugetlb pages");
	}
	/*
	 * unbinding part of a huge page of a VMA that is not bound changes
	 * nothing, so it is not refused (it was EINVAL)
	 */
	EXPECT_EQ(0, ms_mbind(h, huge / 2, MS_ID_NONE, 0));
	EXPECT_EQ(0, ms_mbind(h + huge / 2, huge, MS_ID_NONE, 0));
	EXPECT_EQ(1, vmas_in(h, h + 2 * huge));
	/* half a huge page, at either end */
	EXPECT_EQ(-1, ms_mbind(h, huge / 2, self->id, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_mbind(h + huge / 2, huge / 2, self->id, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, vmas_in(h, h + 2 * huge));
	EXPECT_EQ(0, memsched_lines("range", self->id));
	/* one huge page of two: the VMA splits there */
	EXPECT_EQ(0, ms_mbind(h + huge, huge, self->id, 0));
	EXPECT_EQ(2, vmas_in(h, h + 2 * huge));
	EXPECT_EQ(1, memsched_lines("range", self->id));
	/*
	 * unbinding checks the bound VMAs the same way, under the write
	 * lock; the unbound one beside them does not count
	 */
	EXPECT_EQ(-1, ms_mbind(h + huge, huge / 2, MS_ID_NONE, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ms_mbind(h + huge / 2, huge, MS_ID_NONE, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ms_mbind(h + huge / 2, huge / 2, MS_ID_NONE, 0));
	EXPECT_EQ(2, vmas_in(h, h + 2 * huge));
	EXPECT_EQ(1, memsched_lines("range", self->id));
	EXPECT_EQ(0, ms_mbind(h, 2 * huge, MS_ID_NONE, 0));
	EXPECT_EQ(0, memsched_lines("range", self->id));
	/* hugetlb VMAs do not merge back (->close), as after mbind() */
	EXPECT_EQ(2, vmas_in(h, h + 2 * huge));
	munmap(h, 2 * huge);
	write_str("/proc/sys/vm/nr_hugepages", "0");
}

TEST_F(range, split_and_merge_counted_in_maps)
{
	char *p = self->p;
	long pg = self->pg;

	ASSERT_EQ(1, vmas_in(p, p + 16 * pg));
	/* Binding the middle splits the VMA in three. */
	ASSERT_EQ(0, ms_mbind(p + 4 * pg, 4 * pg, self->id, 0));
	EXPECT_EQ(3, vmas_in(p, p + 16 * pg));
	EXPECT_EQ(1, memsched_lines("range", self->id));
	/* An adjacent binding to the same group merges with it. */
	ASSERT_EQ(0, ms_mbind(p + 8 * pg, 4 * pg, self->id, 0));
	EXPECT_EQ(3, vmas_in(p, p + 16 * pg));
	/* Binding again is a no-op. */
	ASSERT_EQ(0, ms_mbind(p + 4 * pg, 8 * pg, self->id, 0));
	EXPECT_EQ(3, vmas_in(p, p + 16 * pg));
	/* Unbinding part splits; unbinding all merges back to one VMA. */
	ASSERT_EQ(0, ms_mbind(p + 6 * pg, 2 * pg, MS_ID_NONE, 0));
	EXPECT_EQ(5, vmas_in(p, p + 16 * pg));
	EXPECT_EQ(2, memsched_lines("range", self->id));
	ASSERT_EQ(0, ms_mbind(p, 16 * pg, MS_ID_NONE, 0));
	EXPECT_EQ(1, vmas_in(p, p + 16 * pg));
	EXPECT_EQ(0, memsched_lines("range", self->id));
}

/*
 * ms_mbind(MS_ID_NONE) unbinds what is bound and nothing else: a policy
 * the process set with mbind() stays.  It used to reset the whole range
 * to the default policy, as mbind(MPOL_DEFAULT) does.
 */
TEST_F(range, unbind_keeps_an_mbind_policy)
{
	unsigned long node0 = 1, nodes;
	char *p = self->p;
	long pg = self->pg;

	ASSERT_EQ(0, sys_mbind(p, 4 * pg, MPOL_BIND, &node0, 64, 0));
	ASSERT_EQ(0, ms_mbind(p + 4 * pg, 4 * pg, self->id, 0));
	EXPECT_EQ(MPOL_PREFERRED, addr_policy(p + 4 * pg, &nodes));
	ASSERT_EQ(0, ms_mbind(p, 16 * pg, MS_ID_NONE, 0));
	EXPECT_EQ(MPOL_BIND, addr_policy(p, &nodes));
	EXPECT_EQ(1UL, nodes);
	EXPECT_EQ(MPOL_DEFAULT, addr_policy(p + 4 * pg, &nodes));
	EXPECT_EQ(0, memsched_lines("range", self->id));
	/* bound, mbind()-bound and default: three VMAs became two */
	EXPECT_EQ(2, vmas_in(p, p + 16 * pg));
}

TEST_F(range, different_groups_do_not_merge)
{
	char *p = self->p;
	long pg = self->pg, other;

	ASSERT_EQ(0, ms_mbind(p, 4 * pg, self->id, 0));
	other = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(other, 0);
	ASSERT_EQ(0, ms_mbind(p + 4 * pg, 4 * pg, other, 0));
	EXPECT_EQ(3, vmas_in(p, p + 16 * pg));
	/* Rebinding moves the range between groups. */
	ASSERT_EQ(0, ms_mbind(p + 4 * pg, 4 * pg, self->id, 0));
	EXPECT_EQ(2, vmas_in(p, p + 16 * pg));
	EXPECT_EQ(0, memsched_lines("range", other));
}

/* slab_unreclaimable of the cgroup at @dir, once the stats are flushed */
static long slab_bytes(const char *dir)
{
	char path[128], line[128];
	long v = -1;
	FILE *f;

	sleep(3);	/* memcg statistics are flushed every 2 s */
	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "slab_unreclaimable %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/*
 * 2500 ranges: about 140 KB of policies (4000 measured 259 KB more for
 * ms_mbind than for mprotect), far above the counters' noise (a few KB
 * of per-CPU batching).  On the debug kernel under TCG an mprotect split
 * costs about 1.8 ms and an ms_mbind 4 ms: 16000 took 163 s of a make
 * test, 4000 47 s.
 */
#define CHARGE_RANGES 2500L

/*
 * Child of bound_ranges_are_charged, in @dir: the slab bytes charged for
 * CHARGE_RANGES ranges split off by mprotect() (VMAs only) and for as many
 * bound by ms_mbind() (VMAs and one memory policy each), into res[0..1].
 * Both mappings stay until the end: VMAs are freed after an RCU grace
 * period, and a munmap() between the two counts would credit the second
 * with whatever of the first is freed meanwhile (seen on a loaded machine:
 * ms_mbind 75 KB below mprotect).
 */
static int charge_child(const char *dir, long *res)
{
	unsigned long len = 2 * CHARGE_RANGES * page_size();
	long pg = page_size(), i, before;
	char buf[32], procs[160], *p, *q;
	int id;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	snprintf(buf, sizeof(buf), "%d", getpid());
	if (write_str(procs, buf))
		return 4;
	id = ms_tbind(0, MS_ID_NEW, 0);
	if (id <= 0)
		return 5;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	q = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED || q == MAP_FAILED)
		return 6;
	before = slab_bytes(dir);
	for (i = 0; i < CHARGE_RANGES; i++)
		if (mprotect(p + 2 * i * pg, pg, PROT_READ))
			return 7;
	res[0] = slab_bytes(dir) - before;
	before = slab_bytes(dir);
	for (i = 0; i < CHARGE_RANGES; i++)
		if (ms_mbind(q + 2 * i * pg, pg, id, 0))
			return 8;
	res[1] = slab_bytes(dir) - before;
	munmap(p, len);
	munmap(q, len);
	return 0;
}

/*
 * A bound range is a VMA and a memory policy.  A process can hold as many
 * as vm.max_map_count of them; the VMAs were charged to its memory cgroup,
 * the policies were not.  Split the same number of ranges with mprotect()
 * and with ms_mbind(): the second must cost about one policy more each.
 */
FIXTURE(charge) {
};

FIXTURE_SETUP(charge)
{
}

FIXTURE_TEARDOWN(charge)
{
}

TEST_F_TIMEOUT(charge, bound_ranges_are_charged, 180)
{
	const char *dir = "/sys/fs/cgroup/memsched-charge";
	long *res, policy, status;
	int st;
	pid_t pid;

	if (getuid())
		SKIP(return, "needs root for a cgroup");
	if (write_str("/sys/fs/cgroup/cgroup.subtree_control", "+memory"))
		SKIP(return, "no cgroup2 memory controller");
	/* both mappings split: 4 VMAs per range, and a margin */
	if (read_long("/proc/sys/vm/max_map_count") < 4 * CHARGE_RANGES + 1000)
		SKIP(return, "vm.max_map_count below %ld",
		     4 * CHARGE_RANGES + 1000);
	policy = read_long("/sys/kernel/slab/numa_policy/slab_size");
	if (policy <= 0)
		SKIP(return, "no /sys/kernel/slab/numa_policy");
	res = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	mkdir(dir, 0755);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(charge_child(dir, res));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	rmdir(dir);
	ASSERT_TRUE(WIFEXITED(st));
	status = WEXITSTATUS(st);
	if (status == 4)
		SKIP(return, "cannot enter the cgroup");
	ASSERT_EQ(0, status);
	TH_LOG("%ld ranges: mprotect %ld bytes of slab, ms_mbind %ld; a policy is %ld",
	       CHARGE_RANGES, res[0], res[1], policy);
	EXPECT_GT(res[0], 0);
	EXPECT_GE(res[1] - res[0], CHARGE_RANGES * policy / 2);
}

TEST(without_group_syscall_numbers)
{
	/* The numbers are the documented ones: 600 and 601. */
	EXPECT_EQ(600, __NR_ms_tbind);
	EXPECT_EQ(601, __NR_ms_mbind);
}

/*
 * 463 and 464 are mainline's setxattrat and getxattrat from Linux 6.13
 * on: a program built against newer headers must get ENOSYS here, not
 * ms_tbind/ms_mbind run with its arguments (which answered EINVAL: a
 * negative tid, AT_FDCWD).
 */
TEST(mainline_numbers_are_not_ours)
{
	char value[16];

	errno = 0;
	EXPECT_EQ(-1, syscall(463, -100, "/", 0, "user.x", NULL, 0));
	EXPECT_EQ(ENOSYS, errno);
	errno = 0;
	EXPECT_EQ(-1, syscall(464, -100, "/", 0, "user.x", value, 0));
	EXPECT_EQ(ENOSYS, errno);
	/* and the memsched calls answer at their own numbers */
	EXPECT_GE(syscall(600, 0, MS_ID_GET, 0), 0);
}

TEST_HARNESS_MAIN
