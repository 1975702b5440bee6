// SPDX-License-Identifier: GPL-2.0
/*
 * memsched scheduler hook: the threads of a memsched group prefer the
 * group's home node, and groups are placed and rebalanced across nodes.
 *
 * Preference, never pinning: cpus_allowed and cpusets always win, and the
 * scheduler stays work-conserving.  fair.c calls in through four hooks,
 * each of which answers one question:
 *
 *   memsched_select_cpu()	where should a waking or new thread run?
 *				An idle allowed CPU at home beats the choice
 *				fair.c made elsewhere; no idle CPU anywhere
 *				keeps the thread at home if it was there.
 *   memsched_migrate_hot()	is a load-balancing move "cache hot"?
 *				Leaving home is (so only a persistent
 *				imbalance moves the thread away); coming home
 *				is not.  This is NUMA_HOT of the 2012 draft.
 *   memsched_task_tick()	runtime accounting on and off home, and a
 *				rate-limited pull back home when a home CPU
 *				is idle; a member thread also takes the
 *				steps of its process's pending memory moves,
 *				so their CPU is charged to it.
 *   memsched_preferred_nid()	mainline NUMA balancing's preferred node is
 *				the home node for grouped threads, so the
 *				two never fight.
 *
 * A thread in no group that knumad keeps on a node (knumad_task_pref():
 * the node most of its memory is on) is drawn there more lightly than to
 * a home: a wakeup keeps only an idle previous CPU there, a move there is
 * cold and a move away is fair.c's to judge, and the tick's pull brings
 * it back to an idle CPU there or in a swap with a thread there that is
 * away from where it wants to be - so its memory need not follow it.
 * Mainline's numa_preferred_nid is left alone.
 *
 * The group balancer, a periodic work item, moves a group's home node when
 * that clearly evens out the threads per CPU between nodes, or when the
 * home is short of memory and the group's memory fits elsewhere, never to
 * a node its memory does not fit on; and it evacuates nodes that lost
 * their last CPU.  A group stays at least MEMSCHED_MIN_RESIDENCY at a
 * home before the balancer moves it again.
 *
 * Locking: the hooks run under the runqueue lock (or p->pi_lock) and only
 * read the group under RCU.  The balancer takes no scheduler lock; it
 * changes a home through memsched_group_set_home() (mm/memsched.c).
 */
#include <linux/cpumask_api.h>
#include <linux/knumad.h>
#include <linux/memsched.h>
#include <linux/mm_api.h>
#include <linux/mmu_context.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include "sched.h"
#include "sched-pelt.h"

#include <trace/events/memsched.h>

/* How often the balancer looks, and how long a home is kept at least. */
#define MEMSCHED_BALANCE_INTERVAL	msecs_to_jiffies(1000)
#define MEMSCHED_MIN_RESIDENCY		msecs_to_jiffies(5000)
/* How often a thread running away from home looks for a way back. */
#define MEMSCHED_PULL_INTERVAL		msecs_to_jiffies(100)

static int memsched_group_home(struct task_struct *p)
{
	struct memsched_group *group;
	int nid = NUMA_NO_NODE;

	rcu_read_lock();
	group = rcu_dereference(p->memsched_group);
	if (group)
		nid = READ_ONCE(group->home_nid);
	rcu_read_unlock();
	return nid;
}

/*
 * The node @p prefers: its group's home, or where knumad keeps it (for
 * the pull's swap partner).
 */
static int memsched_task_home(struct task_struct *p)
{
	int nid = memsched_group_home(p);

	return nid == NUMA_NO_NODE ? knumad_task_pref(p) : nid;
}

static bool memsched_cpu_idle(int cpu)
{
	return cpu_active(cpu) && available_idle_cpu(cpu);
}

/* An idle CPU of @nid that @p may run on, or -1. */
static int memsched_idle_cpu_on(struct task_struct *p, int nid)
{
	int cpu;

	for_each_cpu_and(cpu, cpumask_of_node(nid), p->cpus_ptr)
		if (memsched_cpu_idle(cpu))
			return cpu;
	return -1;
}

