/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit tests for knumad's placement decisions (mm/knumad.c includes this
 * file, so the static functions are visible).
 */
#ifdef CONFIG_KNUMAD_KUNIT_TEST

#ifndef _KNUMAD_KUNIT_H
#define _KNUMAD_KUNIT_H

#include <kunit/test.h>

#define KT_NODES 4

static struct knumad_region *knumad_test_region(struct kunit *test)
{
	struct knumad_region *r;

	r = kunit_kzalloc(test, struct_size(r, weight, KT_NODES), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->target = NUMA_NO_NODE;
	return r;
}

/* A sample of a process without a home */
static int kt_sample(struct knumad_region *r, int nid, int last_nid,
		     unsigned long now)
{
	return knumad_region_sample(r, KT_NODES, nid, last_nid, NUMA_NO_NODE,
				    1, now);
}

/*
 * First touches say nothing: any number of them decides nothing.  Two
 * second touches from one node decide.
 */
static void knumad_test_min_samples(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	int i;

	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, kt_sample(r, 1, NUMA_NO_NODE, 0),
				NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, kt_sample(r, 1, 1, 0),
			NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, kt_sample(r, 1, 1, 0), 1);
	KUNIT_EXPECT_EQ(test, r->flips, 0U);
}

/*
 * A huge page's sample counts KNUMAD_MIN_SAMPLES: its first second touch
 * decides the region; and a second touch from another node contests it.
 */
static void knumad_test_huge_sample(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);

	KUNIT_EXPECT_EQ(test, knumad_region_sample(r, KT_NODES, 1, 1,
						   NUMA_NO_NODE,
						   KNUMAD_MIN_SAMPLES, 0), 1);
	KUNIT_EXPECT_EQ(test, knumad_region_sample(r, KT_NODES, 2, 1,
						   NUMA_NO_NODE,
						   KNUMAD_MIN_SAMPLES, HZ), 1);
	KUNIT_EXPECT_EQ(test, r->xnode * 4 > r->nr, true);
	KUNIT_EXPECT_EQ(test, r->flips, 0U);
}

/*
 * A thread of a split process sends a region to its part's home, unless
 * the region's destination is another part's home and its flip back-off
 * is not over: then the sample only counts.
 */
static void knumad_test_split_home(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	struct memsched_group *g0, *g1;
	unsigned long now = 1000;
	struct knumad_mm *km;

	if (nr_node_ids < 2)
		kunit_skip(test, "needs 2 nodes");
	km = kunit_kzalloc(test, struct_size(km, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	g0 = kunit_kzalloc(test, sizeof(*g0), GFP_KERNEL);
	g1 = kunit_kzalloc(test, sizeof(*g1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, g0);
	KUNIT_ASSERT_NOT_NULL(test, g1);
	km->parts = kunit_kcalloc(test, nr_node_ids, sizeof(*km->parts),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km->parts);
	spin_lock_init(&km->lock);
	/* part 0 is at home on node 1 now, part 1 on node 0 */
	g0->home_nid = 1;
	g1->home_nid = 0;
	km->parts[0] = g0;
	km->parts[1] = g1;

	spin_lock(&km->lock);
	/* undecided, or at the part's home: the part's home */
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 0, r, now), 1);
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now), 0);
	r->target = 1;
	r->flip_at = now;
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 0, r, now), 1);
	/* the other part's home, just decided: wait out the back-off */
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now), NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now + HZ - 1),
			NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now + HZ), 0);
	/* after a change the wait doubles */
	r->flips = 1;
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now + HZ),
			NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now + 2 * HZ), 0);
	/* a destination decided before sharers were put together: at once */
	km->regrouped = true;
	km->regroup_at = now;
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now + HZ),
			NUMA_NO_NODE);
	km->regroup_at = now + 1;
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now + HZ), 0);
	km->regrouped = false;
	/*
	 * last sampled before the process's placement changed (a thread
	 * that changed parts): at once; sampled since, the back-off again
	 */
	km->placed = 1;
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now + HZ), 0);
	r->placed = 1;
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now + HZ),
			NUMA_NO_NODE);
	/* no part, or a part without a group */
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, NUMA_NO_NODE, r, now),
			NUMA_NO_NODE);
	km->parts[0] = NULL;
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 0, r, now),
			NUMA_NO_NODE);
	/* a destination no part is at home on: the part's home at once */
	KUNIT_EXPECT_EQ(test, knumad_split_home(km, 1, r, now), 0);
	spin_unlock(&km->lock);
}

/*
 * A folio's previous touch by the same thread is private wherever that
 * thread ran; another thread's counts from its CPU's node.
 */
static void knumad_test_prev_nid(struct kunit *test)
{
	int cpu = cpumask_first(cpu_online_mask);
	int nid = cpu_to_node(cpu), other = nid + 1;

	KUNIT_EXPECT_EQ(test, knumad_prev_nid(-1, other, 1234), NUMA_NO_NODE);
	/* the same thread, on another node then: private */
	KUNIT_EXPECT_EQ(test, knumad_prev_nid(cpu_pid_to_cpupid(cpu, 1234),
					      other, 1234), other);
	/* another thread: where its CPU is */
	KUNIT_EXPECT_EQ(test, knumad_prev_nid(cpu_pid_to_cpupid(cpu, 1235),
					      other, 1234), nid);
}

/* Every thread changed node: the rule before threads were told apart. */
static const unsigned long knumad_all_pids[BITS_TO_LONGS(LAST__PID_MASK + 1)] = {
	[0 ... BITS_TO_LONGS(LAST__PID_MASK + 1) - 1] = ~0UL
};

/*
 * Whether @r waits at @seq after every thread changed node at @since,
 * the process's passes 2^@backoff scan periods apart since @r was armed.
 */
static bool kt_waits(const struct knumad_region *r, unsigned int seq,
		     unsigned int since, unsigned int backoff)
{
	return knumad_region_waits(r, seq, since, knumad_all_pids, false,
				   r->armed_period +
				   ((seq - r->armed_seq) << backoff));
}

/*
 * Local samples at a region's destination settle it: its next sample
 * waits 2, 4, then at most 8 scan periods - passes of a process that
 * does not back off - however far apart the process's passes are, none
 * if a thread of the process changed node after it; any other
 * sample unsettles it; a local huge page is settled at once.  An armed
 * sample waits KNUMAD_REARM_PASSES, settled or not.
 */
static void knumad_test_settled(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	unsigned int rearm;
	int i;

	r->target = 1;
	r->armed_seq = 10;
	r->armed_period = 10;
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 11, 0, 0));
	knumad_region_settle(r, 1, 1, 1, false);
	KUNIT_EXPECT_TRUE(test, kt_waits(r, 11, 0, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 12, 0, 0));
	knumad_region_settle(r, 1, 1, 1, false);
	KUNIT_EXPECT_TRUE(test, kt_waits(r, 13, 0, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 14, 0, 0));
	for (i = 0; i < 5; i++)
		knumad_region_settle(r, 1, 1, 1, false);
	KUNIT_EXPECT_EQ(test, r->settled, KNUMAD_MAX_SETTLED);
	KUNIT_EXPECT_TRUE(test, kt_waits(r, 17, 0, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 18, 0, 0));
	/* backed off: passes already 2^backoff periods apart */
	KUNIT_EXPECT_TRUE(test, kt_waits(r, 13, 0, 1));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 14, 0, 1));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 11, 0, KNUMAD_MAX_SETTLED));
	/*
	 * Passes a period apart again (a group change reset the back-off):
	 * still 8 periods.  Counted in passes, scaled by the back-off of
	 * the day, it waited none (knumad.moved_thread_resamples_only_its_
	 * memory: 5,378 hinting faults where 1,288 were enough).
	 */
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r, 12, 0, knumad_all_pids,
						    false, 12));
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r, 17, 0, knumad_all_pids,
						    false, 17));
	KUNIT_EXPECT_FALSE(test, knumad_region_waits(r, 18, 0,
						     knumad_all_pids, false,
						     18));
	/* 20 passes in 3 periods (brought forward): the wait goes on */
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r, 30, 0, knumad_all_pids,
						    false, 13));
	/* across the wrap of the 16 bits of the period */
	r->armed_period = U16_MAX - 1;
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r, 12, 0, knumad_all_pids,
						    false, U16_MAX + 6));
	KUNIT_EXPECT_FALSE(test, knumad_region_waits(r, 12, 0,
						     knumad_all_pids, false,
						     U16_MAX + 7));
	r->armed_period = 10;
	/* a change of node at pass 10 or before: wait; at 11: no wait */
	KUNIT_EXPECT_TRUE(test, kt_waits(r, 12, 10, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 12, 11, 0));
	/* across the wrap of the pass counter */
	r->armed_seq = UINT_MAX;
	KUNIT_EXPECT_TRUE(test, kt_waits(r, 1, UINT_MAX, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 1, 0, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 7, UINT_MAX, 0));
	r->armed_seq = 10;
	/* remote, or local but elsewhere than its destination: unsettled */
	knumad_region_settle(r, 1, 1, 0, false);
	KUNIT_EXPECT_EQ(test, r->settled, 0);
	knumad_region_settle(r, 1, 1, 1, false);
	knumad_region_settle(r, 1, 0, 1, false);
	KUNIT_EXPECT_EQ(test, r->settled, 0);
	KUNIT_EXPECT_FALSE(test, kt_waits(r, 11, 0, 0));
	knumad_region_settle(r, 1, 1, 1, false);
	knumad_region_settle(r, 0, 1, 1, false);
	KUNIT_EXPECT_EQ(test, r->settled, 0);
	knumad_region_settle(r, NUMA_NO_NODE, 1, 1, false);
	KUNIT_EXPECT_EQ(test, r->settled, 0);
	/* one huge page: settled by one local sample, unsettled by remote */
	knumad_region_settle(r, 1, 1, 1, true);
	KUNIT_EXPECT_EQ(test, r->settled, KNUMAD_MAX_SETTLED);
	knumad_region_settle(r, 1, 1, 0, true);
	KUNIT_EXPECT_EQ(test, r->settled, 0);
	/* armed: the re-arm wait, settled or not */
	r->armed = true;
	rearm = r->armed_seq + KNUMAD_REARM_PASSES;
	KUNIT_EXPECT_TRUE(test, kt_waits(r, rearm - 1, 0, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r, rearm, 0, 0));
}

/*
 * A region moved whole as one huge page waits as long as one settled by
 * local samples; one of base pages, or with a page left behind, waits
 * two scan periods; one already settled meanwhile, armed again, or without a
 * destination, is left as it is.  Only a PMD-mapped folio met, with no
 * base page table and nothing left behind, makes a region one huge page:
 * not a region where the mover met nothing.
 */
