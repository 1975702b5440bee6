/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for the group balancer's decisions in kernel/sched/numa.c.
 * Included at the end of numa.c to reach its static functions.
 */
#ifdef CONFIG_MEMSCHED_KUNIT_TEST

#ifndef _SCHED_NUMA_KUNIT_H
#define _SCHED_NUMA_KUNIT_H

#include <kunit/test.h>

static void memsched_test_move_evens_out(struct kunit *test)
{
	struct memsched_node_balance busy = { .cpus = 2, .threads = 4 };
	struct memsched_node_balance idle = { .cpus = 2, .threads = 0 };

	/* Two 2-thread groups on one node: one moves. */
	KUNIT_EXPECT_TRUE(test, memsched_should_move(&busy, &idle, 2));
	/* Never towards the busier node. */
	KUNIT_EXPECT_FALSE(test, memsched_should_move(&idle, &busy, 2));
}

static void memsched_test_move_hysteresis(struct kunit *test)
{
	struct memsched_node_balance a = { .cpus = 2, .threads = 4 };
	struct memsched_node_balance b = { .cpus = 2, .threads = 2 };

	/* Three 2-thread groups on 2 nodes: 4 vs 2 is as good as 2 vs 4. */
	KUNIT_EXPECT_FALSE(test, memsched_should_move(&a, &b, 2));
	/* 3 vs 0 single-thread groups: one moves, then 2 vs 1 stays. */
	a.threads = 3;
	b.threads = 0;
	KUNIT_EXPECT_TRUE(test, memsched_should_move(&a, &b, 1));
	a.threads = 2;
	b.threads = 1;
	KUNIT_EXPECT_FALSE(test, memsched_should_move(&a, &b, 1));
	KUNIT_EXPECT_FALSE(test, memsched_should_move(&b, &a, 1));
}

static void memsched_test_move_cpus_weigh(struct kunit *test)
{
	struct memsched_node_balance small = { .cpus = 1, .threads = 2 };
	struct memsched_node_balance big = { .cpus = 4, .threads = 2 };

	/* 2 threads on 1 CPU vs 2 on 4: one thread's group moves. */
	KUNIT_EXPECT_TRUE(test, memsched_should_move(&small, &big, 1));
	KUNIT_EXPECT_FALSE(test, memsched_should_move(&big, &small, 1));
}

static void memsched_test_move_no_cpus(struct kunit *test)
{
	struct memsched_node_balance gone = { .cpus = 0, .threads = 2 };
	struct memsched_node_balance busy = { .cpus = 2, .threads = 8 };

	/* A home without CPUs is always left, even for a busy node... */
	KUNIT_EXPECT_TRUE(test, memsched_should_move(&gone, &busy, 2));
	/* ...and even by a group without threads (its memory moves). */
	KUNIT_EXPECT_TRUE(test, memsched_should_move(&gone, &busy, 0));
	/* A node without CPUs is never a destination. */
	KUNIT_EXPECT_FALSE(test, memsched_should_move(&busy, &gone, 2));
}

static void memsched_test_move_memory_only_group(struct kunit *test)
{
	struct memsched_node_balance a = { .cpus = 2, .threads = 6 };
	struct memsched_node_balance b = { .cpus = 2, .threads = 0 };

	/* Moving a group without threads changes no CPU load. */
	KUNIT_EXPECT_FALSE(test, memsched_should_move(&a, &b, 0));
}

static struct kunit_case memsched_sched_test_cases[] = {
	KUNIT_CASE(memsched_test_move_evens_out),
	KUNIT_CASE(memsched_test_move_hysteresis),
	KUNIT_CASE(memsched_test_move_cpus_weigh),
	KUNIT_CASE(memsched_test_move_no_cpus),
	KUNIT_CASE(memsched_test_move_memory_only_group),
	{},
};

static struct kunit_suite memsched_sched_test_suite = {
	.name = "memsched_sched",
	.test_cases = memsched_sched_test_cases,
};

kunit_test_suite(memsched_sched_test_suite);

#endif /* _SCHED_NUMA_KUNIT_H */

#endif /* CONFIG_MEMSCHED_KUNIT_TEST */