/*
 * Where the search for an idle CPU at @home starts: @prev_cpu if it is
 * there (its cache may still be warm), else an allowed home CPU taken
 * round-robin, so wakeups do not all pile onto the first CPU of the node.
 * -1 if that CPU is not active (hotplug) or @p may run on none.
 */
static int memsched_home_target(struct task_struct *p, int prev_cpu, int home)
{
	int cpu;

	if (cpu_to_node(prev_cpu) == home && cpu_active(prev_cpu) &&
	    cpumask_test_cpu(prev_cpu, p->cpus_ptr))
		return prev_cpu;
	cpu = cpumask_any_and_distribute(cpumask_of_node(home), p->cpus_ptr);
	return cpu < nr_cpu_ids && cpu_active(cpu) ? cpu : -1;
}

/*
 * Called under p->pi_lock for every placement of a task that fair.c
 * placed: one RCU load for an ungrouped task.  For a grouped one placed
 * away from home, a wakeup searches for an idle home CPU with
 * select_idle_sibling() on the home LLC - bounded by SIS_UTIL, idle cores
 * first - not with a walk of the whole node.  Fork and exec (once per
 * task) walk the home node's CPUs instead: select_idle_sibling() would
 * sync the load average of a task that is not attached yet, which
 * mainline avoids for a new task; so does a wakeup whose starting CPU
 * is going away.
 */
int memsched_select_cpu(struct task_struct *p, int prev_cpu, int new_cpu,
			int wake_flags)
{
	int home = memsched_group_home(p), cpu, target;

	if (home == NUMA_NO_NODE) {
		/*
		 * Where knumad keeps a thread: only its previous CPU, if
		 * that is there and idle - no search, and no busy CPU
		 * preferred to fair.c's choice; the tick's pull does the
		 * rest.
		 */
		home = knumad_task_pref(p);
		if (home != NUMA_NO_NODE && cpu_to_node(new_cpu) != home &&
		    cpu_to_node(prev_cpu) == home &&
		    memsched_cpu_idle(prev_cpu) &&
		    cpumask_test_cpu(prev_cpu, p->cpus_ptr))
			return prev_cpu;
		return new_cpu;
	}
	if (cpu_to_node(new_cpu) == home)
		return new_cpu;
	target = memsched_home_target(p, prev_cpu, home);
	if (target >= 0 && (wake_flags & WF_TTWU))
		/* it answers @target when it found nothing idle */
		cpu = memsched_idle_sibling(p, prev_cpu, target);
	else
		cpu = memsched_idle_cpu_on(p, home);
	if (cpu >= 0 && cpu_to_node(cpu) == home && memsched_cpu_idle(cpu) &&
	    cpumask_test_cpu(cpu, p->cpus_ptr))
		return cpu;
	/* Work-conserving: an idle CPU away from home beats a busy home. */
	if (memsched_cpu_idle(new_cpu))
		return new_cpu;
	if (cpu_to_node(prev_cpu) == home && cpu_active(prev_cpu) &&
	    cpumask_test_cpu(prev_cpu, p->cpus_ptr))
		return prev_cpu;
	return new_cpu;
}

int memsched_migrate_hot(struct task_struct *p, int src_cpu, int dst_cpu)
{
	int home = memsched_group_home(p), keep = NUMA_NO_NODE;
	int src = cpu_to_node(src_cpu), dst = cpu_to_node(dst_cpu);

	if (home == NUMA_NO_NODE)
		keep = knumad_task_pref(p);
	if (src == dst || (home == NUMA_NO_NODE && keep == NUMA_NO_NODE))
		return -1;
	/*
	 * Where knumad keeps a thread is not a home: coming there is cold,
	 * leaving is for fair.c to judge (nothing holds an overload there;
	 * the group balancer spreads homes, nothing spreads keeps).
	 */
	if (dst == home || dst == keep)
		return 0;
	if (src == home)
		return 1;
	return -1;
}