static void knumad_test_moved(struct kunit *test)
{
	struct knumad_batch b = {};
	struct knumad_region *r[5];
	struct knumad_mm *km;
	int i;

	KUNIT_EXPECT_FALSE(test, knumad_batch_moved_huge(&b));
	b.huge = true;
	KUNIT_EXPECT_TRUE(test, knumad_batch_moved_huge(&b));
	b.left = true;
	KUNIT_EXPECT_FALSE(test, knumad_batch_moved_huge(&b));
	b.left = false;
	b.pte_mapped = true;
	KUNIT_EXPECT_FALSE(test, knumad_batch_moved_huge(&b));

	km = kunit_kzalloc(test, sizeof(*km), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	spin_lock_init(&km->lock);
	xa_init(&km->regions);
	km->seq = 20;
	km->scan_addr = 4096;	/* a pass under way */
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		r[i] = knumad_test_region(test);
		r[i]->target = 1;
		KUNIT_ASSERT_FALSE(test, xa_is_err(xa_store(&km->regions, i,
							    r[i],
							    GFP_KERNEL)));
	}
	r[2]->settled = 2;
	r[2]->armed_seq = 18;
	r[3]->target = NUMA_NO_NODE;
	r[4]->armed = true;
	r[4]->armed_seq = 19;
	for (i = 0; i < ARRAY_SIZE(r); i++)
		knumad_region_moved(km, i, i != 1);
	KUNIT_EXPECT_EQ(test, r[0]->settled, KNUMAD_MAX_SETTLED);
	KUNIT_EXPECT_EQ(test, r[0]->armed_seq, 20);
	/* the period of the move (the knumad thread may pass meanwhile) */
	KUNIT_EXPECT_LE(test, (u16)(READ_ONCE(knumad_scan.periods) -
				    r[0]->armed_period), 8);
	KUNIT_EXPECT_TRUE(test, kt_waits(r[0], 27, 0, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r[0], 28, 0, 0));
	/* a thread that changes node samples it at once */
	KUNIT_EXPECT_FALSE(test, kt_waits(r[0], 21, 21, 0));
	KUNIT_EXPECT_EQ(test, r[1]->settled, 1);
	KUNIT_EXPECT_TRUE(test, kt_waits(r[1], 21, 0, 0));
	KUNIT_EXPECT_FALSE(test, kt_waits(r[1], 22, 0, 0));
	KUNIT_EXPECT_EQ(test, r[2]->settled, 2);
	KUNIT_EXPECT_EQ(test, r[2]->armed_seq, 18);
	KUNIT_EXPECT_EQ(test, r[3]->settled, 0);
	KUNIT_EXPECT_EQ(test, r[4]->settled, 0);
	KUNIT_EXPECT_EQ(test, r[4]->armed_seq, 19);

	/*
	 * Moved while a thread's change of node waits for the next pass:
	 * not settled, the pass samples it (the thread whose samples chose
	 * the destination may have left it).
	 */
	r[0]->settled = 0;
	r[0]->armed_seq = 0;
	km->thread_moved = true;
	knumad_region_moved(km, 0, true);
	KUNIT_EXPECT_EQ(test, r[0]->settled, 0);
	KUNIT_EXPECT_FALSE(test, kt_waits(r[0], 21, 0, 0));

	/*
	 * Moved between two passes: a thread that changes node before the
	 * next one starts (knumad_settle_again() names pass 20 then) has it
	 * sampled again - it waited 8 periods as if armed in pass 20.
	 */
	km->thread_moved = false;
	km->scan_addr = 0;
	knumad_region_moved(km, 0, true);
	KUNIT_EXPECT_EQ(test, r[0]->settled, KNUMAD_MAX_SETTLED);
	KUNIT_EXPECT_FALSE(test, kt_waits(r[0], 20, 20, 0));
	/* and waits its 8 periods if no thread changed node */
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r[0], 20, 0,
						    knumad_all_pids, false,
						    r[0]->armed_period + 7));
	xa_destroy(&km->regions);
}

/*
 * A placement change is counted only when there is one: dropping the
 * parts of a process that has none (the array stays once it was split)
 * is none - counted at every census, it let every region's destination
 * give way at every sample (knumad_split_home()).
 */
static void knumad_test_placed(struct kunit *test)
{
	struct knumad_thread *kt;
	struct knumad_mm *km;

	km = kunit_kzalloc(test, struct_size(km, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	kt = kunit_kzalloc(test, struct_size(kt, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, kt);
	km->parts = kunit_kcalloc(test, nr_node_ids, sizeof(*km->parts),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km->parts);
	spin_lock_init(&km->lock);
	xa_init(&km->threads);
	kt->part = NUMA_NO_NODE;
	kt->placed_nid = NUMA_NO_NODE;
	KUNIT_ASSERT_FALSE(test, xa_is_err(xa_store(&km->threads, 1, kt,
						    GFP_KERNEL)));

	/* split once, no part now: nothing changes */
	knumad_parts_drop(km);
	KUNIT_EXPECT_EQ(test, km->placed, 0);
	/* a thread in a part (without a group) loses it: a change */
	kt->part = 0;
	kt->placed_nid = 0;
	knumad_parts_drop(km);
	KUNIT_EXPECT_EQ(test, km->placed, 1);
	KUNIT_EXPECT_EQ(test, kt->part, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, kt->placed_nid, NUMA_NO_NODE);

	xa_destroy(&km->threads);
}

/*
 * A bulk move sampled before a split process's placement changed is not
 * made when the thread that sampled it is now in a part at another home;
 * it is when that thread's part is at the destination (threads that share
 * memory, put together in one part), or when nothing tells where the
 * thread belongs.  In a process with an implicit group, a destination
 * other than the home, asked before the group came, gives way unless the
 * region's samples say it is shared.
 */
static void knumad_test_stale(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	struct knumad_thread *kt1, *kt2;
	struct memsched_group *g0, *g1;
	struct knumad_mm *km;

	if (nr_node_ids < 2)
		kunit_skip(test, "needs 2 nodes");
	km = kunit_kzalloc(test, struct_size(km, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	g0 = kunit_kzalloc(test, sizeof(*g0), GFP_KERNEL);
	g1 = kunit_kzalloc(test, sizeof(*g1), GFP_KERNEL);
	kt1 = kunit_kzalloc(test, struct_size(kt1, faults, 2 * nr_node_ids),
			    GFP_KERNEL);
	kt2 = kunit_kzalloc(test, struct_size(kt2, faults, 2 * nr_node_ids),
			    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, g0);
	KUNIT_ASSERT_NOT_NULL(test, g1);
	KUNIT_ASSERT_NOT_NULL(test, kt1);
	KUNIT_ASSERT_NOT_NULL(test, kt2);
	km->parts = kunit_kcalloc(test, nr_node_ids, sizeof(*km->parts),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km->parts);
	spin_lock_init(&km->lock);
	xa_init(&km->threads);
	g0->home_nid = 0;
	g1->home_nid = 1;
	km->parts[0] = g0;
	km->parts[1] = g1;
	kt1->part = 0;
	kt2->part = 1;
	KUNIT_ASSERT_FALSE(test, xa_is_err(xa_store(&km->threads, 11, kt1,
						    GFP_KERNEL)));
	KUNIT_ASSERT_FALSE(test, xa_is_err(xa_store(&km->threads, 12, kt2,
						    GFP_KERNEL)));

	spin_lock(&km->lock);
	/* thread 11, now at home on node 0, asked for node 1 */
	r->target = 1;
	r->last_tid = 11;
	km->placed = 1;
	r->placed = 1;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));	/* since */
	km->placed = 2;
	KUNIT_EXPECT_TRUE(test, knumad_region_stale(km, r));
	/* thread 12's part is at the destination: the move is made */
	r->last_tid = 12;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	/* ... until that home moves */
	g1->home_nid = 0;
	KUNIT_EXPECT_TRUE(test, knumad_region_stale(km, r));
	g1->home_nid = 1;
	/* no part, no entry, another process's fault, one home */
	r->last_tid = 11;
	kt1->part = NUMA_NO_NODE;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	kt1->part = 0;
	r->last_tid = 13;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	r->last_tid = 0;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	r->last_tid = 11;
	/* an implicit home (node 0) came after the region asked for node 1 */
	km->implicit = g0;
	KUNIT_EXPECT_TRUE(test, knumad_region_stale(km, r));
	/* asked since: kept */
	r->placed = 2;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	r->placed = 1;
	/* asked for the home itself */
	r->target = 0;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	r->target = 1;
	/* samples that say it is shared: it keeps its destination */
	r->nr = 8;
	r->xnode = 3;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	r->nr = 0;
	r->xnode = 0;
	km->implicit = NULL;
	KUNIT_EXPECT_TRUE(test, knumad_region_stale(km, r));
	/* a part whose group is not made yet, a process never split */
	km->parts[0] = NULL;
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	km->parts[0] = g0;
	km->parts = NULL;
	r->shared = true;	/* two threads' memory: no rule of one's */
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	/*
	 * One thread's memory in a process without parts goes where the
	 * thread runs (kept nowhere): this one, which cannot move under
	 * km->lock.  Not pid 11 of the machine, whatever runs it (a first
	 * version of this check read another task's node by chance).
	 */
	r->shared = false;
	r->last_pid = current->pid & LAST__PID_MASK;
	r->last_tid = current->pid;
	km->mm = current->mm;
	r->target = numa_node_id();
	KUNIT_EXPECT_FALSE(test, knumad_region_stale(km, r));
	r->target = (numa_node_id() + 1) % nr_node_ids;
	KUNIT_EXPECT_TRUE(test, knumad_region_stale(km, r));
	spin_unlock(&km->lock);
	xa_destroy(&km->threads);
}

/* Three quarters of the samples from one node make it the user. */
static void knumad_test_majority(struct kunit *test)
{
	unsigned int w[KT_NODES] = { 3, 1, 0, 0 };
	unsigned int w2[KT_NODES] = { 2, 2, 0, 0 };
	unsigned int w3[KT_NODES] = { 0, 1, 0, 5 };

	KUNIT_EXPECT_EQ(test, knumad_region_user(w, KT_NODES, 4, 4, 0), 0);
	KUNIT_EXPECT_EQ(test, knumad_region_user(w2, KT_NODES, 4, 4, 0),
			NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, knumad_region_user(w3, KT_NODES, 6, 6, 1), 3);
	/* too many samples on folios last touched from another node */
	KUNIT_EXPECT_EQ(test, knumad_region_user(w3, KT_NODES, 6, 6, 2),
			NUMA_NO_NODE);
	/* too few second touches */
	KUNIT_EXPECT_EQ(test, knumad_region_user(w, KT_NODES, 4, 1, 0),
			NUMA_NO_NODE);
}

/* A page hammered alternately from two nodes never gets a destination. */
static void knumad_test_shared_stays(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	int i, target = NUMA_NO_NODE;

	/* first touch, then each touch follows one from the other node */
	kt_sample(r, 0, NUMA_NO_NODE, 0);
	for (i = 1; i < 200; i++)
		target = kt_sample(r, i & 1, !(i & 1), i);
	KUNIT_EXPECT_EQ(test, target, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, r->flips, 0U);
}

/* @r: 40 samples of threads on nodes 2 and 3 taking turns on its folios */
static void kt_shared_2_3(struct knumad_region *r)
{
	int i;

	kt_sample(r, 2, NUMA_NO_NODE, 0);
	for (i = 1; i < 40; i++)
		kt_sample(r, 2 + (i & 1), 2 + !(i & 1), 0);
}

/* knumad_region_stranded() with every node allowed and with memory */
static int kt_strand(struct knumad_region *r, const unsigned long *f,
		     int src, int this_nid, int last_nid, int home,
		     unsigned long now)
{
	nodemask_t all = NODE_MASK_NONE;
	int i;

	for (i = 0; i < KT_NODES; i++)
		node_set(i, all);
	return knumad_region_stranded(r, KT_NODES, f, NULL, &all, &all, src,
				      this_nid, last_nid, home, now);
}

/*
 * The same for a region on node 2 whose folio node 1 touched last, the
 * census @present, the sample taken on @this_nid, no strand for a minute.
 */
static int kt_census(struct knumad_region *r, const unsigned long *f,
		     const nodemask_t *present, int this_nid)
{
	nodemask_t all = NODE_MASK_NONE;
	int i;

	for (i = 0; i < KT_NODES; i++)
		node_set(i, all);
	return knumad_region_stranded(r, KT_NODES, f, present, &all, &all, 2,
				      this_nid, 1, NUMA_NO_NODE, 60 * HZ);
}

/*
 * A buffer shared by threads on nodes 2 and 3 whose folios sit on node
 * 1, where the process looks absent, is stranded: it goes to the user
 * node with the most samples (the sampling node on a tie; the home if it
 * is a user; only a node the cpuset allows, with memory, that the
 * process faults from) and stays while the process faults from there;
 * once it does not, it goes again, the first time at once (whatever the
 * flip back-off), then after 2 s, 4 s ...  Not from a node the process
 * faults from, that more than an eighth of the samples came from, or
 * that last touched the folio; not from the home or bound for it; not a
 * region one node uses (knumad_region_user()'s) or with too few second
 * touches.
 */
static void knumad_test_stranded(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	struct knumad_region *q = knumad_test_region(test);
	struct knumad_region *p = knumad_test_region(test);
	unsigned long f[KT_NODES] = { 0, 0, 5, 5 };
	nodemask_t all = NODE_MASK_NONE, some;
	int i;

	for (i = 0; i < KT_NODES; i++)
		node_set(i, all);
	some = all;
	node_clear(3, some);
	kt_shared_2_3(r);
	kt_shared_2_3(q);
	KUNIT_EXPECT_EQ(test, r->target, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, r->weight[2], 20U);
	KUNIT_EXPECT_EQ(test, r->weight[3], 20U);
	KUNIT_EXPECT_EQ(test, r->nr, 40U);
	/* on node 2, a user's: it stays */
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 2, 3, 2, NUMA_NO_NODE, 0),
			NUMA_NO_NODE);
	/* on node 1: the home, last touched from there, faults from there */
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 1, 2, 3, 1, 0), NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 1, 2, 1, NUMA_NO_NODE, 0),
			NUMA_NO_NODE);
	f[1] = 1;
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 1, 2, 3, NUMA_NO_NODE, 0),
			NUMA_NO_NODE);
	f[1] = 0;
	/* more than an eighth of the samples from node 1: it stays */
	r->weight[1] = 6;
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 1, 2, 3, NUMA_NO_NODE, 0),
			NUMA_NO_NODE);
	/*
	 * An eighth: stranded.  Node 0's samples are the most, but the
	 * process faults from node 0 no more: the sampling node of the
	 * two users, tied.
	 */
	r->weight[1] = 5;
	r->weight[0] = 30;
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 1, 3, 2, NUMA_NO_NODE, 0), 3);
	KUNIT_EXPECT_EQ(test, r->target, 3);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->strands, 1U);
	r->weight[0] = 0;
	r->weight[1] = 0;
	/* the home if it is a user, lighter or not; the cpuset's nodes */
	q->weight[3] = 10;
	KUNIT_EXPECT_EQ(test, kt_strand(q, f, 1, 2, 3, 3, 0), 3);
	q->target = NUMA_NO_NODE;
	q->strands = 0;
	q->weight[3] = 30;
	KUNIT_EXPECT_EQ(test, knumad_region_stranded(q, KT_NODES, f, NULL,
						     &some, &all, 1, 3, 2,
						     NUMA_NO_NODE, 0), 2);
	q->target = NUMA_NO_NODE;
	q->strands = 0;
	KUNIT_EXPECT_EQ(test, knumad_region_stranded(q, KT_NODES, f, NULL,
						     &all, &some, 1, 3, 2,
						     NUMA_NO_NODE, 0), 2);
	/* at node 3 and shared still: it stays, the folio anywhere */
	for (i = 0; i < 40; i++)
		KUNIT_EXPECT_EQ(test, kt_sample(r, 2 + (i & 1), 2 + !(i & 1),
						HZ), 3);
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 3, 2, 3, NUMA_NO_NODE, HZ), 3);
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 1, 2, 3, NUMA_NO_NODE, HZ), 3);
	KUNIT_EXPECT_EQ(test, r->flips, 0U);
	/*
	 * Its users now on node 0 (sharing it with a thread of another
	 * process on node 1: samples still cross-node): while the process
	 * still faults from node 3, it stays; once it does not, it goes,
	 * the flip back-off what it may be, but 2 s after the last change
	 * of this kind at the soonest.
	 */
	for (i = 0; i < 200; i++)
		KUNIT_EXPECT_EQ(test, kt_sample(r, 0, 1, HZ), 3);
	f[0] = 5;
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 3, 0, 1, NUMA_NO_NODE, HZ), 3);
	f[2] = 0;
	f[3] = 0;
	r->flips = KNUMAD_MAX_FLIP_SHIFT;
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 3, 0, 1, NUMA_NO_NODE,
					2 * HZ - 1), 3);
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 3, 0, 1, NUMA_NO_NODE, 2 * HZ),
			0);
	KUNIT_EXPECT_EQ(test, r->flips, KNUMAD_MAX_FLIP_SHIFT + 1U);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->strands, 2U);
	/* a destination the folio's last toucher ran on is no stranding */
	r->target = 3;
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 1, 0, 3, NUMA_NO_NODE, 60 * HZ),
			3);
	/* bound for the home: it stays there */
	r->target = 1;
	KUNIT_EXPECT_EQ(test, kt_strand(r, f, 2, 0, 3, 1, 60 * HZ), 1);
	/*
	 * The process still faults from node 2, where the folio is, but
	 * its last census found none of its active threads there: gone
	 * from it (the fault count lags), as it is from the destination,
	 * node 3 - the region goes to node 0.  Not while the census has a
	 * thread on node 2, nor when the sample is taken there.
	 */
	r->target = 3;
	r->strands = 0;
	f[2] = 4;
	some = NODE_MASK_NONE;
	node_set(0, some);
	node_set(2, some);
	KUNIT_EXPECT_EQ(test, kt_census(r, f, &some, 0), 3);
	node_clear(2, some);
	KUNIT_EXPECT_EQ(test, kt_census(r, f, &some, 2), 3);
	KUNIT_EXPECT_EQ(test, kt_census(r, f, &some, 0), 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->strands, 1U);
	/* a destination the census finds no thread at is left as well */
	r->target = 3;
	r->strands = 0;
	f[3] = 5;
	KUNIT_EXPECT_EQ(test, kt_census(r, f, &some, 0), 0);
	/* nor is one chosen, however many samples it has: they are past */
	r->target = NUMA_NO_NODE;
	r->strands = 0;
	r->weight[3] = r->weight[0] + 1;
	KUNIT_EXPECT_EQ(test, kt_census(r, f, &some, 0), 0);
	/* nor the node it is on, though its samples outweigh the rest */
	r->target = NUMA_NO_NODE;
	r->strands = 0;
	r->weight[3] = 0;
	r->weight[0] = 1;
	r->weight[2] = r->nr / 8;
	KUNIT_EXPECT_GT(test, r->weight[2], r->weight[0]);
	KUNIT_EXPECT_EQ(test, kt_census(r, f, &some, 0), 0);
	f[2] = 0;
	f[3] = 0;
	/* one node's memory, or too few second touches: not stranded */
	kt_sample(p, 2, NUMA_NO_NODE, 0);
	KUNIT_EXPECT_EQ(test, kt_strand(p, f, 1, 0, 3, NUMA_NO_NODE, 0),
			NUMA_NO_NODE);
	kt_sample(p, 2, 2, 0);
	kt_sample(p, 2, 2, 0);
	KUNIT_EXPECT_EQ(test, p->target, 2);
	p->target = NUMA_NO_NODE;
	KUNIT_EXPECT_EQ(test, kt_strand(p, f, 1, 0, 3, NUMA_NO_NODE, 0),
			NUMA_NO_NODE);
}

