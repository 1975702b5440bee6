// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures on the ms_tbind() and ms_mbind() paths.  Each
 * allocation a call makes is made to fail in turn - the n-th slab or page
 * allocation of the calling thread, through /proc/thread-self/fail-nth
 * with failslab and fail_page_alloc - until a call runs with no failure
 * left to inject.  A call that met a failure either succeeded anyway or
 * failed with ENOMEM, and then changed nothing: group membership, VMAs
 * and policies as before.  The one exception is documented in
 * ms_mbind(2): after ENOMEM part of the range may be bound, so each page
 * must then have either its old policy or the new one.  vm-run's
 * kmemleak scan after the run checks that no failure path leaked.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include "../kselftest_harness.h"
#include "memsched_util.h"

#define MAX_NTH 3000
#define NPAGES	32

static int fail_fd = -1;

static const char *const fi_knobs[][2] = {
	{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/failslab/verbose", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
};

/* 0, or -1 with a reason when fault injection is not available. */
static int fi_setup(const char **why)
{
	unsigned int i;

	if (getuid()) {
		*why = "needs root";
		return -1;
	}
	for (i = 0; i < sizeof(fi_knobs) / sizeof(fi_knobs[0]); i++) {
		if (write_str(fi_knobs[i][0], fi_knobs[i][1])) {
			*why = "no failslab/fail_page_alloc in debugfs";
			return -1;
		}
	}
	fail_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fail_fd < 0) {
		*why = "no /proc/thread-self/fail-nth";
		return -1;
	}
	return 0;
}

/* Fail this thread's @n-th allocation from now on (0: none). */
static void fail_nth(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(fail_fd, buf, len, 0) != len)
		abort();
}

/* Was the failure set up by fail_nth() injected?  Resets it. */
static bool injected(void)
{
	char buf[16] = "";

	if (pread(fail_fd, buf, sizeof(buf) - 1, 0) <= 0)
		abort();
	fail_nth(0);
	return atoi(buf) == 0;
}

/* The VMAs and policies of [p, p + len) as /proc/self/numa_maps has them. */
static void range_state(void *p, unsigned long len, char *out, size_t size)
{
	unsigned long a = (unsigned long)p, s, e;
	char line[512];
	size_t used = 0;
	FILE *f;

	out[0] = 0;
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &s, &e) != 2 || e <= a || s >= a + len)
			continue;
		used += snprintf(out + used, size - used, "%lx-%lx;", s, e);
	}
	if (f)
		fclose(f);
	f = fopen("/proc/self/numa_maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char pol[64];

		if (sscanf(line, "%lx %63s", &s, pol) != 2 || s < a || s >= a + len)
			continue;
		used += snprintf(out + used, size - used, "%lx %s;", s, pol);
	}
	if (f)
		fclose(f);
}

static long group_of(pid_t tid)
{
	return ms_tbind(tid, MS_ID_GET, 0);
}

struct sweep {
	int calls, injections, enomem, survived;
};

static void sweep_log(struct __test_metadata *_metadata, const char *what,
		      struct sweep *sw)
{
	TH_LOG("%s: %d calls, %d failures injected: %d ENOMEM, %d succeeded anyway",
	       what, sw->calls, sw->injections, sw->enomem, sw->survived);
}

/*
 * A failed MS_ID_NEW must not count against the user's quota: after the
 * sweep, exactly max_groups_per_user groups can still be made.
 */
TEST(failed_new_groups_are_not_counted)
{
	long old = read_long("/sys/kernel/mm/memsched/max_groups_per_user");
	int n, made = 0, failed = 0;
	char *p = map_guarded(16 * page_size());
	const char *why;
	char buf[24];
	long id;

	if (fi_setup(&why))
		SKIP(return, "%s", why);
	ASSERT_NE(NULL, p);
	ASSERT_GT(old, 0);
	for (n = 1; n < 200; n++) {
		fail_nth(n);
		id = ms_tbind(0, MS_ID_NEW, 0);
		if (!injected()) {
			if (id > 0)
				ms_tbind(0, MS_ID_NONE, 0);
			break;
		}
		if (id > 0)
			ms_tbind(0, MS_ID_NONE, 0);
		else
			failed++;
	}
	/*
	 * Groups are released asynchronously once unused: under a quota of
	 * 1, wait for MS_ID_NEW to work, which it does only once the user
	 * owns no group - never, if a failed call leaked a count.  Then,
	 * each group kept alive by one bound page, exactly 4 fit in 4.
	 */
	ASSERT_EQ(0, write_str("/sys/kernel/mm/memsched/max_groups_per_user", "1"));
	for (n = 0; n < 100; n++) {
		id = ms_tbind(0, MS_ID_NEW, 0);
		if (id > 0 || errno != EDQUOT)
			break;
		usleep(100000);
	}
	ASSERT_GT(id, 0) TH_LOG("MS_ID_NEW under a quota of 1: errno %d after %d tries",
				errno, n);
	ASSERT_EQ(0, ms_mbind(p, page_size(), id, 0));
	made = 1;
	ASSERT_EQ(0, write_str("/sys/kernel/mm/memsched/max_groups_per_user", "4"));
	for (n = 1; n < 8; n++) {
		id = ms_tbind(0, MS_ID_NEW, 0);
		if (id < 0)
			break;
		made++;
		ASSERT_EQ(0, ms_mbind(p + 2 * n * page_size(), page_size(), id, 0));
	}
	EXPECT_EQ(EDQUOT, errno);
	ms_tbind(0, MS_ID_NONE, 0);
	munmap(p - page_size(), 18 * page_size());
	snprintf(buf, sizeof(buf), "%ld", old);
	write_str("/sys/kernel/mm/memsched/max_groups_per_user", buf);
	TH_LOG("%d MS_ID_NEW calls failed by injection; then %d groups made under a quota of 4",
	       failed, made);
	EXPECT_EQ(4, made);
}