int memsched_preferred_nid(struct task_struct *p, int nid)
{
	int home = memsched_group_home(p);

	if (home == NUMA_NO_NODE ||
	    !cpumask_intersects(cpumask_of_node(home), p->cpus_ptr))
		return nid;
	return home;
}

/*
 * A thread running at @p's home, away from its own, that may run on
 * @p's CPU: one whose home is @p's node if there is one (both go home),
 * else a grouped one whose home is a third node that it may run on - it
 * is away either way, and @p gets home.  Without the second kind,
 * threads each on the next one's home stayed there: no thread at a home
 * wanted the node the one coming home would leave (numa02 with THP on 4
 * nodes of one CPU: three threads in a ring for 5 s).  A swap never
 * sends a thread away from its home, so each one puts one thread home
 * more.  Not a thread whose affinity keeps it off its home (it is away
 * for good, and would be pushed about by every pull), nor one knumad
 * merely keeps on a node: its memory may have followed it where it is.
 * Referenced, or NULL.
 */
static struct task_struct *memsched_swap_partner(struct task_struct *p,
						 int home)
{
	int cpu, nid, here = task_cpu(p);
	struct task_struct *t, *found = NULL;

	rcu_read_lock();
	for_each_cpu_and(cpu, cpumask_of_node(home), p->cpus_ptr) {
		t = rcu_dereference(cpu_rq(cpu)->curr);
		if (t == p || is_idle_task(t) || (t->flags & PF_EXITING) ||
		    !cpumask_test_cpu(here, t->cpus_ptr))
			continue;
		nid = memsched_task_home(t);
		if (nid == cpu_to_node(here)) {
			found = t;
			break;
		}
		if (!found && nid != NUMA_NO_NODE && nid != home &&
		    memsched_group_home(t) == nid &&
		    cpumask_intersects(cpumask_of_node(nid), t->cpus_ptr))
			found = t;
	}
	if (found)
		get_task_struct(found);
	rcu_read_unlock();
	return found;
}

/*
 * Move @p (current) home if a home CPU is idle, or swap it with a thread
 * there that is away from its own home (memsched_swap_partner()).
 * @group: the home is its group's (mainline NUMA balancing is told), not
 * only where knumad keeps it.
 */
static void memsched_pull_home(struct task_struct *p, int home, bool group)
{
	int cpu, from = task_cpu(p);
	struct task_struct *t;

	if (group && static_branch_unlikely(&sched_numa_balancing) &&
	    p->numa_preferred_nid != home)
		sched_setnuma(p, home);
	if (cpu_to_node(from) == home)
		return;
	cpu = memsched_idle_cpu_on(p, home);
	if (cpu >= 0) {
		trace_memsched_pull_home(p, from, cpu);
		migrate_task_to(p, cpu);
		return;
	}
	t = memsched_swap_partner(p, home);
	if (!t)
		return;
	cpu = task_cpu(t);
	trace_memsched_pull_home(p, from, cpu);
	migrate_swap(p, t, cpu, from);
	put_task_struct(t);
}

/*
 * Task work, in the thread's own context: the pull home if the tick asked
 * for it, then a step of its process's pending memory move
 * (memsched_move_owner_step()).
 */
static void memsched_task_work(struct callback_head *work)
{
	struct task_struct *p = current;
	bool pull = p->memsched_pull;
	int home;

	/* cleared first: a tick from here on may queue the work again */
	WRITE_ONCE(p->memsched_pull, false);
	barrier();
	work->next = work;	/* no longer queued */
	if (p->flags & PF_EXITING)
		return;
	/* the pull first: the move step may sleep, and CPUs change */
	if (pull) {
		home = memsched_group_home(p);
		if (home != NUMA_NO_NODE) {
			memsched_pull_home(p, home, true);
		} else {
			home = knumad_task_pref(p);
			if (home != NUMA_NO_NODE)
				memsched_pull_home(p, home, false);
		}
	}
	memsched_move_owner_step();
}