/*
 * A visit as knumad_hint_fault() takes it: thread @pid on @nid samples
 * the 16 folios of @r's chunk, whose last touchers are in @fnid/@fpid
 * (-1: none; a new chunk every KNUMAD_ROTATE_PASSES passes), for a
 * process split one part per node: the sample's home is the thread's
 * node unless @r is bound for another part's home and its back-off is
 * not over (knumad_split_home()).  Returns the destination after it.
 */
static int kt_visit(struct knumad_region *r, int *fnid, int *fpid,
		    int nid, pid_t pid, unsigned long now)
{
	int i, prev, last, home, target = r->target;

	for (i = 0; i < KNUMAD_SAMPLE_PAGES; i++) {
		prev = knumad_region_visit(r, nid, pid & LAST__PID_MASK,
					   i == 0, true, now);
		last = fpid[i] < 0 ? prev : fpid[i] == pid ? nid : fnid[i];
		fnid[i] = nid;
		fpid[i] = pid;
		r->last_nid = nid;
		r->last_pid = pid & LAST__PID_MASK;
		home = r->target == NUMA_NO_NODE || r->target == nid ||
		       !time_before(now, r->flip_at +
				    knumad_flip_wait(r->flips)) ?
		       nid : NUMA_NO_NODE;
		target = knumad_region_sample(r, KT_NODES, nid, last, home, 1,
					      now);
	}
	return target;
}

/* kt_visit() of pass @pass: a new chunk every KNUMAD_ROTATE_PASSES */
static int kt_pass(struct knumad_region *r, int *fnid, int *fpid, int pass,
		   int nid, pid_t pid, unsigned long now)
{
	int i;

	if (pass % KNUMAD_ROTATE_PASSES == 0)
		for (i = 0; i < KNUMAD_SAMPLE_PAGES; i++) {
			fpid[i] = -1;
			fnid[i] = -1;
		}
	return kt_visit(r, fnid, fpid, nid, pid, now);
}

static struct knumad_region *knumad_test_visited(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);

	r->last_nid = NUMA_NO_NODE;
	r->from_nid = NUMA_NO_NODE;
	r->last_pid = -1 & LAST__PID_MASK;
	r->prev_pid = -1 & LAST__PID_MASK;
	return r;
}

/*
 * A region only thread A sampled is A's alone (knumad_region_sole()):
 * its memory follows A and is not taken to a node A left.  Once another
 * thread took a sample - at a visit's first or in the middle of A's
 * visit - it is nobody's alone, for good, and so once a fault from
 * another process (remote GUP, no thread) took one.
 */
static void knumad_test_sole(struct kunit *test)
{
	struct knumad_region *r = knumad_test_visited(test);
	struct knumad_region *g = knumad_test_visited(test);
	const u8 none = -1 & LAST__PID_MASK, a = 0x21, b = 0x22;

	KUNIT_EXPECT_FALSE(test, knumad_region_sole(r, a));
	knumad_region_took(r, a);
	KUNIT_EXPECT_TRUE(test, knumad_region_sole(r, a));
	KUNIT_EXPECT_FALSE(test, knumad_region_sole(r, b));
	KUNIT_EXPECT_FALSE(test, knumad_region_sole(r, none));
	knumad_region_took(r, a);
	KUNIT_EXPECT_TRUE(test, knumad_region_sole(r, a));
	/* B in the middle of A's visit, then A again */
	knumad_region_took(r, b);
	KUNIT_EXPECT_FALSE(test, knumad_region_sole(r, b));
	knumad_region_took(r, a);
	KUNIT_EXPECT_FALSE(test, knumad_region_sole(r, a));
	/* A, a fault from another process, A */
	knumad_region_took(g, a);
	knumad_region_took(g, none);
	knumad_region_took(g, a);
	KUNIT_EXPECT_FALSE(test, knumad_region_sole(g, a));
}

/* A huge-page sample of one thread's region on @nid, at @now */
static int kt_huge(struct knumad_region *r, int nid, bool follow, int was,
		   unsigned long now)
{
	if (follow)
		knumad_region_follow(r, KT_NODES, nid, was);
	return knumad_region_sample(r, KT_NODES, nid, nid, NUMA_NO_NODE,
				    KNUMAD_MIN_SAMPLES, now);
}