TEST(tbind_new_and_join)
{
	struct sweep new = {}, join = {};
	const char *why;
	long ret, id;
	char *p;
	int n, e;
	bool hit;

	if (fi_setup(&why))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, group_of(0));

	/* ms_tbind(MS_ID_NEW) */
	for (n = 1; n < MAX_NTH; n++) {
		fail_nth(n);
		ret = ms_tbind(0, MS_ID_NEW, 0);
		e = errno;
		hit = injected();
		new.calls++;
		if (!hit) {
			ASSERT_GT(ret, 0);
			ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
			break;
		}
		new.injections++;
		if (ret < 0) {
			ASSERT_EQ(ENOMEM, e);
			new.enomem++;
			/* not in a half-made group */
			ASSERT_EQ(0, group_of(0));
		} else {
			new.survived++;
			ASSERT_EQ(ret, group_of(0));
			ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
		}
	}
	ASSERT_LT(n, MAX_NTH);
	sweep_log(_metadata, "ms_tbind(MS_ID_NEW)", &new);

	/* ms_tbind(id): join a group a range keeps alive */
	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	p = map_guarded(page_size());
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, ms_mbind(p, page_size(), id, 0));
	ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	for (n = 1; n < MAX_NTH; n++) {
		fail_nth(n);
		ret = ms_tbind(0, id, 0);
		e = errno;
		hit = injected();
		join.calls++;
		if (!hit) {
			ASSERT_EQ(0, ret);
			break;
		}
		join.injections++;
		if (ret < 0) {
			ASSERT_EQ(ENOMEM, e);
			join.enomem++;
			ASSERT_EQ(0, group_of(0));
		} else {
			join.survived++;
			ASSERT_EQ(id, group_of(0));
			ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
		}
	}
	ASSERT_LT(n, MAX_NTH);
	ASSERT_EQ(id, group_of(0));
	ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	sweep_log(_metadata, "ms_tbind(id)", &join);
	EXPECT_GT(new.injections + join.injections, 0);
}

/* A thread that waits to be bound by another one. */
static void *idle_thread(void *arg)
{
	volatile int *stop = arg;

	*(volatile pid_t *)(stop + 1) = syscall(SYS_gettid);
	while (!*stop)
		usleep(1000);
	return NULL;
}

TEST(tbind_other_thread)
{
	volatile int ctl[2] = { 0, 0 };
	struct sweep sw = {};
	const char *why;
	pthread_t th;
	long id, ret;
	int n, e;
	bool hit;

	if (fi_setup(&why))
		SKIP(return, "%s", why);
	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, idle_thread, (void *)ctl));
	while (!ctl[1])
		usleep(1000);
	/* the group dies with its last member: keep one */
	id = ms_tbind(ctl[1], MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	ASSERT_EQ(0, ms_tbind(ctl[1], MS_ID_NONE, 0));
	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	for (n = 1; n < MAX_NTH; n++) {
		fail_nth(n);
		ret = ms_tbind(ctl[1], id, 0);
		e = errno;
		hit = injected();
		sw.calls++;
		if (!hit) {
			ASSERT_EQ(0, ret);
			break;
		}
		sw.injections++;
		if (ret < 0) {
			ASSERT_EQ(ENOMEM, e);
			sw.enomem++;
			ASSERT_EQ(0, group_of(ctl[1]));
		} else {
			sw.survived++;
			ASSERT_EQ(id, group_of(ctl[1]));
			ASSERT_EQ(0, ms_tbind(ctl[1], MS_ID_NONE, 0));
		}
	}
	ASSERT_LT(n, MAX_NTH);
	ASSERT_EQ(id, group_of(ctl[1]));
	ctl[0] = 1;
	pthread_join(th, NULL);
	ms_tbind(0, MS_ID_NONE, 0);
	sweep_log(_metadata, "ms_tbind(other thread, id)", &sw);
}

/*
 * Each page of [p, p + NPAGES pages) has the policy it had before (@old,
 * per page) or the one the call asked for (MPOL_PREFERRED on @home, or
 * MPOL_DEFAULT when @home < 0): the ENOMEM case ms_mbind(2) documents.
 */