/*
 * A thread in no group, away from where knumad keeps it, looks for a way
 * back as a group's thread away from home does - an idle CPU there, or a
 * thread there that is away from its own home - once every
 * MEMSCHED_PULL_INTERVAL; it never pushes out a thread that is where it
 * wants to be.  Under the rq lock.
 */
static void memsched_tick_pref(struct rq *rq, struct task_struct *curr)
{
	struct callback_head *work = &curr->memsched_work;
	int nid = knumad_task_pref(curr);

	if (nid == NUMA_NO_NODE || cpu_to_node(cpu_of(rq)) == nid ||
	    work->next != work ||
	    time_before(jiffies, curr->memsched_next_pull) ||
	    !cpumask_intersects(cpumask_of_node(nid), curr->cpus_ptr))
		return;
	curr->memsched_next_pull = jiffies + MEMSCHED_PULL_INTERVAL;
	curr->memsched_pull = true;
	task_work_add(curr, work, TWA_RESUME | TWAF_NO_ALLOC);
}

void memsched_task_tick(struct rq *rq, struct task_struct *curr)
{
	struct callback_head *work = &curr->memsched_work;
	struct memsched_group *group;
	u64 runtime = curr->se.sum_exec_runtime;
	u64 delta = runtime - curr->memsched_runtime;
	bool home, pull = false, move;
	int nid;

	knumad_task_tick(curr);
	rcu_read_lock();
	group = rcu_dereference(curr->memsched_group);
	if (!group) {
		rcu_read_unlock();
		memsched_tick_pref(rq, curr);
		return;
	}
	nid = READ_ONCE(group->home_nid);
	home = cpu_to_node(cpu_of(rq)) == nid;
	curr->memsched_runtime = runtime;
	/*
	 * The task's own counters (its cache line, not the group's):
	 * memsched_task_unlink() folds them into the group's.
	 */
	atomic64_add(delta, home ? &curr->memsched_ns_home :
				   &curr->memsched_ns_away);
	/* a step of a pending move of the group's memory is due */
	move = READ_ONCE(group->nr_moves) &&
	       time_after_eq(jiffies, READ_ONCE(group->move_due));
	rcu_read_unlock();

	if (work->next != work)
		return;	/* queued already */
	if ((!home || (static_branch_unlikely(&sched_numa_balancing) &&
		       curr->numa_preferred_nid != nid)) &&
	    !time_before(jiffies, curr->memsched_next_pull)) {
		curr->memsched_next_pull = jiffies + MEMSCHED_PULL_INTERVAL;
		pull = home || cpumask_intersects(cpumask_of_node(nid),
						  curr->cpus_ptr);
	}
	if (!pull && !move)
		return;
	curr->memsched_pull = pull;
	/* under the rq lock: no allocation (KASAN's aux stack) here */
	task_work_add(curr, work, TWA_RESUME | TWAF_NO_ALLOC);
}

void memsched_sched_fork(struct task_struct *p)
{
	init_task_work(&p->memsched_work, memsched_task_work);
	p->memsched_work.next = &p->memsched_work;
	p->memsched_runtime = 0;
	p->memsched_next_pull = 0;
	p->memsched_pull = false;
	atomic64_set(&p->memsched_ns_home, 0);
	atomic64_set(&p->memsched_ns_away, 0);
	knumad_task_fork(p);
}

/* ---------------------------------------------------------------------- */
/* Group balancer */

/**
 * struct memsched_node_balance - a node as the group balancer sees it
 * @cpus:	online CPUs; 0 means the node cannot be a home.
 * @threads:	member threads of the groups at home there.
 * @free:	free pages.
 * @mark:	the pressure mark: a node with fewer free pages than this is
 *		short of memory, and no move may take it below the mark.
 *		See memsched_node_mark().
 */