/*
 * A huge page of one thread, decided for node 1 by three samples there,
 * then sampled from node 2, where the thread runs now: the second sample
 * in a row from node 2 (a visit's first, a pass after the first) forgets
 * the other nodes' (knumad_region_follow()) and decides the region for
 * node 2 - where without it node 1's samples still outvote node 2's.
 * One sample elsewhere, or one at the destination, forgets nothing.
 * knumad_hint_fault() calls it only at a visit's first sample.
 */
static void knumad_test_follow(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	struct knumad_region *o = knumad_test_region(test);
	unsigned long now = 1000;
	int i;

	for (i = 0; i < 3; i++, now += HZ) {
		kt_huge(r, 1, true, 1, now);
		kt_huge(o, 1, false, 1, now);
	}
	KUNIT_EXPECT_EQ(test, r->target, 1);
	KUNIT_EXPECT_EQ(test, o->target, 1);
	/* a sample from node 3 (not counted as a second in a row) */
	KUNIT_EXPECT_EQ(test, kt_huge(r, 3, false, 1, now), 1);
	KUNIT_EXPECT_EQ(test, kt_huge(o, 3, false, 1, now), 1);
	/* at the destination: nothing forgotten */
	knumad_region_follow(r, KT_NODES, 1, 1);
	KUNIT_EXPECT_EQ(test, r->weight[3], 1U * KNUMAD_MIN_SAMPLES);
	KUNIT_EXPECT_EQ(test, r->weight[1], 3U * KNUMAD_MIN_SAMPLES);
	/* the first sample from node 2 (the last was node 1's): outvoted */
	KUNIT_EXPECT_EQ(test, kt_huge(r, 2, true, 1, now), 1);
	KUNIT_EXPECT_EQ(test, kt_huge(o, 2, false, 1, now), 1);
	KUNIT_EXPECT_EQ(test, r->weight[1], 3U * KNUMAD_MIN_SAMPLES);
	now += HZ;
	/* the second in a row: node 1's samples are forgotten */
	KUNIT_EXPECT_EQ(test, kt_huge(r, 2, true, 2, now), 2);
	KUNIT_EXPECT_EQ(test, r->weight[1], 0U);
	KUNIT_EXPECT_EQ(test, r->weight[3], 0U);
	KUNIT_EXPECT_EQ(test, r->nr, r->weight[2]);
	KUNIT_EXPECT_LE(test, r->known, r->nr);
	KUNIT_EXPECT_EQ(test, kt_huge(o, 2, false, 2, now), 1);
	now += HZ;
	/* one sample back on node 1 after node 2's: forgets nothing */
	KUNIT_EXPECT_EQ(test, kt_huge(r, 1, true, 2, now), 2);
	KUNIT_EXPECT_NE(test, r->weight[2], 0U);
}

/*
 * Two threads on two nodes sweep one buffer: a pass's 16 samples of a
 * region all go to whichever comes first.  Runs of three passes each
 * (the first-comer's samples then outweigh the contest) moved the region
 * at every run the back-off allowed (6 changes in 60 s, 3 after the
 * first 9 s, before knumad_region_visit()); a thread that takes it back
 * holds it for the longest back-off: it moves at the first turn at
 * most (which looks like a handover for good), not after.  A thread
 * that takes over for good, or one thread that changes node, still
 * moves it.
 */
static void knumad_test_handover(struct kunit *test)
{
	struct knumad_region *r = knumad_test_visited(test);
	int pass, target, prev, changes = 0, late = 0, nid;
	int fnid[KNUMAD_SAMPLE_PAGES], fpid[KNUMAD_SAMPLE_PAGES];
	unsigned long now = 1000;

	/* A (pid 100) on node 1, B (pid 201) on node 2: runs of three */
	prev = NUMA_NO_NODE;
	for (pass = 0; pass < 60; pass++, now += HZ) {
		nid = (pass / 3) & 1 ? 2 : 1;
		target = kt_pass(r, fnid, fpid, pass, nid,
				 nid == 1 ? 100 : 201, now);
		changes += target != prev;
		if (pass >= 9)
			late += target != prev;
		prev = target;
	}
	KUNIT_EXPECT_NE(test, target, NUMA_NO_NODE);
	KUNIT_EXPECT_LE(test, changes, 2);
	KUNIT_EXPECT_EQ(test, late, 0);
	KUNIT_EXPECT_GE(test, r->flips, KNUMAD_MAX_FLIP_SHIFT);
	/* held once, early: the later turns did not restart the hold */
	KUNIT_EXPECT_LT(test, r->flip_at, 1000UL + 12 * HZ);

	/* B alone from now on: the region follows it after the back-off */
	for (pass = 60; pass < 260 && target != 2; pass++, now += HZ)
		target = kt_pass(r, fnid, fpid, pass, 2, 201, now);
	KUNIT_EXPECT_EQ(test, target, 2);
	KUNIT_EXPECT_LE(test, pass - 60, 66);

	/* B moves to node 3: its own samples, not a turn */
	for (pass = 0; pass < 200 && target != 3; pass++, now += HZ)
		target = kt_pass(r, fnid, fpid, pass, 3, 201, now);
	KUNIT_EXPECT_EQ(test, target, 3);
	KUNIT_EXPECT_EQ(test, r->from_nid, NUMA_NO_NODE);

	/*
	 * A main thread (pid 7) that first touched the memory on node 0,
	 * then the worker on node 1 (pid 300): a handover for good moves the
	 * region as soon as it did before, and counts one flip.
	 */
	r = knumad_test_visited(test);
	now = 1000;
	for (pass = 0; pass < 3; pass++, now += HZ)
		target = kt_pass(r, fnid, fpid, pass, 0, 7, now);
	KUNIT_EXPECT_EQ(test, target, 0);
	for (; pass < 20 && target != 1; pass++, now += HZ)
		target = kt_pass(r, fnid, fpid, pass, 1, 300, now);
	KUNIT_EXPECT_EQ(test, target, 1);
	KUNIT_EXPECT_LE(test, pass, 3 + 2);
	KUNIT_EXPECT_EQ(test, r->flips, 1U);

	/*
	 * Low pid bits 0xff are "no thread" (a remote fault's): a visit by
	 * such a pid between the worker's is no turn.
	 */
	now += HZ;
	kt_pass(r, fnid, fpid, pass++, 2, 0x2ff, now);
	now += HZ;
	kt_pass(r, fnid, fpid, pass++, 1, 300, now);
	KUNIT_EXPECT_EQ(test, r->flips, 1U);
}

/* One sample as knumad_hint_fault() records it; its previous touch's node */
static int kt_one(struct knumad_region *r, int nid, pid_t pid, bool first,
		  bool hold, unsigned long now)
{
	int prev = knumad_region_visit(r, nid, pid & LAST__PID_MASK, first,
				       hold, now);

	r->last_nid = nid;
	r->last_pid = pid & LAST__PID_MASK;
	return prev;
}

/*
 * knumad_region_visit()'s rules one sample at a time: a take-back holds
 * the region, but not in a regroup's grace (@hold false); another
 * thread's sample in the middle of a visit ends the visit's takeover.
 */
static void knumad_test_visit_rules(struct kunit *test)
{
	struct knumad_region *r = knumad_test_visited(test);
	unsigned long now = 1000;
	int i;

	/* decided for node 1; A (pid 100) there, B (201) on 2, A again */
	r->target = 1;
	r->flips = 1;
	kt_one(r, 1, 100, true, false, now);
	kt_one(r, 2, 201, true, false, now + HZ);
	kt_one(r, 1, 100, true, false, now + 2 * HZ);
	KUNIT_EXPECT_EQ(test, r->flips, 1U);	/* in the grace: no hold */
	/* after it, B's take-back holds it; A's next one does not again */
	kt_one(r, 2, 201, true, true, now + 3 * HZ);
	KUNIT_EXPECT_EQ(test, r->flips, KNUMAD_MAX_FLIP_SHIFT);
	KUNIT_EXPECT_EQ(test, r->flip_at, now + 3 * HZ);
	kt_one(r, 1, 100, true, true, now + 4 * HZ);
	KUNIT_EXPECT_EQ(test, r->flip_at, now + 3 * HZ);
	/*
	 * Held where it is: B's own samples on node 2, all of them, leave
	 * the destination at node 1 for the longest back-off from the
	 * take-back, and move it after that.
	 */
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, kt_sample(r, 2, 2, now + 5 * HZ), 1);
	KUNIT_EXPECT_EQ(test, kt_sample(r, 2, 2, now + 3 * HZ +
					knumad_flip_wait(KNUMAD_MAX_FLIP_SHIFT) - 1), 1);
	KUNIT_EXPECT_EQ(test, kt_sample(r, 2, 2, now + 3 * HZ +
					knumad_flip_wait(KNUMAD_MAX_FLIP_SHIFT)), 2);

	/*
	 * A takes the region over from B (node 2): its visit's samples of
	 * never-touched folios count against node 2 - until B samples the
	 * region in the middle of A's visit; after it, A's samples count
	 * against the region's previous sample's node (B's 2, then A's 1).
	 */
	r = knumad_test_visited(test);
	kt_one(r, 2, 201, true, true, now);
	KUNIT_EXPECT_EQ(test, kt_one(r, 1, 100, true, true, now + HZ), 2);
	KUNIT_EXPECT_EQ(test, kt_one(r, 1, 100, false, true, now + HZ), 2);
	KUNIT_EXPECT_EQ(test, kt_one(r, 2, 201, false, true, now + HZ), 1);
	KUNIT_EXPECT_EQ(test, r->from_nid, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, kt_one(r, 1, 100, false, true, now + HZ), 2);
	KUNIT_EXPECT_EQ(test, kt_one(r, 1, 100, false, true, now + HZ), 1);
}

/* Users that move: the destination follows, but ever more slowly. */
static void knumad_test_flip_backoff(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	unsigned long now = 1000, flipped;
	int round, i, target, nid;

	for (i = 0; i < 4; i++)
		kt_sample(r, 0, 0, now);
	KUNIT_ASSERT_EQ(test, r->target, 0);
	flipped = now;

	for (round = 1; round <= 8; round++) {
		nid = round & 1;
		do {
			now += HZ / 16;
			target = kt_sample(r, nid, nid, now);
		} while (target != nid && now - flipped < 1000 * HZ);
		KUNIT_EXPECT_EQ(test, target, nid);
		/* never sooner than the back-off allows */
		KUNIT_EXPECT_GE(test, now - flipped,
				knumad_flip_wait(round - 1));
		flipped = now;
	}
	KUNIT_EXPECT_EQ(test, r->flips, 8U);
	/* the wait stops growing at 64 s */
	KUNIT_EXPECT_EQ(test, knumad_flip_wait(100), 64UL * HZ);
}

/*
 * A process with a home: an unshared region goes there at once, whatever
 * it learned and however recently it flipped; when its samples turn
 * shared and back, over and over, the destination stays the home (the
 * memory moved 1 + 2 x 8 times here before the home was part of it).
 */
