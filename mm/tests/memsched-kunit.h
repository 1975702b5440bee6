/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for the pure parts of memsched: home node choice and the
 * ms_mbind() argument rules.  Included at the end of mm/memsched.c so they
 * can reach its static functions, as mm/damon/tests/ does.
 */
#ifdef CONFIG_MEMSCHED_KUNIT_TEST

#ifndef _MEMSCHED_KUNIT_H
#define _MEMSCHED_KUNIT_H

#include <kunit/test.h>

static void memsched_test_home_fewest_groups_per_cpu(struct kunit *test)
{
	struct memsched_node_load load[] = {
		{ .nid = 0, .groups = 2, .cpus = 2, .free = 1000 },
		{ .nid = 1, .groups = 1, .cpus = 2, .free = 10 },
		{ .nid = 2, .groups = 3, .cpus = 8, .free = 10 },
	};

	/* 3 groups on 8 CPUs is less crowded than 1 on 2. */
	KUNIT_EXPECT_EQ(test, memsched_pick_home(load, 3), 2);
	KUNIT_EXPECT_EQ(test, memsched_pick_home(load, 2), 1);
}

static void memsched_test_home_tie_breaks(struct kunit *test)
{
	struct memsched_node_load load[] = {
		{ .nid = 0, .groups = 1, .cpus = 2, .free = 10 },
		{ .nid = 1, .groups = 1, .cpus = 2, .free = 20 },
		{ .nid = 2, .groups = 1, .cpus = 2, .free = 20 },
	};

	/* Equal load: most free memory, then the lowest node id. */
	KUNIT_EXPECT_EQ(test, memsched_pick_home(load, 3), 1);
	load[1].free = 5;
	KUNIT_EXPECT_EQ(test, memsched_pick_home(load, 3), 2);
	load[2].free = 10;
	KUNIT_EXPECT_EQ(test, memsched_pick_home(load, 3), 0);
}

static void memsched_test_home_no_candidates(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, memsched_pick_home(NULL, 0), -1);
}

static void memsched_test_home_empty_nodes_spread(struct kunit *test)
{
	struct memsched_node_load load[] = {
		{ .nid = 0, .groups = 0, .cpus = 2, .free = 100 },
		{ .nid = 1, .groups = 0, .cpus = 2, .free = 100 },
	};
	int first, second;

	/* Creating groups one after another alternates between nodes. */
	first = memsched_pick_home(load, 2);
	load[first].groups++;
	second = memsched_pick_home(load, 2);
	KUNIT_EXPECT_NE(test, first, second);
}

static void memsched_test_mbind_args(struct kunit *test)
{
	unsigned long pg = PAGE_SIZE;

	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(pg, pg, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(pg, 0, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(pg, 1, 0, 0), 0);
	KUNIT_EXPECT_EQ(test,
			memsched_mbind_args_valid(pg, pg, 1, MS_MBIND_MOVE), 0);
	/* unaligned start, unknown flags, negative ids */
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(pg + 1, pg, 1, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(pg, pg, 1, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(pg, pg, MS_ID_NEW, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(pg, pg, MS_ID_GET, 0),
			-EINVAL);
	/* ranges that wrap, before or after rounding to pages */
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(ULONG_MAX & PAGE_MASK,
							2 * pg, 1, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(0, ULONG_MAX, 1, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, memsched_mbind_args_valid(pg, ULONG_MAX - pg, 1,
							0), -EINVAL);
}

/*
 * Ids are allocated cyclically: a released id is not handed out again
 * right away (no ABA for a program that still holds it), lookups of a
 * released id fail, and the per-user cap answers EDQUOT.
 */
static void memsched_test_ids(struct kunit *test)
{
	unsigned int cap = READ_ONCE(memsched_max_groups_per_user);
	struct memsched_group *a, *b, *c, *found;
	int ida;

	a = memsched_group_create();
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	b = memsched_group_create();
	if (IS_ERR(b)) {
		memsched_group_put(a);
		KUNIT_FAIL(test, "second group: %ld", PTR_ERR(b));
		return;
	}
	KUNIT_EXPECT_GT(test, a->id, 0);
	KUNIT_EXPECT_GT(test, b->id, a->id);
	found = memsched_group_find(a->id);
	KUNIT_EXPECT_PTR_EQ(test, found, a);
	if (found)
		memsched_group_put(found);

	ida = a->id;
	memsched_group_put(a);
	/* the last reference is gone: the id no longer resolves */
	KUNIT_EXPECT_NULL(test, memsched_group_find(ida));
	c = memsched_group_create();
	KUNIT_ASSERT_FALSE(test, IS_ERR(c));
	KUNIT_EXPECT_GT(test, c->id, b->id);
	KUNIT_EXPECT_NE(test, c->id, ida);

	WRITE_ONCE(memsched_max_groups_per_user, 0);
	a = memsched_group_create();
	WRITE_ONCE(memsched_max_groups_per_user, cap);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(a), -EDQUOT);
	if (!IS_ERR(a))
		memsched_group_put(a);
	memsched_group_put(b);
	memsched_group_put(c);
}

/*
 * /proc/<pid>/memsched reads a thread's group under RCU while the thread
 * may drop the group's last reference: the reader must not revive a
 * group whose count reached zero (a plain refcount_inc() did, and then
 * used and put it after its release was queued).
 */
static void memsched_test_proc_skips_dying_group(struct kunit *test)
{
	nodemask_t all = NODE_MASK_ALL;
	struct memsched_group *group;
	struct memsched_proc_group *pg;
	struct xarray groups;

	group = memsched_group_alloc(0, &all);
	KUNIT_ASSERT_NOT_NULL(test, group);
	group->id = INT_MAX;
	xa_init(&groups);

	/* a live group: one entry, one reference more */
	pg = memsched_proc_group(&groups, group);
	KUNIT_ASSERT_NOT_NULL(test, pg);
	KUNIT_EXPECT_EQ(test, refcount_read(&group->ref), 2);
	KUNIT_EXPECT_PTR_EQ(test, memsched_proc_group(&groups, group), pg);
	KUNIT_EXPECT_EQ(test, refcount_read(&group->ref), 2);
	xa_erase(&groups, group->id);
	kfree(pg);

	/* its last reference gone (release queued): skipped, not revived */
	refcount_set(&group->ref, 0);
	KUNIT_EXPECT_NULL(test, memsched_proc_group(&groups, group));
	KUNIT_EXPECT_EQ(test, refcount_read(&group->ref), 0);
	KUNIT_EXPECT_TRUE(test, xa_empty(&groups));
	xa_destroy(&groups);
	kfree(group);
}

static struct kunit_case memsched_test_cases[] = {
	KUNIT_CASE(memsched_test_home_fewest_groups_per_cpu),
	KUNIT_CASE(memsched_test_home_tie_breaks),
	KUNIT_CASE(memsched_test_home_no_candidates),
	KUNIT_CASE(memsched_test_home_empty_nodes_spread),
	KUNIT_CASE(memsched_test_mbind_args),
	KUNIT_CASE(memsched_test_ids),
	KUNIT_CASE(memsched_test_proc_skips_dying_group),
	{},
};

static struct kunit_suite memsched_test_suite = {
	.name = "memsched",
	.test_cases = memsched_test_cases,
};

kunit_test_suite(memsched_test_suite);

#endif /* _MEMSCHED_KUNIT_H */

#endif /* CONFIG_MEMSCHED_KUNIT_TEST */