struct memsched_node_balance {
	unsigned int cpus;
	unsigned int threads;
	unsigned long free;
	unsigned long mark;
};

/* Threads per CPU, in 1/1024ths. */
static long memsched_node_load(const struct memsched_node_balance *n,
			       long extra)
{
	return ((long)n->threads + extra) * 1024 / n->cpus;
}

/*
 * Should a group of @threads threads move from @src to @dst?  Only if the
 * difference in threads per CPU drops by at least half a thread per CPU:
 * the hysteresis that keeps groups from flapping between equal choices.
 * A home with no CPU left is always worth leaving for one with CPUs.
 */
static bool memsched_should_move(const struct memsched_node_balance *src,
				 const struct memsched_node_balance *dst,
				 unsigned int threads)
{
	long before, after;

	if (!dst->cpus)
		return false;
	if (!src->cpus)
		return true;
	if (!threads)
		return false;
	before = memsched_node_load(src, 0) - memsched_node_load(dst, 0);
	after = memsched_node_load(src, -(long)threads) -
		memsched_node_load(dst, threads);
	return before > 0 && abs(after) + 512 <= before;
}

/*
 * Is @n short of memory?  A node that has lost all its memory (mark 0:
 * no managed pages) is: its groups have nothing at home.
 */
static bool memsched_mem_short(const struct memsched_node_balance *n)
{
	return !n->mark || n->free < n->mark;
}

/*
 * Take @threads off @n's count.  The counts were summed a moment
 * before, and a group may have gained members since: never below zero.
 */
static void memsched_node_sub_threads(struct memsched_node_balance *n,
				      unsigned int threads)
{
	n->threads -= min(threads, n->threads);
}

/*
 * Does a group holding @pages pages fit on @dst: is @dst left above its
 * pressure mark once they are there?  A group that holds no memory fits
 * wherever it may run.
 */
static bool memsched_mem_fits(const struct memsched_node_balance *dst,
			      unsigned long pages)
{
	return !pages || (dst->free > dst->mark &&
			  pages <= dst->free - dst->mark);
}

/*
 * Should a group of @threads threads holding @pages pages leave @src
 * because @src is short of memory?  Only to a node it fits on, and only if
 * that does not leave @dst with more than one thread per CPU above what
 * @src has now: memory may unbalance the CPUs a little, not starve them.
 * The hysteresis is the pressure mark itself: @dst stays above it after
 * the move, so the group is never short of memory there and has no
 * reason to come back.
 */
static bool memsched_should_move_mem(const struct memsched_node_balance *src,
				     const struct memsched_node_balance *dst,
				     unsigned int threads, unsigned long pages)
{
	if (!src->cpus || !dst->cpus || !pages)
		return false;
	if (!memsched_mem_short(src) || !memsched_mem_fits(dst, pages))
		return false;
	return memsched_node_load(dst, threads) <=
	       memsched_node_load(src, 0) + 1024;
}

/*
 * The least loaded node of @allowed that can be a home and that a group
 * holding @pages pages fits on (@pages ULONG_MAX: memory not considered),
 * or NUMA_NO_NODE.
 */
static int memsched_least_loaded(const struct memsched_node_balance *nodes,
				 const nodemask_t *allowed, unsigned long pages)
{
	int nid, best = NUMA_NO_NODE;

	for_each_node_mask(nid, *allowed) {
		if (nid >= nr_node_ids || !nodes[nid].cpus)
			continue;
		if (pages != ULONG_MAX && !memsched_mem_fits(&nodes[nid], pages))
			continue;
		if (best == NUMA_NO_NODE ||
		    memsched_node_load(&nodes[nid], 0) <
		    memsched_node_load(&nodes[best], 0))
			best = nid;
	}
	return best;
}