static void knumad_test_home_no_ping_pong(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	int i, round, prev, target, changes = 0;
	unsigned long now = 1000;

	for (i = 0; i < 4; i++)
		kt_sample(r, 1, 1, now);
	KUNIT_ASSERT_EQ(test, r->target, 1);
	prev = r->target;
	for (round = 0; round < 8; round++) {
		/* cross-node samples until they are over a quarter ... */
		for (i = 0; i < 16; i++, now++) {
			target = knumad_region_sample(r, KT_NODES, i & 1,
						      !(i & 1), 0, 1, now);
			changes += target != prev;
			prev = target;
		}
		KUNIT_EXPECT_GT(test, r->xnode * 4, r->nr);
		/* ... then same-node ones until they are under it */
		for (i = 0; i < 64; i++, now++) {
			target = knumad_region_sample(r, KT_NODES, 1, 1, 0,
						      1, now);
			changes += target != prev;
			prev = target;
		}
		KUNIT_EXPECT_LE(test, r->xnode * 4, r->nr);
	}
	KUNIT_EXPECT_EQ(test, target, 0);
	KUNIT_EXPECT_EQ(test, changes, 1);
}

/* A thread that ran an eighth of the window is busy. */
static void knumad_test_busy(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, knumad_busy(NSEC_PER_SEC / 8, NSEC_PER_SEC));
	KUNIT_EXPECT_FALSE(test, knumad_busy(NSEC_PER_SEC / 8 - 1,
					     NSEC_PER_SEC));
	/* a thread seen at its birth has no window: unsure, not idle */
	KUNIT_EXPECT_TRUE(test, knumad_busy(0, 0));
}

/* Counts halve at KNUMAD_DECAY_AT, so they stay bounded. */
static void knumad_test_decay(struct kunit *test)
{
	struct knumad_region *r = knumad_test_region(test);
	int i;

	for (i = 0; i < 10000; i++)
		kt_sample(r, 2, 2, i);
	KUNIT_EXPECT_LE(test, r->nr, (unsigned int)KNUMAD_DECAY_AT);
	KUNIT_EXPECT_EQ(test, r->weight[2], r->nr);
	KUNIT_EXPECT_EQ(test, r->target, 2);
}

static void knumad_test_rate(struct kunit *test)
{
	/* 256 MiB/s for one second: 256 MiB of pages */
	KUNIT_EXPECT_EQ(test, knumad_rate_pages(256, 1000),
			256UL * 1024 * 1024 / PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, knumad_rate_pages(1, 0), 0UL);
	/* the largest accepted values do not overflow */
	KUNIT_EXPECT_EQ(test, (u64)knumad_rate_pages(1U << 20, 1000),
			div_u64(1ULL << 40, PAGE_SIZE));
}

/* A process that fits a node gets the node with most of its faults. */
static void knumad_test_implicit_fits(struct kunit *test)
{
	unsigned long faults[KT_NODES] = { 10, 50, 0, 0 };
	unsigned int cpus[KT_NODES] = { 2, 2, 2, 2 };
	unsigned long room[KT_NODES] = { 1000, 1000, 1000, 1000 };

	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 2048, 500), 1);
	/* too few recent faults to tell */
	faults[1] = 10;
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 2048, 500),
			NUMA_NO_NODE);
	/* a tie: the lower node */
	faults[0] = 20;
	faults[1] = 20;
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 2048, 500), 0);
	/* no thread faulted lately: nothing to place */
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 0, 500),
			NUMA_NO_NODE);
}

/*
 * No node has the CPUs that other threads leave free: a process whose
 * threads all run on one node gets a home where its memory is anyway,
 * one whose threads run on two nodes does not (numa01t: a home that a
 * thread could not reach, its memory moved there without it) - unless
 * they share memory, which the home brings together.  Anyway means among
 * the CPUs that other processes do not use now: not beside another
 * process's busy thread (numa01t again, its threads on one node for a
 * moment); for sharers, among all the CPUs (two sharing processes
 * crossed on 2 nodes would each wait for the other).
 */
static void knumad_test_implicit_pick(struct kunit *test)
{
	unsigned long faults[KT_NODES] = { 10, 50, 0, 0 };
	unsigned int left[KT_NODES] = { 1, 1, 0, 0 };
	unsigned int idle[KT_NODES] = { 2, 2, 0, 0 };
	unsigned int cpus[KT_NODES] = { 2, 2, 0, 0 };
	unsigned long room[KT_NODES] = { 1000, 1000, 1000, 1000 };

	KUNIT_EXPECT_EQ(test, knumad_implicit_pick(faults, left, idle, cpus,
						   room, KT_NODES, 2048, 500,
						   2, false),
			NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, knumad_implicit_pick(faults, left, idle, cpus,
						   room, KT_NODES, 2048, 500,
						   1, false), 1);
	/* threads that share memory: brought together anyway */
	KUNIT_EXPECT_EQ(test, knumad_implicit_pick(faults, left, idle, cpus,
						   room, KT_NODES, 2048, 500,
						   2, true), 1);
	/* a busy thread of another process on node 1: node 0 then */
	idle[1] = 1;
	KUNIT_EXPECT_EQ(test, knumad_implicit_pick(faults, left, idle, cpus,
						   room, KT_NODES, 2048, 500,
						   1, false), 0);
	/* and on node 0 too: no home for threads on one node ... */
	idle[0] = 1;
	KUNIT_EXPECT_EQ(test, knumad_implicit_pick(faults, left, idle, cpus,
						   room, KT_NODES, 2048, 500,
						   1, false), NUMA_NO_NODE);
	/* ... but sharers still come together, by all the CPUs */
	KUNIT_EXPECT_EQ(test, knumad_implicit_pick(faults, left, idle, cpus,
						   room, KT_NODES, 2048, 500,
						   2, true), 1);
	/* and threads that may run on node 1 only get their home there */
	cpus[0] = 0;
	KUNIT_EXPECT_EQ(test, knumad_implicit_pick(faults, left, idle, cpus,
						   room, KT_NODES, 2048, 500,
						   1, false), 1);
	cpus[0] = 2;
	/* room left on node 0: the home is there, wherever the threads run */
	left[0] = 2;
	idle[0] = 2;
	KUNIT_EXPECT_EQ(test, knumad_implicit_pick(faults, left, idle, cpus,
						   room, KT_NODES, 2048, 500,
						   2, false), 0);
}

/* Threads or memory that do not fit a node: no home there. */
static void knumad_test_implicit_too_big(struct kunit *test)
{
	unsigned long faults[KT_NODES] = { 10, 50, 0, 0 };
	unsigned int cpus[KT_NODES] = { 2, 2, 2, 2 };
	unsigned long room[KT_NODES] = { 1000, 1000, 1000, 1000 };

	/* two busy threads and a quarter of a CPU more fit 2 CPUs ... */
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 2304, 500), 1);
	/* ... a little more does not */
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 2305, 500),
			NUMA_NO_NODE);
	/* 3 busy threads on 2-CPU nodes */
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 3072, 500),
			NUMA_NO_NODE);
	/* more memory than half a node */
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 2048, 1001),
			NUMA_NO_NODE);
	/* a thread may not run on node 1: the next best node that fits */
	cpus[1] = 0;
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 2048, 500), 0);
	/* threads pinned to different nodes fit none */
	memset(cpus, 0, sizeof(cpus));
	KUNIT_EXPECT_EQ(test, knumad_implicit_node(faults, cpus, room,
						   KT_NODES, 2048, 500),
			NUMA_NO_NODE);
}

/*
 * A group is kept with a quarter more memory than it took to get it, and
 * half a CPU more demand.
 */
static void knumad_test_implicit_keeps(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, knumad_implicit_keeps(2, 1000, 2048, 1000));
	KUNIT_EXPECT_TRUE(test, knumad_implicit_keeps(2, 1000, 2048, 1250));
	KUNIT_EXPECT_FALSE(test, knumad_implicit_keeps(2, 1000, 2048, 1251));
	KUNIT_EXPECT_FALSE(test, knumad_implicit_keeps(2, 1000, 3072, 10));
	KUNIT_EXPECT_FALSE(test, knumad_implicit_keeps(0, 1000, 1024, 10));
	KUNIT_EXPECT_TRUE(test, knumad_implicit_keeps(2, 1000, 0, 10));
	KUNIT_EXPECT_TRUE(test, knumad_implicit_keeps(2, 1000, 2560, 10));
	KUNIT_EXPECT_FALSE(test, knumad_implicit_keeps(2, 1000, 2561, 10));
}

/*
 * A thread is apart from its memory when more than a quarter of its
 * recent samples, and 8 at least, were of memory off its node: not for
 * the few pages every thread shares (its stack, set up by its creator).
 */
static void knumad_test_thread_apart(struct kunit *test)
{
	unsigned long mem[2];

	mem[0] = 100;
	mem[1] = 0;
	KUNIT_EXPECT_FALSE(test, knumad_thread_apart(mem, 2, 0));
	KUNIT_EXPECT_TRUE(test, knumad_thread_apart(mem, 2, 1));
	mem[1] = 25;		/* a fifth away */
	KUNIT_EXPECT_FALSE(test, knumad_thread_apart(mem, 2, 0));
	mem[1] = 34;		/* over a quarter */
	KUNIT_EXPECT_TRUE(test, knumad_thread_apart(mem, 2, 0));
	mem[0] = 1;		/* few samples, all away: the one behind */
	mem[1] = 8;
	KUNIT_EXPECT_TRUE(test, knumad_thread_apart(mem, 2, 0));
	mem[1] = 7;		/* too few to tell */
	KUNIT_EXPECT_FALSE(test, knumad_thread_apart(mem, 2, 0));
	mem[0] = 0;
	mem[1] = 0;
	KUNIT_EXPECT_FALSE(test, knumad_thread_apart(mem, 2, 0));
}

/*
 * A thread spurns the nodes that do not have more than half of its
 * samples, the node it ran on excepted; one without samples, none.
 */
static void knumad_test_thread_spurns(struct kunit *test)
{
	unsigned long mem[3] = { 0, 0, 0 };
	nodemask_t spurned = NODE_MASK_NONE;

	knumad_thread_spurns(mem, 3, 0, &spurned);
	KUNIT_EXPECT_TRUE(test, nodes_empty(spurned));
	mem[1] = 1;		/* a follower on node 0: one sample, node 1 */
	knumad_thread_spurns(mem, 3, 0, &spurned);
	KUNIT_EXPECT_FALSE(test, node_isset(0, spurned));
	KUNIT_EXPECT_FALSE(test, node_isset(1, spurned));
	KUNIT_EXPECT_TRUE(test, node_isset(2, spurned));
	nodes_clear(spurned);
	mem[0] = 1;		/* half and half: neither has more */
	knumad_thread_spurns(mem, 3, 0, &spurned);
	KUNIT_EXPECT_FALSE(test, node_isset(0, spurned));
	KUNIT_EXPECT_TRUE(test, node_isset(1, spurned));
	nodes_clear(spurned);
	mem[0] = 5;		/* its own memory, on its own node */
	knumad_thread_spurns(mem, 3, 0, &spurned);
	KUNIT_EXPECT_TRUE(test, node_isset(1, spurned));
	KUNIT_EXPECT_TRUE(test, node_isset(2, spurned));
	nodes_clear(spurned);
	knumad_thread_spurns(mem, 3, 1, &spurned);	/* ran on node 1 */
	KUNIT_EXPECT_FALSE(test, node_isset(0, spurned));
	KUNIT_EXPECT_FALSE(test, node_isset(1, spurned));
	/* the census adds each thread's: a second one's add to the first's */
	mem[0] = 0;
	mem[1] = 0;
	mem[2] = 3;
	knumad_thread_spurns(mem, 3, 1, &spurned);
	KUNIT_EXPECT_TRUE(test, node_isset(0, spurned));
	KUNIT_EXPECT_FALSE(test, node_isset(1, spurned));
	KUNIT_EXPECT_TRUE(test, node_isset(2, spurned));
}

