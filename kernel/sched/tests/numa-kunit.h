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

/* Nodes of 1 GiB in 4 KiB pages, with a pressure mark of 64 MiB. */
#define MS_TEST_MARK	16384UL

static void memsched_test_mem_fits(struct kunit *test)
{
	struct memsched_node_balance n = { .cpus = 2, .free = 100000,
					   .mark = MS_TEST_MARK };

	KUNIT_EXPECT_TRUE(test, memsched_mem_fits(&n, 0));
	KUNIT_EXPECT_TRUE(test, memsched_mem_fits(&n, 100000 - MS_TEST_MARK));
	KUNIT_EXPECT_FALSE(test,
			   memsched_mem_fits(&n, 100000 - MS_TEST_MARK + 1));
	/* Below the mark nothing with memory fits, and nothing wraps. */
	n.free = MS_TEST_MARK - 1;
	KUNIT_EXPECT_FALSE(test, memsched_mem_fits(&n, 1));
	KUNIT_EXPECT_TRUE(test, memsched_mem_fits(&n, 0));
	/* A node without memory takes only groups without memory. */
	n.free = 0;
	n.mark = 0;
	KUNIT_EXPECT_FALSE(test, memsched_mem_fits(&n, 1));
}

static void memsched_test_mem_pressure_moves(struct kunit *test)
{
	struct memsched_node_balance full = { .cpus = 2, .threads = 1,
					      .free = 8000,
					      .mark = MS_TEST_MARK };
	struct memsched_node_balance roomy = { .cpus = 2, .threads = 0,
					       .free = 200000,
					       .mark = MS_TEST_MARK };

	/* The CPUs alone would keep a 1-thread group where it is... */
	KUNIT_EXPECT_FALSE(test, memsched_should_move(&full, &roomy, 1));
	/* ...but its home is short of memory and 64 MiB fit elsewhere. */
	KUNIT_EXPECT_TRUE(test,
			  memsched_should_move_mem(&full, &roomy, 1, 16384));
	/* Not if it holds more than the other node can take. */
	KUNIT_EXPECT_FALSE(test,
			   memsched_should_move_mem(&full, &roomy, 1, 190000));
	/* Not if it holds nothing: moving it frees nothing. */
	KUNIT_EXPECT_FALSE(test, memsched_should_move_mem(&full, &roomy, 1, 0));
	/* Never the other way round: the roomy node is not short. */
	KUNIT_EXPECT_FALSE(test,
			   memsched_should_move_mem(&roomy, &full, 1, 100));
	/* Not at the price of more than a thread per CPU of imbalance. */
	roomy.threads = 4;
	KUNIT_EXPECT_FALSE(test,
			   memsched_should_move_mem(&full, &roomy, 1, 16384));
}

static void memsched_test_mem_vetoes_cpu_move(struct kunit *test)
{
	struct memsched_node_balance nodes[2] = {
		{ .cpus = 2, .threads = 4, .free = 200000,
		  .mark = MS_TEST_MARK },
		{ .cpus = 2, .threads = 0, .free = 50000,
		  .mark = MS_TEST_MARK },
	};
	nodemask_t both = NODE_MASK_NONE;

	if (nr_node_ids < 2)
		kunit_skip(test, "needs 2 possible nodes");
	node_set(0, both);
	node_set(1, both);
	/* By CPU load alone, node 1 is the place for a 2-thread group... */
	KUNIT_EXPECT_TRUE(test, memsched_should_move(&nodes[0], &nodes[1], 2));
	KUNIT_EXPECT_EQ(test, memsched_least_loaded(nodes, &both, ULONG_MAX), 1);
	/* ...for one holding 100 MiB; one holding 400 MiB does not fit. */
	KUNIT_EXPECT_EQ(test, memsched_least_loaded(nodes, &both, 25600), 1);
	KUNIT_EXPECT_EQ(test, memsched_least_loaded(nodes, &both, 102400), 0);
}

/* A node whose memory is all gone is short of it; counts never wrap. */
static void memsched_test_edge_cases(struct kunit *test)
{
	struct memsched_node_balance gone = { .cpus = 2, .free = 0, .mark = 0 };
	struct memsched_node_balance n = { .cpus = 2, .threads = 1 };

	KUNIT_EXPECT_TRUE(test, memsched_mem_short(&gone));
	/* a group grew between the count and the move */
	memsched_node_sub_threads(&n, 3);
	KUNIT_EXPECT_EQ(test, n.threads, 0U);
	n.threads = 5;
	memsched_node_sub_threads(&n, 3);
	KUNIT_EXPECT_EQ(test, n.threads, 2U);
}

static struct kunit_case memsched_sched_test_cases[] = {
	KUNIT_CASE(memsched_test_move_evens_out),
	KUNIT_CASE(memsched_test_move_hysteresis),
	KUNIT_CASE(memsched_test_move_cpus_weigh),
	KUNIT_CASE(memsched_test_move_no_cpus),
	KUNIT_CASE(memsched_test_move_memory_only_group),
	KUNIT_CASE(memsched_test_mem_fits),
	KUNIT_CASE(memsched_test_mem_pressure_moves),
	KUNIT_CASE(memsched_test_mem_vetoes_cpu_move),
	KUNIT_CASE(memsched_test_edge_cases),
	{},
};

static struct kunit_suite memsched_sched_test_suite = {
	.name = "memsched_sched",
	.test_cases = memsched_sched_test_cases,
};

kunit_test_suite(memsched_sched_test_suite);

#endif /* _SCHED_NUMA_KUNIT_H */

#endif /* CONFIG_MEMSCHED_KUNIT_TEST */