/* The pages @group holds, counted at most once per residency period. */
static unsigned long memsched_balance_pages(struct memsched_group *group)
{
	if (!group->pages_counted ||
	    time_after(jiffies, group->pages_counted + MEMSCHED_MIN_RESIDENCY)) {
		group->pages_held = memsched_group_pages(group);
		group->pages_counted = jiffies ?: 1;
	}
	return group->pages_held;
}

/*
 * The pressure mark of @nid: its zones' high watermarks (kswapd stops
 * there) plus 1/32 of its memory.  Allocations spill to other nodes at
 * the low watermark, a little below the high one.
 */
static unsigned long memsched_node_mark(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	unsigned long managed = 0, high = 0;
	int i;

	for (i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		managed += zone_managed_pages(zone);
		high += high_wmark_pages(zone);
	}
	return high + managed / 32;
}

/*
 * Where, if anywhere, should @group move, and why?  Returns the node or
 * NUMA_NO_NODE; *@reason says why.  Counts the group's memory only when
 * the CPUs alone would move it or its home is short of memory.  @mems:
 * the nodes its members' cpusets allow now (memsched_group_mems()); a
 * home outside them is left at once, like a home without CPUs.
 */
static int memsched_balance_dst(struct memsched_node_balance *nodes,
				struct memsched_group *group,
				const nodemask_t *mems, unsigned int threads,
				unsigned long *pages, const char **reason)
{
	int nid = READ_ONCE(group->home_nid), dst;
	struct memsched_node_balance *src = &nodes[nid];

	*pages = 0;
	dst = memsched_least_loaded(nodes, mems, ULONG_MAX);
	if (dst == NUMA_NO_NODE)
		return NUMA_NO_NODE;
	if (!src->cpus || !node_isset(nid, *mems)) {
		/* Evacuate: to a node the memory fits on, else spill. */
		*pages = memsched_balance_pages(group);
		*reason = src->cpus ? "cpuset" : "no-cpus";
		nid = memsched_least_loaded(nodes, mems, *pages);
		return nid == NUMA_NO_NODE ? dst : nid;
	}
	if (!memsched_mem_short(src) &&
	    (dst == nid || !memsched_should_move(src, &nodes[dst], threads)))
		return NUMA_NO_NODE;

	*pages = memsched_balance_pages(group);
	dst = memsched_least_loaded(nodes, mems, *pages);
	if (dst == NUMA_NO_NODE || dst == nid)
		return NUMA_NO_NODE;
	*reason = "balance";
	if (memsched_should_move(src, &nodes[dst], threads))
		return dst;
	*reason = "memory";
	if (memsched_should_move_mem(src, &nodes[dst], threads, *pages))
		return dst;
	return NUMA_NO_NODE;
}

static void memsched_balance_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(memsched_balance_work, memsched_balance_fn);