/*
 * A process whose samples are nearly all of one node's memory, with an
 * active thread that ran on another node: that thread is apart from the
 * memory, though its own samples are too few to say (the one behind of
 * two threads sweeping one buffer) - unless a thread that ran elsewhere
 * has not more than half of its own samples there.  Not when it is on
 * two nodes, nor on too few samples, nor with every thread there.
 */
static void knumad_test_ran_off_mem(struct kunit *test)
{
	unsigned long mem[3] = { 0, 100, 0 };
	nodemask_t ran = NODE_MASK_NONE, spurned = NODE_MASK_NONE;

	node_set(1, ran);
	KUNIT_EXPECT_EQ(test, knumad_ran_off_mem(mem, 3, &ran, &spurned),
			NUMA_NO_NODE);
	node_set(0, ran);
	KUNIT_EXPECT_EQ(test, knumad_ran_off_mem(mem, 3, &ran, &spurned), 1);
	node_set(1, spurned);	/* a thread on node 0 with its own memory */
	KUNIT_EXPECT_EQ(test, knumad_ran_off_mem(mem, 3, &ran, &spurned),
			NUMA_NO_NODE);
	nodes_clear(spurned);
	node_set(2, spurned);
	mem[1] = 98;
	mem[2] = 14;		/* 14 of 112: an eighth elsewhere, no more */
	KUNIT_EXPECT_EQ(test, knumad_ran_off_mem(mem, 3, &ran, &spurned), 1);
	mem[2] = 15;		/* 15 of 113: more */
	KUNIT_EXPECT_EQ(test, knumad_ran_off_mem(mem, 3, &ran, &spurned),
			NUMA_NO_NODE);
	mem[0] = 50;		/* each thread's own memory on its node */
	mem[1] = 50;
	mem[2] = 0;
	KUNIT_EXPECT_EQ(test, knumad_ran_off_mem(mem, 3, &ran, &spurned),
			NUMA_NO_NODE);
	mem[0] = 0;
	mem[1] = 7;		/* too few to tell */
	KUNIT_EXPECT_EQ(test, knumad_ran_off_mem(mem, 3, &ran, &spurned),
			NUMA_NO_NODE);
	mem[1] = 8;
	KUNIT_EXPECT_EQ(test, knumad_ran_off_mem(mem, 3, &ran, &spurned), 1);
}

/*
 * A process's samples stand for its memory while what knumad does not
 * sample is a quarter of its anonymous memory at most.
 */
static void knumad_test_mostly_sampled(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, knumad_mostly_sampled(8192, 0));
	KUNIT_EXPECT_TRUE(test, knumad_mostly_sampled(8192, 2048));
	KUNIT_EXPECT_FALSE(test, knumad_mostly_sampled(8192, 2049));
	/* the kselftest's case, about: a 64 MiB memfd, 40 MiB anonymous */
	KUNIT_EXPECT_FALSE(test, knumad_mostly_sampled(10240, 16384));
	/* a quarter, rounded down */
	KUNIT_EXPECT_TRUE(test, knumad_mostly_sampled(7, 1));
	KUNIT_EXPECT_FALSE(test, knumad_mostly_sampled(7, 2));
	KUNIT_EXPECT_FALSE(test, knumad_mostly_sampled(0, 1));
	KUNIT_EXPECT_TRUE(test, knumad_mostly_sampled(0, 0));
}

/*
 * A pass out of turn after threads were placed anew comes a quarter of a
 * scan period later, if that is a quarter or more before the next pass
 * (for an ask: an eighth) and the period's budget for such passes is not
 * spent.
 */
static void knumad_test_resample_at(struct kunit *test)
{
	const unsigned long period = 1000, pass = 5000;

	/* placed at the end of a pass: a quarter period later */
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 10, pass, period, 1,
						 false), pass + 260);
	/* the last that may come: a quarter before the next pass; not after */
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 499, pass, period, 1,
						 false), pass + 749);
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 500, pass, period, 1,
						 false), 0);
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 900, pass, period, 1,
						 false), 0);
	/* no budget left this period */
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 10, pass, period, 0,
						 false), 0);
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 10, pass, period, -3,
						 false), 0);
	/* a period too short for a step */
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 1, pass, 3, 1, false),
			0);
	/* jiffies wrap between: still a quarter later */
	KUNIT_EXPECT_EQ(test, knumad_resample_at(-100UL, -200UL, period, 1,
						 false), 150UL);
	/* a last pass long ago (the thread dozed): the next pass is due */
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 9000, pass, period,
						 1, false), 0);
	/* an ask: a pass out of turn half a step before the next pass */
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 500, pass, period, 1,
						 true), pass + 750);
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 624, pass, period, 1,
						 true), pass + 874);
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 625, pass, period, 1,
						 true), 0);
	KUNIT_EXPECT_EQ(test, knumad_resample_at(pass + 10, pass, period, 0,
						 true), 0);
	/* an ask a look takes: the pass runs now, half a step before */
	KUNIT_EXPECT_TRUE(test, knumad_ask_now(pass + 874, pass, period, 1));
	KUNIT_EXPECT_FALSE(test, knumad_ask_now(pass + 875, pass, period, 1));
	KUNIT_EXPECT_FALSE(test, knumad_ask_now(pass + 10, pass, period, 0));
	/* a step of 1: the half step is 1, not 0 */
	KUNIT_EXPECT_TRUE(test, knumad_ask_now(pass + 3, pass, 5, 1));
	KUNIT_EXPECT_FALSE(test, knumad_ask_now(pass + 4, pass, 5, 1));
	KUNIT_EXPECT_FALSE(test, knumad_ask_now(pass + 1, pass, 3, 1));
}

/*
 * A new thread asks for its process's memory to be sampled again when it
 * runs where fewer than a quarter of the recent samples were taken - and
 * only once the process was sampled and has samples at all.
 */