static bool policies_old_or_new(char *p, const long *old, int home, int now)
{
	unsigned long nodes;
	long mode;
	int i;

	for (i = 0; i < NPAGES; i++) {
		mode = addr_policy(p + i * page_size(), &nodes);
		if (mode == old[i])
			continue;
		/* the group's home then, or now: the balancer may move it */
		if (home >= 0 && mode == MPOL_PREFERRED &&
		    (nodes == 1UL << home || (now >= 0 && nodes == 1UL << now)))
			continue;
		if (home < 0 && mode == MPOL_DEFAULT)
			continue;
		return false;
	}
	return true;
}

/*
 * ms_mbind() on the middle of a mapping (two splits), with and without
 * MS_MBIND_MOVE, and unbinding the middle of a bound mapping.
 */
static void mbind_sweep(struct __test_metadata *_metadata, int what)
{
	static const char *const names[] = {
		"ms_mbind(id)", "ms_mbind(id, MS_MBIND_MOVE)",
		"ms_mbind(MS_ID_NONE)"
	};
	unsigned long len = NPAGES * page_size();
	char before[2048], after[2048];
	long old[NPAGES], ret, id;
	struct sweep sw = {};
	unsigned long nodes;
	int n, e, i, home;
	char *p;
	bool hit;

	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	p = map_guarded(page_size());
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, ms_mbind(p, page_size(), id, 0));
	home = group_home(id, NULL, 0);
	ASSERT_GE(home, 0);

	for (n = 1; n < MAX_NTH; n++) {
		char *q = map_guarded(len);
		char *mid;

		ASSERT_NE(NULL, q);
		if (what == 1) {	/* away from home, so that pages move */
			nodes = 1UL << (home == 0 ? 1 : 0);
			ASSERT_EQ(0, sys_set_mempolicy(MPOL_BIND, &nodes, 64));
		}
		memset(q, 1, len);
		if (what == 1)
			ASSERT_EQ(0, sys_set_mempolicy(MPOL_DEFAULT, NULL, 0));
		if (what == 2)
			ASSERT_EQ(0, ms_mbind(q, len, id, 0));
		mid = q + 4 * page_size();
		for (i = 0; i < NPAGES; i++)
			old[i] = addr_policy(q + i * page_size(), &nodes);
		range_state(q, len, before, sizeof(before));

		fail_nth(n);
		if (what == 2)
			ret = ms_mbind(mid, len - 8 * page_size(), MS_ID_NONE, 0);
		else
			ret = ms_mbind(mid, len - 8 * page_size(), id,
				       what == 1 ? MS_MBIND_MOVE : 0);
		e = errno;
		hit = injected();
		sw.calls++;
		range_state(q, len, after, sizeof(after));
		if (!hit) {
			ASSERT_EQ(0, ret)
				TH_LOG("n=%d: no failure injected, errno %d",
				       n, e);
			munmap(q - page_size(), len + 2 * page_size());
			break;
		}
		sw.injections++;
		if (ret < 0) {
			ASSERT_EQ(ENOMEM, e)
				TH_LOG("n=%d: errno %d", n, e);
			sw.enomem++;
			if (strcmp(before, after)) {
				int now = group_home(id, NULL, 0);
				int h = what == 2 ? -1 : home;

				/* the documented partial case, nothing else */
				EXPECT_TRUE(policies_old_or_new(q, old, h, now))
					TH_LOG("n=%d: home %d (now %d): before %s after %s",
					       n, home, now, before, after);
			}
		} else {
			sw.survived++;
		}
		munmap(q - page_size(), len + 2 * page_size());
	}
	ASSERT_LT(n, MAX_NTH);
	ms_tbind(0, MS_ID_NONE, 0);
	munmap(p - page_size(), 3 * page_size());
	sweep_log(_metadata, names[what], &sw);
	EXPECT_GT(sw.injections, 0);
}

TEST(mbind_middle)
{
	const char *why;

	if (fi_setup(&why))
		SKIP(return, "%s", why);
	mbind_sweep(_metadata, 0);
}

TEST(mbind_middle_move)
{
	const char *why;

	if (fi_setup(&why))
		SKIP(return, "%s", why);
	if (nr_nodes() < 2)
		SKIP(return, "needs 2 nodes");
	mbind_sweep(_metadata, 1);
}

TEST(unbind_middle)
{
	const char *why;

	if (fi_setup(&why))
		SKIP(return, "%s", why);
	mbind_sweep(_metadata, 2);
}

/* After all that, groups still work: a new range goes home. */
TEST(still_works_after_failures)
{
	unsigned long len = NPAGES * page_size();
	long id = ms_tbind(0, MS_ID_NEW, 0);
	char *q = map_guarded(len);
	int home;

	ASSERT_GT(id, 0);
	ASSERT_NE(NULL, q);
	ASSERT_EQ(0, ms_mbind(q, len, id, MS_MBIND_MOVE));
	home = group_home(id, NULL, 0);
	ASSERT_GE(home, 0);
	memset(q, 1, len);
	EXPECT_EQ(NPAGES, pages_on_node(q, NPAGES, home));
	ms_tbind(0, MS_ID_NONE, 0);
}

TEST_HARNESS_MAIN