static void memsched_balance_fn(struct work_struct *work)
{
	struct memsched_node_balance *nodes;
	struct memsched_group *group;
	unsigned long id = 0, pages;
	bool moved = false, groups = false;
	nodemask_t *mems;
	int nid, dst;

	nodes = kcalloc(nr_node_ids, sizeof(*nodes), GFP_KERNEL);
	mems = kmalloc(sizeof(*mems), GFP_KERNEL);
	if (!nodes || !mems) {
		kfree(nodes);
		kfree(mems);
		goto out;
	}
	for_each_online_node(nid) {
		/* a node without memory cannot be a home, CPUs or not */
		if (node_state(nid, N_MEMORY))
			nodes[nid].cpus = cpumask_weight_and(cpumask_of_node(nid),
							     cpu_online_mask);
		nodes[nid].free = sum_zone_node_page_state(nid, NR_FREE_PAGES);
		nodes[nid].mark = memsched_node_mark(nid);
	}
	while ((group = memsched_group_next(&id))) {
		nid = READ_ONCE(group->home_nid);
		nodes[nid].threads += READ_ONCE(group->nr_tasks);
		memsched_group_put(group);
		groups = true;
	}

	id = 0;
	while ((group = memsched_group_next(&id))) {
		unsigned int threads = READ_ONCE(group->nr_tasks);
		const char *reason;

		nid = READ_ONCE(group->home_nid);
		memsched_group_mems(group, mems);
		/* One move per pass, a home kept a while; evacuations all. */
		if (nodes[nid].cpus && node_isset(nid, *mems) &&
		    (moved || time_before(jiffies, READ_ONCE(group->home_since) +
					  MEMSCHED_MIN_RESIDENCY)))
			goto next;
		dst = memsched_balance_dst(nodes, group, mems, threads, &pages,
					   &reason);
		if (dst == NUMA_NO_NODE)
			goto next;
		trace_memsched_group_move(group->id, nid, dst, threads, pages,
					  reason);
		memsched_group_set_home(group, dst, reason);
		memsched_node_sub_threads(&nodes[nid], threads);
		nodes[dst].threads += threads;
		/* The memory follows: count it where it is going. */
		pages = min(pages, nodes[dst].free);
		nodes[dst].free -= pages;
		nodes[nid].free += pages;
		moved = true;
next:
		memsched_group_put(group);
	}
	kfree(nodes);
	kfree(mems);
	/* No group: sleep until memsched_balance_kick() wakes us. */
	if (!groups)
		return;
out:
	queue_delayed_work(system_unbound_wq, &memsched_balance_work,
			   MEMSCHED_BALANCE_INTERVAL);
}

/**
 * memsched_balance_kick - a group was created: make sure the balancer runs
 *
 * The balancer stops when it finds no group, so an idle machine pays
 * nothing for it; every new group restarts it.
 */
void memsched_balance_kick(void)
{
	if (num_possible_nodes() > 1 &&
	    !delayed_work_pending(&memsched_balance_work))
		queue_delayed_work(system_unbound_wq, &memsched_balance_work,
				   MEMSCHED_BALANCE_INTERVAL);
}

/**
 * memsched_cpu_runnable - how many fair tasks want @cpu, on average
 * @cpu: a CPU
 *
 * The PELT runnable average of @cpu's fair tasks, in
 * 1/SCHED_CAPACITY_SCALE of a task: running or waiting to run.  Unlike
 * sched_cpu_util() it is not capped at the CPU's capacity, so a CPU that
 * three busy tasks share reads about 3 * SCHED_CAPACITY_SCALE, and a
 * task's own se.avg.runnable_avg can be taken out of it.  knumad's
 * measure of the CPUs other processes want on a node.  Lockless: a
 * snapshot.
 */
unsigned long memsched_cpu_runnable(int cpu)
{
	/* fair.c's cpu_runnable(), which is static */
	return READ_ONCE(cpu_rq(cpu)->cfs.avg.runnable_avg);
}

/**
 * memsched_task_runnable - @p's part of its CPU's memsched_cpu_runnable()
 * @p: a task
 *
 * A queued task's runnable average as it is.  A sleeping task's is as it
 * fell asleep, while its CPU's share of it decays, halving every
 * LOAD_AVG_PERIOD periods: so decayed here by the time since its last
 * update, against its CPU's (approximate: one halving per 32 whole
 * periods).  A task that migrated and is attached nowhere yet, none.
 * Lockless: a snapshot.
 */
unsigned long memsched_task_runnable(struct task_struct *p)
{
	unsigned long runnable = READ_ONCE(p->se.avg.runnable_avg);
	u64 last = READ_ONCE(p->se.avg.last_update_time), now;
	u64 halvings;

	if (task_on_rq_queued(p))
		return runnable;
	if (!last)
		return 0;
	now = READ_ONCE(cpu_rq(task_cpu(p))->cfs.avg.last_update_time);
	if (now <= last)
		return runnable;
	/* PELT periods are 1024 us */
	halvings = ((now - last) >> 20) / LOAD_AVG_PERIOD;
	return halvings >= BITS_PER_LONG ? 0 : runnable >> halvings;
}

#include "tests/numa-kunit.h"