static void knumad_test_few_samples(struct kunit *test)
{
	struct knumad_mm *km;

	if (nr_node_ids < 2)
		kunit_skip(test, "needs two nodes");
	km = kunit_kzalloc(test, struct_size(km, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	km->faults[0] = 65;
	km->faults[1] = 1;
	/* never sampled: its first pass samples where the threads are */
	KUNIT_EXPECT_FALSE(test, knumad_few_samples(km, 1));
	km->scanned = 256;
	KUNIT_EXPECT_TRUE(test, knumad_few_samples(km, 1));
	KUNIT_EXPECT_FALSE(test, knumad_few_samples(km, 0));
	/* a quarter is not few */
	km->faults[0] = 48;
	km->faults[1] = 16;
	KUNIT_EXPECT_FALSE(test, knumad_few_samples(km, 1));
	km->faults[0] = 49;
	km->faults[1] = 15;
	KUNIT_EXPECT_TRUE(test, knumad_few_samples(km, 1));
	/* the memory-side counts are no vote for where samples were taken */
	km->faults[0] = 0;
	km->faults[1] = 0;
	km->faults[nr_node_ids] = 100;
	KUNIT_EXPECT_FALSE(test, knumad_few_samples(km, 1));
}

/*
 * Two active threads or more that fit no node are split; a split process
 * stays split while a busy thread of it is unknown, even if the known
 * ones fit: vnuma's vCPU that took no samples.
 */
static void knumad_test_split_stays(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, knumad_split_stays(2, false, false, false));
	KUNIT_EXPECT_TRUE(test, knumad_split_stays(3, false, true, false));
	/* the known fit, nobody unknown: merged, or never split */
	KUNIT_EXPECT_FALSE(test, knumad_split_stays(3, true, true, false));
	KUNIT_EXPECT_FALSE(test, knumad_split_stays(2, true, false, false));
	/* the vnuma case */
	KUNIT_EXPECT_TRUE(test, knumad_split_stays(3, true, true, true));
	/* not split yet: the unknown thread is waited for, not split for */
	KUNIT_EXPECT_FALSE(test, knumad_split_stays(2, true, false, true));
	/* one known thread is no split */
	KUNIT_EXPECT_FALSE(test, knumad_split_stays(1, false, true, true));
	KUNIT_EXPECT_FALSE(test, knumad_split_stays(0, true, true, true));
}

/*
 * A census sends a thread elsewhere when its part's home changed, or when
 * its first part is away from where its samples were taken; not when it
 * stays, has no part, or has no samples to tell.
 */
static void knumad_test_sent(struct kunit *test)
{
	const int none = NUMA_NO_NODE;

	KUNIT_EXPECT_EQ(test, knumad_sent(1, 0, 0), KNUMAD_SENT_MOVED);
	KUNIT_EXPECT_EQ(test, knumad_sent(1, 1, 0), KNUMAD_SENT_NONE);
	/* the review's case: a first part away from where it ran */
	KUNIT_EXPECT_EQ(test, knumad_sent(1, none, 0), KNUMAD_SENT_FIRST);
	KUNIT_EXPECT_EQ(test, knumad_sent(1, none, 1), KNUMAD_SENT_NONE);
	KUNIT_EXPECT_EQ(test, knumad_sent(1, none, none), KNUMAD_SENT_NONE);
	/* no part now: it left, nothing sent */
	KUNIT_EXPECT_EQ(test, knumad_sent(none, 0, 1), KNUMAD_SENT_NONE);
	KUNIT_EXPECT_EQ(test, knumad_sent(none, none, 1), KNUMAD_SENT_NONE);
}

/*
 * Split now is a part that exists, not the array of them, which stays
 * once made: a process merged or idle since is not split.
 */
static void knumad_test_split_now(struct kunit *test)
{
	struct knumad_mm *km;

	km = kunit_kzalloc(test, struct_size(km, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_EXPECT_FALSE(test, knumad_split_now(km));
	km->parts = kunit_kcalloc(test, nr_node_ids, sizeof(*km->parts),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km->parts);
	KUNIT_EXPECT_FALSE(test, knumad_split_now(km));
	/* never looked into: any pointer is a part */
	km->parts[nr_node_ids - 1] = (struct memsched_group *)km;
	KUNIT_EXPECT_TRUE(test, knumad_split_now(km));
	km->parts[nr_node_ids - 1] = NULL;
	KUNIT_EXPECT_FALSE(test, knumad_split_now(km));
}

/*
 * A thread's peer is the other thread whose memory its samples met most:
 * its own memory and memory nobody sampled are no votes.
 */
static void knumad_test_peer(struct kunit *test)
{
	struct knumad_thread *kt;
	int i;

	kt = kunit_kzalloc(test, struct_size(kt, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kt);
	knumad_thread_peer(kt, 0x105, 0x5);		/* itself */
	knumad_thread_peer(kt, 0x105, -1);		/* nobody */
	KUNIT_EXPECT_EQ(test, kt->peer_votes, 0);
	for (i = 0; i < 3; i++)
		knumad_thread_peer(kt, 0x105, 0x207);
	KUNIT_EXPECT_EQ(test, kt->peer, 7);
	KUNIT_EXPECT_EQ(test, kt->peer_votes, 3);
	knumad_thread_peer(kt, 0x105, 9);		/* a minority */
	KUNIT_EXPECT_EQ(test, kt->peer, 7);
	KUNIT_EXPECT_EQ(test, kt->peer_votes, 2);
	knumad_thread_peer(kt, 0x105, 11);		/* another */
	KUNIT_EXPECT_EQ(test, kt->peer_votes, 1);
	/* every call is a visit */
	KUNIT_EXPECT_EQ(test, kt->visits, 7);
	/* a margin of KNUMAD_PEER_MIN_VOTES at least ... */
	KUNIT_EXPECT_FALSE(test, knumad_has_peer(kt));
	knumad_thread_peer(kt, 0x105, 7);
	KUNIT_EXPECT_EQ(test, kt->peer_votes, KNUMAD_PEER_MIN_VOTES);
	KUNIT_EXPECT_TRUE(test, knumad_has_peer(kt));
	for (i = 0; i < 3; i++)
		knumad_thread_peer(kt, 0x105, 7);
	KUNIT_EXPECT_EQ(test, kt->peer_votes, 5);
	/* ... and an eighth of the thread's visits */
	kt->visits = 40;
	KUNIT_EXPECT_TRUE(test, knumad_has_peer(kt));
	kt->visits = 48;
	KUNIT_EXPECT_FALSE(test, knumad_has_peer(kt));
	for (i = 0; i < 6; i++)
		knumad_thread_peer(kt, 0x105, 9);	/* the majority turns */
	KUNIT_EXPECT_EQ(test, kt->peer, 9);
	KUNIT_EXPECT_EQ(test, kt->peer_votes, 1);
	/* a window of KNUMAD_PEER_WINDOW visits: then both are halved */
	kt->visits = KNUMAD_PEER_WINDOW - 2;
	knumad_thread_peer(kt, 0x105, 9);
	KUNIT_EXPECT_EQ(test, kt->visits, KNUMAD_PEER_WINDOW - 1);
	KUNIT_EXPECT_EQ(test, kt->peer_votes, 2);
	knumad_thread_peer(kt, 0x105, 9);
	KUNIT_EXPECT_EQ(test, kt->visits, KNUMAD_PEER_WINDOW / 2);
	KUNIT_EXPECT_EQ(test, kt->peer_votes, 2);
}

static struct knumad_thread *kt_thread(struct kunit *test,
				       struct knumad_mm *km, pid_t tid,
				       int peer)
{
	struct knumad_thread *kt;

	kt = kunit_kzalloc(test, struct_size(kt, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kt);
	kt->active = true;
	kt->share = 1024;
	kt->total = 64;
	kt->visits = 8;
	kt->part = NUMA_NO_NODE;
	if (peer >= 0) {
		kt->peer = peer;
		kt->peer_votes = 4;
	}
	kt->task = current;
	KUNIT_ASSERT_EQ(test, xa_err(xa_store(&km->threads, tid, kt,
					      GFP_KERNEL)), 0);
	return kt;
}

/*
 * Threads that share memory form sets: the threads of two virtual nodes
 * of a VM, two by two.  A peer whose low pid bits two active threads have
 * joins nobody, nor does an idle thread; a peer need not vote back.  A
 * set goes to one node with room for all of it, where most of its memory
 * is when its samples tell no node it ran on (knumad_test_set_ran()),
 * else where there is room.
 */
static void knumad_test_sets(struct kunit *test)
{
	struct knumad_thread *a, *b, *c, *d, *e, *f, *g, *idle, **tbl;
	unsigned long *load, *cap, *sum;
	struct knumad_mm *km;
	int *want, nid;

	if (nr_node_ids < 2)
		kunit_skip(test, "needs 2 nodes");
	km = kunit_kzalloc(test, struct_size(km, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	tbl = kunit_kcalloc(test, LAST__PID_MASK + 1, sizeof(*tbl),
			    GFP_KERNEL);
	load = kunit_kcalloc(test, 5 * nr_node_ids, sizeof(*load), GFP_KERNEL);
	want = kunit_kcalloc(test, nr_node_ids, sizeof(*want), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, tbl);
	KUNIT_ASSERT_NOT_NULL(test, load);
	KUNIT_ASSERT_NOT_NULL(test, want);
	km->parts = kunit_kcalloc(test, nr_node_ids, sizeof(*km->parts),
				  GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km->parts);
	cap = load + nr_node_ids;
	sum = cap + nr_node_ids;
	spin_lock_init(&km->lock);
	xa_init(&km->threads);

	a = kt_thread(test, km, 0x100, 0x01);
	b = kt_thread(test, km, 0x101, 0x00);
	c = kt_thread(test, km, 0x102, 0x03);
	/* 0x103 takes no samples to vote with: 0x102's vote joins them */
	d = kt_thread(test, km, 0x103, -1);
	e = kt_thread(test, km, 0x104, -1);
	/* 0x205 and 0x305 look alike: 0x106's vote for 0x05 counts for none */
	f = kt_thread(test, km, 0x205, -1);
	kt_thread(test, km, 0x305, -1);
	g = kt_thread(test, km, 0x106, 0x05);
	/* an idle thread is nobody's peer */
	idle = kt_thread(test, km, 0x107, -1);
	idle->active = false;
	e->peer = 0x07;
	e->peer_votes = 4;

	spin_lock(&km->lock);
	knumad_split_sets(km, tbl);
	KUNIT_EXPECT_PTR_EQ(test, a->root, b->root);
	KUNIT_EXPECT_PTR_EQ(test, c->root, d->root);
	KUNIT_EXPECT_PTR_NE(test, a->root, c->root);
	KUNIT_EXPECT_EQ(test, a->root->set_size, 2);
	KUNIT_EXPECT_EQ(test, a->root->set_share, 2048);
	KUNIT_EXPECT_EQ(test, c->root->set_size, 2);
	KUNIT_EXPECT_PTR_EQ(test, e->root, e);
	KUNIT_EXPECT_EQ(test, e->set_size, 1);
	KUNIT_EXPECT_PTR_EQ(test, g->root, g);
	KUNIT_EXPECT_PTR_EQ(test, f->root, f);

	/* two CPUs a node: a pair fits, a thread alone is no set */
	for (nid = 0; nid < nr_node_ids; nid++) {
		cap[nid] = nid < 2 ? 2 * 1024 + KNUMAD_FIT_SLACK : 0;
		want[nid] = NUMA_NO_NODE;
	}
	KUNIT_EXPECT_TRUE(test, knumad_set_fits(a->root, cap));
	KUNIT_EXPECT_FALSE(test, knumad_set_fits(e, cap));
	cap[0] = 1024 + KNUMAD_FIT_SLACK;
	cap[1] = 1024 + KNUMAD_FIT_SLACK;
	KUNIT_EXPECT_FALSE(test, knumad_set_fits(a->root, cap));
	cap[0] = 2 * 1024 + KNUMAD_FIT_SLACK;
	cap[1] = 2 * 1024 + KNUMAD_FIT_SLACK;

	/* both pairs' memory is on node 1: the first goes there */
	a->faults[nr_node_ids + 1] = 10;
	b->faults[nr_node_ids + 1] = 10;
	c->faults[nr_node_ids + 1] = 10;
	d->faults[nr_node_ids + 1] = 10;
	nid = knumad_set_node(a->root, load, cap, sum);
	KUNIT_EXPECT_TRUE(test, knumad_set_place(km, a->root, nid, load,
						 want));
	KUNIT_EXPECT_EQ(test, a->part, b->part);
	KUNIT_EXPECT_NE(test, a->part, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, want[a->part], 1);
	KUNIT_EXPECT_EQ(test, load[1], 2048);
	/* node 1 is full: the second pair goes to node 0, whole */
	nid = knumad_set_node(c->root, load, cap, sum);
	KUNIT_EXPECT_TRUE(test, knumad_set_place(km, c->root, nid, load,
						 want));
	KUNIT_EXPECT_EQ(test, c->part, d->part);
	KUNIT_EXPECT_NE(test, c->part, a->part);
	KUNIT_EXPECT_EQ(test, want[c->part], 0);
	/* no room left for a third pair: nothing is assigned */
	e->root = e;
	e->set_next = g;
	g->root = e;
	g->set_next = NULL;
	e->set_size = 2;
	e->set_share = 2048;
	KUNIT_EXPECT_EQ(test, knumad_set_node(e, load, cap, sum),
			NUMA_NO_NODE);
	KUNIT_EXPECT_FALSE(test, knumad_set_place(km, e, NUMA_NO_NODE, load,
						  want));
	KUNIT_EXPECT_EQ(test, e->part, NUMA_NO_NODE);
	KUNIT_EXPECT_EQ(test, g->part, NUMA_NO_NODE);
	spin_unlock(&km->lock);
	xa_destroy(&km->threads);
}

/*
 * A set goes first where nearly all of its samples were taken: the
 * memory samples of a pair whose memory was half moved to the node it
 * ran on are nearly all of the half left behind (the moved half is
 * settled), and memory first sent the pair back (vnuma on 2 nodes).  A
 * pair that ran on both nodes, or took too few samples to tell, goes
 * where its memory is; so does one whose node has no room.
 */
static void knumad_test_set_ran(struct kunit *test)
{
	struct knumad_thread *a, *b;
	unsigned long *load, *cap, *sum;
	struct knumad_mm *km;
	int nid;

	if (nr_node_ids < 2)
		kunit_skip(test, "needs 2 nodes");
	km = kunit_kzalloc(test, struct_size(km, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	load = kunit_kcalloc(test, 4 * nr_node_ids, sizeof(*load), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, load);
	cap = load + nr_node_ids;
	sum = cap + nr_node_ids;
	spin_lock_init(&km->lock);
	xa_init(&km->threads);
	a = kt_thread(test, km, 0x100, -1);
	b = kt_thread(test, km, 0x101, -1);
	a->root = a;
	a->set_next = b;
	b->root = a;
	a->set_size = 2;
	a->set_share = 2048;
	for (nid = 0; nid < nr_node_ids; nid++)
		cap[nid] = nid < 2 ? 2 * 1024 + KNUMAD_FIT_SLACK : 0;

	spin_lock(&km->lock);
	/* ran on node 1, samples of the memory left on node 0 */
	a->faults[1] = 20;
	b->faults[1] = 12;
	a->faults[nr_node_ids + 0] = 30;
	b->faults[nr_node_ids + 0] = 20;
	b->faults[nr_node_ids + 1] = 2;
	KUNIT_EXPECT_EQ(test, knumad_set_node(a, load, cap, sum), 1);
	/* ... 10 of 42 samples elsewhere still tell (42 >> 2 = 10) */
	a->faults[0] = 10;
	KUNIT_EXPECT_EQ(test, knumad_set_node(a, load, cap, sum), 1);
	/* ... 11 of 43 do not: the memory decides */
	a->faults[0] = 11;
	KUNIT_EXPECT_EQ(test, knumad_set_node(a, load, cap, sum), 0);
	/* too few samples to tell where they ran */
	a->faults[0] = 0;
	a->faults[1] = 3;
	b->faults[1] = 3;
	KUNIT_EXPECT_EQ(test, knumad_set_node(a, load, cap, sum), 0);
	/* node 1 without room: where the memory is */
	a->faults[1] = 20;
	b->faults[1] = 12;
	load[1] = 1024;
	KUNIT_EXPECT_EQ(test, knumad_set_node(a, load, cap, sum), 0);
	/* mirrored: ran on node 0, memory on node 1 - node 1 comes later */
	load[1] = 0;
	a->faults[0] = 20;
	b->faults[0] = 12;
	a->faults[1] = 0;
	b->faults[1] = 0;
	a->faults[nr_node_ids + 0] = 0;
	b->faults[nr_node_ids + 0] = 2;
	a->faults[nr_node_ids + 1] = 30;
	b->faults[nr_node_ids + 1] = 20;
	KUNIT_EXPECT_EQ(test, knumad_set_node(a, load, cap, sum), 0);
	spin_unlock(&km->lock);
	xa_destroy(&km->threads);
}

/*
 * Of two threads that sweep one buffer in step, the one ahead takes
 * nearly every sample: its margin for the one behind is small against its
 * own visits (vnuma on 2 nodes, traced: 2 of 47), and the one behind
 * visits little (4) - they share, judged by the fewer visits.  Two threads
 * that each visit much and meet rarely (a region at the border of their
 * private memory) do not.
 */
static void knumad_test_sets_leader(struct kunit *test)
{
	struct knumad_thread *ahead, *behind, *p1, *p2, **tbl;
	struct knumad_mm *km;

	KUNIT_EXPECT_TRUE(test, knumad_peer_found(2, 47, 4));
	KUNIT_EXPECT_TRUE(test, knumad_peer_found(3, 41, 13));
	KUNIT_EXPECT_FALSE(test, knumad_peer_found(1, 47, 4));
	KUNIT_EXPECT_FALSE(test, knumad_peer_found(2, 47, 40));
	KUNIT_EXPECT_TRUE(test, knumad_peer_found(5, 47, 40));
	KUNIT_EXPECT_FALSE(test, knumad_peer_found(2, 47, 47));

	km = kunit_kzalloc(test, struct_size(km, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	tbl = kunit_kcalloc(test, LAST__PID_MASK + 1, sizeof(*tbl),
			    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, tbl);
	spin_lock_init(&km->lock);
	xa_init(&km->threads);
	ahead = kt_thread(test, km, 0x110, 0x11);
	ahead->peer_votes = 2;
	ahead->visits = 47;
	behind = kt_thread(test, km, 0x111, -1);
	behind->visits = 4;
	p1 = kt_thread(test, km, 0x112, 0x13);
	p1->peer_votes = 2;
	p1->visits = 40;
	p2 = kt_thread(test, km, 0x113, -1);
	p2->visits = 40;

	spin_lock(&km->lock);
	knumad_split_sets(km, tbl);
	KUNIT_EXPECT_PTR_EQ(test, ahead->root, behind->root);
	KUNIT_EXPECT_EQ(test, ahead->root->set_size, 2);
	KUNIT_EXPECT_PTR_NE(test, p1->root, p2->root);
	KUNIT_EXPECT_EQ(test, p1->root->set_size, 1);
	spin_unlock(&km->lock);
	xa_destroy(&km->threads);
}

/*
 * A thread's change of node has the settled regions it sampled last
 * sampled again, not the other threads' (numa02 with THP: every huge
 * page of the process faulted again when the load balancer moved one of
 * its 4 threads); a region last sampled by none of the process's threads
 * (remote GUP) is sampled on any move, and one whose previous sampler
 * (the other of two sharers) moved is too.  In a pass brought forward by
 * a move, the others wait even when their own wait is over: that pass
 * was not theirs.
 */
static void knumad_test_moved_pids(struct kunit *test)
{
	DECLARE_BITMAP(pids, LAST__PID_MASK + 1);
	struct knumad_region *r = knumad_test_region(test);

	bitmap_zero(pids, LAST__PID_MASK + 1);
	set_bit(7, pids);
	r->target = 1;
	r->armed_seq = 10;
	r->armed_period = 10;
	r->settled = KNUMAD_MAX_SETTLED;
	r->last_pid = 7;
	/* its thread moved after pass 10: sampled now */
	KUNIT_EXPECT_FALSE(test, knumad_region_waits(r, 12, 11, pids, false,
						     12));
	KUNIT_EXPECT_FALSE(test, knumad_region_waits(r, 12, 11, pids, true,
						     12));
	/* the other sharer moved: sampled now */
	r->last_pid = 8;
	r->prev_pid = 7;
	KUNIT_EXPECT_FALSE(test, knumad_region_waits(r, 12, 11, pids, true,
						     12));
	/* another thread moved: its wait goes on */
	r->prev_pid = -1 & LAST__PID_MASK;
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r, 12, 11, pids, false,
						    12));
	KUNIT_EXPECT_FALSE(test, knumad_region_waits(r, 18, 11, pids, false,
						     18));
	/* ... and in an early pass even past it */
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r, 18, 11, pids, true,
						    18));
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r, 11, 11, pids, true,
						    11));
	/* not the process's thread: any move */
	r->last_pid = -1 & LAST__PID_MASK;
	KUNIT_EXPECT_FALSE(test, knumad_region_waits(r, 12, 11, pids, true,
						     12));
	/* unsettled: sampled, early or not */
	r->last_pid = 8;
	r->settled = 0;
	KUNIT_EXPECT_FALSE(test, knumad_region_waits(r, 12, 11, pids, true,
						     12));
	/* armed: the re-arm wait */
	r->armed = true;
	KUNIT_EXPECT_TRUE(test, knumad_region_waits(r, 12, 11, pids, false,
						    12));
}

/*
 * A kept thread's samples off its kept node are ignored for a scan period
 * from the first of them, then count, however far apart they come.
 * Memory of huge pages gives one sample a region and pass, a period or
 * more apart: the rule before b2305df began a new time away at a sample
 * a period after the last one, and ignored such a thread for good
 * (numa01t with THP on 2 nodes: final 72-75% in 2 of 3 runs).
 */
static void knumad_test_away(struct kunit *test)
{
	unsigned long p = 250, t0 = INITIAL_JIFFIES;	/* a period */
	struct knumad_thread *kt;

	kt = kunit_kzalloc(test, sizeof(*kt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kt);
	/* one sample a pass: ignored for a period, then counted */
	KUNIT_EXPECT_TRUE(test, knumad_away_sample(kt, true, t0, p));
	KUNIT_EXPECT_FALSE(test, knumad_away_sample(kt, true, t0 + p + 1, p));
	KUNIT_EXPECT_FALSE(test, knumad_away_sample(kt, true, t0 + 2 * p + 7,
						    p));
	KUNIT_EXPECT_FALSE(test, knumad_away_sample(kt, true, t0 + 5 * p, p));
	/* a sample on the kept node ends the time away; the next begins one */
	KUNIT_EXPECT_FALSE(test, knumad_away_sample(kt, false, t0 + 6 * p, p));
	KUNIT_EXPECT_TRUE(test, knumad_away_sample(kt, true, t0 + 6 * p + 1,
						   p));
	/* samples close together: the first period's ignored, then not */
	KUNIT_EXPECT_TRUE(test, knumad_away_sample(kt, true, t0 + 6 * p + 100,
						   p));
	KUNIT_EXPECT_TRUE(test, knumad_away_sample(kt, true, t0 + 7 * p, p));
	KUNIT_EXPECT_FALSE(test, knumad_away_sample(kt, true, t0 + 7 * p + 1,
						    p));
	/* the census saw it back (kt->away cleared): a new time away */
	kt->away = false;
	KUNIT_EXPECT_TRUE(test, knumad_away_sample(kt, true, t0 + 9 * p, p));
}

/*
 * A census counts a kept thread without samples, away from its kept
 * node, at that node for a scan period, as the samples do
 * (knumad_away_sample()), and shares the time away with them: a swap
 * left a kept thread without samples beside its sibling at the pass that
 * came at once, and the process got a home there with one census (3 of
 * 30 runs of swapped_threads_go_back_to_their_memory).  A thread with
 * samples is counted where they say (numa02: threads the keep cannot
 * bring back, counted at their keep, converged a period later).
 */
static void knumad_test_census_node(struct kunit *test)
{
	unsigned long p = 250, t0 = INITIAL_JIFFIES;
	struct knumad_thread *kt;

	if (nr_node_ids < 2)
		kunit_skip(test, "needs 2 nodes");
	kt = kunit_kzalloc(test, struct_size(kt, faults, 2 * nr_node_ids),
			   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kt);
	/* no samples, kept on 1, runs on 0: at 1 for a period, then at 0 */
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, 1, t0, p), 1);
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, 1, t0 + p - 1, p), 1);
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, 1, t0 + p, p), 0);
	/* back on 1: the time away ends; the next one begins anew */
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 1, 1, t0 + 2 * p, p), 1);
	KUNIT_EXPECT_FALSE(test, kt->away);
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, 1, t0 + 3 * p, p), 1);
	/*
	 * Kept nowhere the hook can bring it back (no keep, its affinity
	 * forbids, a group): where it runs, and the time away ends.
	 */
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, NUMA_NO_NODE,
						 t0 + 3 * p + 1, p), 0);
	KUNIT_EXPECT_FALSE(test, kt->away);
	/* samples decide where there are some, kept or not, away or not */
	kt->faults[0] = 8;
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, 1, t0 + 4 * p, p), 0);
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 1, NUMA_NO_NODE,
						 t0 + 4 * p, p), 0);
	kt->faults[1] = 9;
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, 1, t0 + 4 * p, p), 1);
	KUNIT_EXPECT_FALSE(test, kt->away);
	/* a time away a census began is the samples' too, and ends alike */
	kt->faults[0] = 0;
	kt->faults[1] = 0;
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, 1, t0 + 10 * p, p), 1);
	KUNIT_EXPECT_TRUE(test, knumad_away_sample(kt, true, t0 + 10 * p + 9,
						   p));
	KUNIT_EXPECT_FALSE(test, knumad_away_sample(kt, true, t0 + 11 * p, p));
	KUNIT_EXPECT_EQ(test, knumad_census_node(kt, 0, 1, t0 + 11 * p, p), 0);
}

static struct kunit_case knumad_test_cases[] = {
	KUNIT_CASE(knumad_test_min_samples),
	KUNIT_CASE(knumad_test_huge_sample),
	KUNIT_CASE(knumad_test_split_home),
	KUNIT_CASE(knumad_test_peer),
	KUNIT_CASE(knumad_test_sets),
	KUNIT_CASE(knumad_test_sets_leader),
	KUNIT_CASE(knumad_test_set_ran),
	KUNIT_CASE(knumad_test_prev_nid),
	KUNIT_CASE(knumad_test_settled),
	KUNIT_CASE(knumad_test_moved),
	KUNIT_CASE(knumad_test_moved_pids),
	KUNIT_CASE(knumad_test_placed),
	KUNIT_CASE(knumad_test_stale),
	KUNIT_CASE(knumad_test_sole),
	KUNIT_CASE(knumad_test_follow),
	KUNIT_CASE(knumad_test_majority),
	KUNIT_CASE(knumad_test_shared_stays),
	KUNIT_CASE(knumad_test_stranded),
	KUNIT_CASE(knumad_test_flip_backoff),
	KUNIT_CASE(knumad_test_handover),
	KUNIT_CASE(knumad_test_visit_rules),
	KUNIT_CASE(knumad_test_home_no_ping_pong),
	KUNIT_CASE(knumad_test_busy),
	KUNIT_CASE(knumad_test_decay),
	KUNIT_CASE(knumad_test_rate),
	KUNIT_CASE(knumad_test_implicit_fits),
	KUNIT_CASE(knumad_test_implicit_pick),
	KUNIT_CASE(knumad_test_implicit_too_big),
	KUNIT_CASE(knumad_test_implicit_keeps),
	KUNIT_CASE(knumad_test_thread_apart),
	KUNIT_CASE(knumad_test_thread_spurns),
	KUNIT_CASE(knumad_test_ran_off_mem),
	KUNIT_CASE(knumad_test_mostly_sampled),
	KUNIT_CASE(knumad_test_split_stays),
	KUNIT_CASE(knumad_test_split_now),
	KUNIT_CASE(knumad_test_sent),
	KUNIT_CASE(knumad_test_resample_at),
	KUNIT_CASE(knumad_test_few_samples),
	KUNIT_CASE(knumad_test_away),
	KUNIT_CASE(knumad_test_census_node),
	{},
};

static struct kunit_suite knumad_test_suite = {
	.name = "knumad",
	.test_cases = knumad_test_cases,
};

kunit_test_suite(knumad_test_suite);

#endif /* _KNUMAD_KUNIT_H */

#endif /* CONFIG_KNUMAD_KUNIT_TEST */
