// SPDX-License-Identifier: GPL-2.0
/*
 * memsched: groups of threads and memory kept together on one NUMA node.
 *
 * A group ties a set of threads (ms_tbind) and a set of virtual address
 * ranges (ms_mbind) to a home node.  A bound range is an ordinary VMA
 * memory policy, MPOL_PREFERRED, that reads its node from the group when a
 * page is allocated (memsched_mpol_node()); VMA splitting, merging, fork
 * and fallback to other nodes are the memory policy code's.  Pages already
 * present when a range is bound are moved by a rate-limited background
 * worker, or before ms_mbind() returns with MS_MBIND_MOVE.
 *
 * Lifetime: a group is referenced by its member threads, by every memory
 * policy that follows it, by pending background moves and by transient
 * lookups.  The last reference queues the release work, which removes the
 * id (ids are allocated cyclically, so they are not reused quickly) and
 * frees the group after an RCU grace period.
 *
 * Lock order (outermost first):
 *
 *   memsched_mutex			(id table, per-user counts)
 *
 *   mmap_lock				(ms_mbind via do_mbind, the mover)
 *     vma write lock
 *       memsched_group::lock		(never held across an allocation
 *					 that can sleep)
 *
 *   task_struct::alloc_lock (task_lock)
 *     memsched_group::lock
 *       callback_lock (cpuset)		(memsched_group_mems())
 *
 * memsched_mutex is never taken with mmap_lock, a task lock or a group
 * lock held.  A group's refcount may drop to zero under any of them: the
 * release runs from a workqueue.
 */

#define pr_fmt(fmt) "memsched: " fmt

#include <linux/cpuset.h>
#include <linux/hugetlb.h>
#include <linux/kobject.h>
#include <linux/memsched.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/nodemask.h>
#include <linux/pagewalk.h>
#include <linux/pid_namespace.h>
#include <linux/swap.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/syscalls.h>
#include <linux/sysfs.h>
#include <linux/vmstat.h>
#include <linux/xarray.h>
#include <linux/knumad.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include <trace/events/memsched.h>

/* Bytes of address space the background mover handles per step. */
#define MEMSCHED_MOVE_CHUNK	(2UL << 20)
/*
 * How often a move goes back over a range that left folios behind (a folio
 * locked or referenced for a moment: a vCPU writing its huge page), and
 * how long it waits first.  Bounded: a folio pinned for good stays.
 */
#define MEMSCHED_MOVE_RETRIES	3
#define MEMSCHED_RETRY_DELAY	msecs_to_jiffies(500)
/*
 * How long a pending move waits for a thread of its process to take the
 * next step before the kworker takes it instead (no member thread ran).
 */
#define MEMSCHED_OWNER_GRACE	msecs_to_jiffies(100)

/* Protects memsched_ids' allocation cursor and memsched_user_groups. */
static DEFINE_MUTEX(memsched_mutex);
/* id -> group; lookups under RCU. */
static DEFINE_XARRAY_ALLOC1(memsched_ids);
static u32 memsched_next_id = 1;
/* uid -> number of groups the user owns (xa_mk_value). */
static DEFINE_XARRAY(memsched_user_groups);
/* Groups whose home is each node, for choosing new homes. */
static atomic_t memsched_node_groups[MAX_NUMNODES];

/* Tunables under /sys/kernel/mm/memsched/. */
static unsigned int memsched_max_groups_per_user __read_mostly = 1024;
static unsigned int memsched_move_interval_ms __read_mostly = 10;

/*
 * An address space that bound ranges to a group; holds an mm_count ref,
 * and a reference to the process's thread-group pid (NULL for an implicit
 * group), whose cpuset mems bound where the mover may take its memory.
 */
struct memsched_mm {
	struct list_head node;
	struct mm_struct *mm;
	struct pid *pid;
};

/*
 * A range whose present pages the background mover still has to move.
 * Steps are taken by a member thread of the group running in @mm, as task
 * work, so the CPU they cost is the owner's (memsched_move_owner_step());
 * by the group's kworker when no such thread took one for
 * MEMSCHED_OWNER_GRACE.  One step at a time (@busy): the one taking it
 * owns the entry until it is done.
 */
struct memsched_move {
	struct list_head node;
	struct mm_struct *mm;		/* mm_count ref */
	struct pid *pid;		/* referenced: see struct memsched_mm */
	unsigned long next, end;	/* under group->lock */
	/*
	 * The lowest start of a range bound while a step was running
	 * (ULONG_MAX: none): the step may have skipped past it.
	 */
	unsigned long rescan;
	/*
	 * The lowest start of a step that left folios behind (ULONG_MAX:
	 * none), and how often the move went back there.
	 */
	unsigned long retry_from;
	unsigned int retries;
	unsigned long last;		/* jiffies of the last step */
	unsigned long owner_last;	/* of the last step an owner took */
	bool busy;			/* a step is being taken */
};

/* ---------------------------------------------------------------------- */
/* Home node choice */

/**
 * struct memsched_node_load - what a new group's home is chosen by
 * @nid:	the node.
 * @groups:	groups already at home there.
 * @cpus:	online CPUs of the node, > 0.
 * @free:	free pages on the node.
 */
struct memsched_node_load {
	int nid;
	unsigned int groups;
	unsigned int cpus;
	unsigned long free;
};

/*
 * Is @a a better home than @b?  Fewer groups per CPU first (a group's
 * threads want CPUs), then more free memory, then the lower node id so the
 * choice is deterministic.
 */
static bool memsched_better_home(const struct memsched_node_load *a,
				 const struct memsched_node_load *b)
{
	u64 la = (u64)a->groups * b->cpus, lb = (u64)b->groups * a->cpus;

	if (la != lb)
		return la < lb;
	if (a->free != b->free)
		return a->free > b->free;
	return a->nid < b->nid;
}

/* Index of the best home among @n candidates, or -1 if there are none. */
static int memsched_pick_home(const struct memsched_node_load *load, int n)
{
	int i, best = -1;

	for (i = 0; i < n; i++)
		if (best < 0 || memsched_better_home(&load[i], &load[best]))
			best = i;
	return best;
}

/* The home for a group created now by current, among its allowed nodes. */
static int memsched_choose_home(void)
{
	struct memsched_node_load *load;
	nodemask_t allowed = cpuset_current_mems_allowed;
	int nid, n = 0, best;

	load = kcalloc(nr_node_ids, sizeof(*load), GFP_KERNEL);
	if (!load)
		return numa_node_id();
	for_each_node_mask(nid, allowed) {
		unsigned int cpus = nr_cpus_node(nid);

		if (!cpus || !node_state(nid, N_MEMORY))
			continue;
		load[n].nid = nid;
		load[n].cpus = cpus;
		load[n].groups = atomic_read(&memsched_node_groups[nid]);
		load[n].free = sum_zone_node_page_state(nid, NR_FREE_PAGES);
		n++;
	}
	best = memsched_pick_home(load, n);
	nid = best < 0 ? numa_node_id() : load[best].nid;
	kfree(load);
	return nid;
}

/* ---------------------------------------------------------------------- */
/* Moving memory: mainline's rules for misplaced folios */

/**
 * memsched_alloc_dst - allocate the destination of a move
 * @src:	the folio to move.
 * @nid:	the destination node.
 *
 * The rules of NUMA balancing's alloc_misplaced_dst_folio(): on @nid
 * only, no direct reclaim or compaction, no emergency reserves; a huge
 * page is allocated huge (GFP_TRANSHUGE_LIGHT) or not at all.  A move
 * that finds no free page fails; it never makes room by reclaiming on
 * the destination.  A migrate_pages() new_folio_t for the memsched mover
 * and knumad.
 *
 * Return: the new folio, or NULL.
 */
struct folio *memsched_alloc_dst(struct folio *src, unsigned long nid)
{
	int order = folio_order(src);
	gfp_t gfp = __GFP_THISNODE;

	if (folio_test_hugetlb(src)) {
		/*
		 * From @nid's pool; if that is empty, a temporary page of
		 * the buddy allocator, but without reclaim or compaction,
		 * like every other move.
		 */
		struct hstate *h = folio_hstate(src);
		nodemask_t nmask = nodemask_of_node(nid);

		gfp = (htlb_alloc_mask(h) | __GFP_THISNODE | __GFP_NOWARN) &
		      ~__GFP_RECLAIM;
		return alloc_hugetlb_folio_nodemask(h, nid, &nmask, gfp, false);
	}

	if (order > 0)
		gfp |= GFP_TRANSHUGE_LIGHT;
	else
		gfp |= (GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC |
			__GFP_NORETRY | __GFP_NOWARN) & ~__GFP_RECLAIM;
	return __folio_alloc_node(gfp, order, nid);
}

/**
 * memsched_may_move_all - may pages of @vma move that other processes map?
 * @group:	the group @vma follows.
 * @vma:	a VMA bound to @group.
 *
 * For a writable shared mapping (not a write-sealed memfd: VM_MAYWRITE)
 * of a file that @group's owner owns - the memfd or hugetlbfs file of a
 * VMM's guest RAM, which a vhost-user back end maps too - every mapper's
 * pages follow the group, as MPOL_MF_MOVE_ALL moves them.  The owner is
 * the group's, not the current task's: the background mover may run in a
 * kworker.  Any other file keeps MPOL_MF_MOVE's rule.
 */
bool memsched_may_move_all(struct memsched_group *group,
			   struct vm_area_struct *vma)
{
	const vm_flags_t want = VM_SHARED | VM_MAYWRITE;

	if (!vma->vm_file || (vma->vm_flags & want) != want)
		return false;
	return uid_eq(file_inode(vma->vm_file)->i_uid, group->owner);
}

/**
 * memsched_node_has_room - may @nr more pages move to @nid now?
 * @nid:	the destination node.
 * @nr:		pages about to move there.
 *
 * As migrate_balanced_pgdat() asks before a NUMA-balancing move: one of
 * the node's zones stays above its high watermark with @nr pages more.
 * A node short of memory is left to reclaim (kswapd) and its own users;
 * moves toward it wait.
 */
bool memsched_node_has_room(int nid, unsigned long nr)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	int z;

	for (z = pgdat->nr_zones - 1; z >= 0; z--) {
		struct zone *zone = pgdat->node_zones + z;

		if (!managed_zone(zone))
			continue;
		if (zone_watermark_ok(zone, 0, high_wmark_pages(zone) + nr,
				      ZONE_MOVABLE, ALLOC_CMA))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------------- */
/* Group lifetime */

static void memsched_move_fn(struct work_struct *work);

static void memsched_group_free_rcu(struct rcu_head *rcu)
{
	kfree(container_of(rcu, struct memsched_group, rcu));
}

/* Caller holds memsched_mutex. */
static void memsched_user_groups_dec(kuid_t owner)
{
	unsigned long uid = from_kuid(&init_user_ns, owner);
	unsigned long n = xa_to_value(xa_load(&memsched_user_groups, uid));

	if (n > 1)
		xa_store(&memsched_user_groups, uid, xa_mk_value(n - 1),
			 GFP_KERNEL);
	else
		xa_erase(&memsched_user_groups, uid);
}

static void memsched_release_fn(struct work_struct *work)
{
	struct memsched_group *group =
		container_of(work, struct memsched_group, release_work);
	struct memsched_mm *link, *tmp;

	/* No references are left, so nothing can queue a move any more. */
	cancel_delayed_work_sync(&group->move_work);
	WARN_ON_ONCE(!list_empty(&group->moves) || group->nr_tasks);

	mutex_lock(&memsched_mutex);
	xa_erase(&memsched_ids, group->id);
	if (!group->implicit)
		memsched_user_groups_dec(group->owner);
	mutex_unlock(&memsched_mutex);
	atomic_dec(&memsched_node_groups[group->home_nid]);

	list_for_each_entry_safe(link, tmp, &group->mms, node) {
		mmdrop(link->mm);
		put_pid(link->pid);
		kfree(link);
	}
	call_rcu(&group->rcu, memsched_group_free_rcu);
}

void memsched_group_get(struct memsched_group *group)
{
	refcount_inc(&group->ref);
}

/* May be called in atomic context: the release runs from a workqueue. */
void memsched_group_put(struct memsched_group *group)
{
	if (refcount_dec_and_test(&group->ref))
		schedule_work(&group->release_work);
}

/* A new group without an id yet, one reference held by the caller. */
static struct memsched_group *memsched_group_alloc(int nid,
						   const nodemask_t *allowed)
{
	struct memsched_group *group;

	group = kzalloc(sizeof(*group), GFP_KERNEL_ACCOUNT);
	if (!group)
		return NULL;
	refcount_set(&group->ref, 1);
	spin_lock_init(&group->lock);
	INIT_LIST_HEAD(&group->tasks);
	INIT_LIST_HEAD(&group->mms);
	INIT_LIST_HEAD(&group->moves);
	INIT_DELAYED_WORK(&group->move_work, memsched_move_fn);
	INIT_WORK(&group->release_work, memsched_release_fn);
	group->home_nid = nid;
	group->allowed = *allowed;
	group->home_since = jiffies;
	group->move_reason = "created";
	return group;
}

/* Give @group an id; memsched_mutex held.  Returns 0 or -errno. */
static int memsched_group_add_id(struct memsched_group *group)
{
	int err;

	lockdep_assert_held(&memsched_mutex);
	err = xa_alloc_cyclic(&memsched_ids, &group->id, group,
			      XA_LIMIT(1, INT_MAX), &memsched_next_id,
			      GFP_KERNEL);
	return err < 0 ? err : 0;
}

/* A new group, one reference held by the caller. */
static struct memsched_group *memsched_group_create(void)
{
	nodemask_t allowed = cpuset_current_mems_allowed;
	struct memsched_group *group;
	kuid_t owner = current_euid();
	unsigned long uid = from_kuid(&init_user_ns, owner);
	unsigned long n;
	int err;

	group = memsched_group_alloc(memsched_choose_home(), &allowed);
	if (!group)
		return ERR_PTR(-ENOMEM);
	group->owner = owner;
	/*
	 * Counted at its home before the id makes it visible: from then on
	 * the balancer may move the home, and moves the count with it.
	 */
	atomic_inc(&memsched_node_groups[group->home_nid]);

	mutex_lock(&memsched_mutex);
	n = xa_to_value(xa_load(&memsched_user_groups, uid));
	if (n >= READ_ONCE(memsched_max_groups_per_user)) {
		err = -EDQUOT;
		goto out_unlock;
	}
	err = xa_err(xa_store(&memsched_user_groups, uid, xa_mk_value(n + 1),
			      GFP_KERNEL));
	if (err)
		goto out_unlock;
	err = memsched_group_add_id(group);
	if (err) {
		memsched_user_groups_dec(owner);
		goto out_unlock;
	}
	mutex_unlock(&memsched_mutex);
	memsched_balance_kick();
	return group;

out_unlock:
	mutex_unlock(&memsched_mutex);
	atomic_dec(&memsched_node_groups[group->home_nid]);
	kfree(group);
	return ERR_PTR(err);
}

static struct memsched_mm *memsched_mm_alloc(void);
static void memsched_group_add_mm(struct memsched_group *group,
				  struct mm_struct *mm, struct pid *pid,
				  struct memsched_mm **new);

/**
 * memsched_group_create_implicit - a group for a whole process
 * @mm:		the process's address space.
 * @nid:	the home node.
 * @allowed:	the nodes the home may move to (the process's cpuset mems).
 *
 * For knumad, which gives a process that fits one node a home node this
 * way: its threads join the group themselves (memsched_join_implicit()).
 * The group has an id, shown in /proc/<pid>/memsched, but ms_tbind() and
 * ms_mbind() cannot join it, and it does not count against the creator's
 * max_groups_per_user.  May sleep.
 *
 * Return: the group with one reference for the caller, or NULL.
 */
struct memsched_group *memsched_group_create_implicit(struct mm_struct *mm,
						      int nid,
						      const nodemask_t *allowed)
{
	struct memsched_group *group;
	struct memsched_mm *link;
	int err;

	group = memsched_group_alloc(nid, allowed);
	if (!group)
		return NULL;
	group->owner = GLOBAL_ROOT_UID;
	group->implicit = true;
	group->move_reason = "knumad";
	/* counted before it is visible: see memsched_group_create() */
	atomic_inc(&memsched_node_groups[nid]);
	mutex_lock(&memsched_mutex);
	err = memsched_group_add_id(group);
	mutex_unlock(&memsched_mutex);
	if (err) {
		atomic_dec(&memsched_node_groups[nid]);
		kfree(group);
		return NULL;
	}
	memsched_balance_kick();
	/* From here on the release work undoes everything. */
	link = memsched_mm_alloc();
	if (!link) {
		memsched_group_put(group);
		return NULL;
	}
	/* no move is queued for an implicit group: no pid needed */
	memsched_group_add_mm(group, mm, NULL, &link);
	kfree(link);
	return group;
}

/* The group with @id, referenced, or NULL; implicit groups are not found. */
static struct memsched_group *memsched_group_find(int id)
{
	struct memsched_group *group;

	rcu_read_lock();
	group = xa_load(&memsched_ids, id);
	if (group && (group->implicit || !refcount_inc_not_zero(&group->ref)))
		group = NULL;
	rcu_read_unlock();
	return group;
}

/*
 * The next live group with an id >= *@id, referenced, or NULL; advances
 * *@id past it.  For walks over all groups (the balancer).
 */
struct memsched_group *memsched_group_next(unsigned long *id)
{
	struct memsched_group *group;

	rcu_read_lock();
	for (;;) {
		group = xa_find(&memsched_ids, id, ULONG_MAX, XA_PRESENT);
		if (!group)
			break;
		(*id)++;
		if (refcount_inc_not_zero(&group->ref))
			break;
	}
	rcu_read_unlock();
	return group;
}

static int memsched_queue_move(struct memsched_group *group,
			       struct mm_struct *mm, struct pid *pid,
			       unsigned long start, unsigned long end);

/*
 * Give @group a new home: new pages go there at once, present pages of
 * every address space with ranges in the group follow in the background.
 */
void memsched_group_set_home(struct memsched_group *group, int nid,
			     const char *reason)
{
	struct memsched_mm *link, *mms;
	int old, i, n = 0, max = 0;

	spin_lock(&group->lock);
	list_for_each_entry(link, &group->mms, node)
		max++;
	spin_unlock(&group->lock);
	mms = kcalloc(max, sizeof(*mms), GFP_KERNEL);

	spin_lock(&group->lock);
	old = group->home_nid;
	if (old == nid) {
		spin_unlock(&group->lock);
		kfree(mms);
		return;
	}
	WRITE_ONCE(group->home_nid, nid);
	group->home_moves++;
	group->home_since = jiffies;
	group->move_reason = reason;
	list_for_each_entry(link, &group->mms, node) {
		if (!mms || n == max)
			break;
		if (!atomic_read(&link->mm->mm_users))
			continue;
		/* copies, with references: the link may be pruned */
		mmgrab(link->mm);
		mms[n].mm = link->mm;
		mms[n++].pid = get_pid(link->pid);
	}
	spin_unlock(&group->lock);

	atomic_dec(&memsched_node_groups[old]);
	atomic_inc(&memsched_node_groups[nid]);
	for (i = 0; i < n; i++) {
		/*
		 * No VMA follows an implicit group: knumad moves its
		 * process's memory to the new home as it samples it.
		 */
		if (!group->implicit)
			memsched_queue_move(group, mms[i].mm, mms[i].pid, 0,
					    mms[i].mm->task_size);
		mmdrop(mms[i].mm);
		put_pid(mms[i].pid);
	}
	kfree(mms);
}

/**
 * memsched_group_mems - the nodes @group's home may be on now
 * @group:	the group.
 * @mems:	gets the nodes that every member thread's cpuset allows now;
 *		for a group without members, those every bound process's
 *		cpuset allows; for a group with neither, its creator's
 *		cpuset at creation (@group->allowed).
 *
 * Read now, not when the group was made: an admin may shrink cpuset.mems
 * (the home must leave), and may widen it again - a VMM started confined
 * to one node and then given the machine must be able to spread its
 * groups.  Intersecting with the creator's cpuset at creation kept such
 * groups on node 0 for good (found by the QEMU end-to-end test).  The
 * members decide, as they run there; a bound process's own cpuset is
 * honoured by the mover, which moves none of its pages out of it.
 *
 * For the balancer, once per group per pass: O(members + processes).
 */
void memsched_group_mems(struct memsched_group *group, nodemask_t *mems)
{
	struct memsched_mm *link;
	struct task_struct *t;
	nodemask_t allowed;
	bool any = false;

	nodes_setall(*mems);
	rcu_read_lock();
	spin_lock(&group->lock);
	list_for_each_entry(t, &group->tasks, memsched_node) {
		allowed = cpuset_mems_allowed(t);
		nodes_and(*mems, *mems, allowed);
		any = true;
	}
	if (!any) {
		list_for_each_entry(link, &group->mms, node) {
			t = pid_task(link->pid, PIDTYPE_TGID);
			if (!t)
				continue;
			allowed = cpuset_mems_allowed(t);
			nodes_and(*mems, *mems, allowed);
			any = true;
		}
	}
	spin_unlock(&group->lock);
	rcu_read_unlock();
	if (!any)
		*mems = group->allowed;
}

/* May current put threads or memory into @group? */
static bool memsched_may_join(struct memsched_group *group)
{
	return uid_eq(current_euid(), group->owner) || capable(CAP_SYS_NICE);
}

/* ---------------------------------------------------------------------- */
/* Threads */

static struct memsched_group *memsched_task_group(struct task_struct *t)
{
	return rcu_dereference_protected(t->memsched_group,
					 lockdep_is_held(&t->alloc_lock));
}

/*
 * Take @t off @group's member list and clear its group pointer; the
 * caller holds @t's task lock and drops the member's reference after
 * unlocking.
 */
static void memsched_task_unlink(struct task_struct *t,
				 struct memsched_group *group)
{
	spin_lock(&group->lock);
	list_del_init(&t->memsched_node);
	group->nr_tasks--;
	/*
	 * Fold the task's runtime into the group's.  A tick on another CPU
	 * that read the group before it changed may still add one tick's
	 * time to the task's counters afterwards: it goes to the task's next
	 * group, if any - a few ms, for a statistic, and never counted twice.
	 */
	atomic64_add(atomic64_xchg(&t->memsched_ns_home, 0), &group->ns_home);
	atomic64_add(atomic64_xchg(&t->memsched_ns_away, 0), &group->ns_away);
	spin_unlock(&group->lock);
	RCU_INIT_POINTER(t->memsched_group, NULL);
}

/*
 * Move @t into @group (NULL: out of its group).  Fails with -ESRCH once
 * @t is exiting: memsched_exit() has run or is about to.  With @if_none,
 * only if @t is in no group yet: the check and the join are one step
 * under the task lock, so an ms_tbind() of a new thread is never undone
 * by its creator's memsched_post_fork().
 */
static int memsched_task_set_group(struct task_struct *t,
				   struct memsched_group *group, bool if_none)
{
	struct memsched_group *old;

	task_lock(t);
	if (t->flags & PF_EXITING) {
		task_unlock(t);
		return -ESRCH;
	}
	old = memsched_task_group(t);
	if (old == group || (old && if_none)) {
		task_unlock(t);
		return 0;
	}
	if (old)
		memsched_task_unlink(t, old);
	if (group) {
		/* Runtime before joining is not the group's; look home soon. */
		t->memsched_runtime = t->se.sum_exec_runtime;
		atomic64_set(&t->memsched_ns_home, 0);
		atomic64_set(&t->memsched_ns_away, 0);
		t->memsched_next_pull = 0;
		spin_lock(&group->lock);
		/*
		 * A thread forked while knumad dissolves its parent's
		 * implicit group would stay in it for good: the dissolve
		 * takes out the members it finds, once.
		 */
		if (group->dissolved) {
			spin_unlock(&group->lock);
			group = NULL;
		} else {
			memsched_group_get(group);
			list_add_tail(&t->memsched_node, &group->tasks);
			group->nr_tasks++;
			spin_unlock(&group->lock);
		}
	}
	rcu_assign_pointer(t->memsched_group, group);
	task_unlock(t);

	if (old)
		memsched_group_put(old);
	return 0;
}

/* Right after dup_task_struct(): forget the parent's copied pointer. */
void memsched_fork(struct task_struct *p)
{
	RCU_INIT_POINTER(p->memsched_group, NULL);
	INIT_LIST_HEAD(&p->memsched_node);
	memsched_sched_fork(p);
}

/*
 * A reference on @t's group, or NULL: another thread may take @t out of
 * it and drop its last reference at any time.
 */
static struct memsched_group *memsched_task_group_get(struct task_struct *t)
{
	struct memsched_group *group;

	rcu_read_lock();
	group = rcu_dereference(t->memsched_group);
	if (group && !refcount_inc_not_zero(&group->ref))
		group = NULL;
	rcu_read_unlock();
	return group;
}

/* The child can no longer fail to be created: join the parent's group. */
void memsched_post_fork(struct task_struct *p)
{
	struct memsched_group *group = memsched_task_group_get(current);

	if (!group)
		return;
	/*
	 * Unless ms_tbind() already put the new thread somewhere, or the
	 * group is the parent process's implicit one and the child is a
	 * process of its own - one that shares the address space for now
	 * (vfork(), posix_spawn()) included: it is about to exec.
	 */
	if (!group->implicit || same_thread_group(p, current))
		memsched_task_set_group(p, group, true);
	memsched_group_put(group);
}

void memsched_exit(struct task_struct *tsk)
{
	struct memsched_group *old;

	/*
	 * Always under the task lock: ms_tbind() checks PF_EXITING under it,
	 * so either it saw the flag or its group is visible here.
	 */
	task_lock(tsk);
	old = memsched_task_group(tsk);
	if (old)
		memsched_task_unlink(tsk, old);
	task_unlock(tsk);
	if (old)
		memsched_group_put(old);
}

/**
 * memsched_join_implicit - current joins an implicit group
 * @group:	the implicit group of current's process.
 *
 * Called from task work queued by knumad.  A thread in a group of its own
 * choosing (ms_tbind()) stays there; a thread in a stale implicit group
 * moves over.  Nothing happens once @group is dissolved.
 */
void memsched_join_implicit(struct memsched_group *group)
{
	struct task_struct *t = current;
	struct memsched_group *old;
	bool joined = false;

	task_lock(t);
	old = memsched_task_group(t);
	if ((t->flags & PF_EXITING) || old == group ||
	    (old && !old->implicit)) {
		old = NULL;
		goto unlock;
	}
	if (old)
		memsched_task_unlink(t, old);
	/* zero before the task is on the list memsched_group_ns() sums */
	atomic64_set(&t->memsched_ns_home, 0);
	atomic64_set(&t->memsched_ns_away, 0);
	spin_lock(&group->lock);
	if (!group->dissolved) {
		list_add_tail(&t->memsched_node, &group->tasks);
		group->nr_tasks++;
		joined = true;
	}
	spin_unlock(&group->lock);
	if (joined) {
		memsched_group_get(group);
		/* Runtime before joining is not the group's; look home soon. */
		t->memsched_runtime = t->se.sum_exec_runtime;
		t->memsched_next_pull = 0;
		rcu_assign_pointer(t->memsched_group, group);
	}
unlock:
	task_unlock(t);
	if (old)
		memsched_group_put(old);
}

/* Take @t out of @group if it is still in it. */
static void memsched_task_leave(struct task_struct *t,
				struct memsched_group *group)
{
	bool left = false;

	task_lock(t);
	if (memsched_task_group(t) == group) {
		memsched_task_unlink(t, group);
		left = true;
	}
	task_unlock(t);
	if (left)
		memsched_group_put(group);
}

/**
 * memsched_group_dissolve - every member leaves an implicit group
 * @group:	the group, referenced by the caller.
 *
 * Nobody joins it afterwards; it is freed when the last reference goes.
 * May sleep.
 */
void memsched_group_dissolve(struct memsched_group *group)
{
	struct task_struct *t;

	spin_lock(&group->lock);
	group->dissolved = true;
	spin_unlock(&group->lock);
	for (;;) {
		spin_lock(&group->lock);
		t = list_first_entry_or_null(&group->tasks, struct task_struct,
					     memsched_node);
		if (t)
			get_task_struct(t);
		spin_unlock(&group->lock);
		if (!t)
			break;
		memsched_task_leave(t, group);
		put_task_struct(t);
	}
}

static int memsched_group_id_of(struct task_struct *t)
{
	struct memsched_group *group;
	int id;

	rcu_read_lock();
	group = rcu_dereference(t->memsched_group);
	id = group ? group->id : MS_ID_NONE;
	rcu_read_unlock();
	return id;
}

static long memsched_tbind(struct task_struct *t, int ms_id)
{
	struct memsched_group *group = NULL;
	long err;

	/*
	 * Reading another process's group needs what reading its
	 * /proc/<pid>/memsched needs: group ids say which processes of
	 * other users work together.
	 */
	if (ms_id == MS_ID_GET) {
		if (!same_thread_group(t, current) &&
		    !ptrace_may_access(t, PTRACE_MODE_READ_REALCREDS))
			return -EPERM;
		return memsched_group_id_of(t);
	}
	if (t->flags & PF_KTHREAD)
		return -EINVAL;
	if (!same_thread_group(t, current) &&
	    !ptrace_may_access(t, PTRACE_MODE_ATTACH_REALCREDS))
		return -EPERM;

	if (ms_id == MS_ID_NEW) {
		group = memsched_group_create();
		if (IS_ERR(group))
			return PTR_ERR(group);
	} else if (ms_id != MS_ID_NONE) {
		group = memsched_group_find(ms_id);
		if (!group)
			return -EINVAL;
		if (!memsched_may_join(group)) {
			memsched_group_put(group);
			return -EPERM;
		}
	}

	err = memsched_task_set_group(t, group, false);
	if (!err && ms_id == MS_ID_NEW)
		err = group->id;
	if (group)
		memsched_group_put(group);
	return err;
}

SYSCALL_DEFINE3(ms_tbind, pid_t, tid, int, ms_id, unsigned long, flags)
{
	struct task_struct *t;
	long ret;

	if (flags || tid < 0 || ms_id < MS_ID_GET)
		return -EINVAL;

	rcu_read_lock();
	t = tid ? find_task_by_vpid(tid) : current;
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	if (!t)
		return -ESRCH;

	ret = memsched_tbind(t, ms_id);
	put_task_struct(t);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* Memory */

#define MS_MBIND_VALID	MS_MBIND_MOVE

/* Mappings a binding cannot serve: no struct pages, or not migratable. */
#define MEMSCHED_VM_UNSUPPORTED	(VM_PFNMAP | VM_IO | VM_MIXEDMAP)

/*
 * Would changing the policy of [@start, @end) have to split @vma, a
 * hugetlb mapping, off a huge page boundary?  hugetlb VMAs split only at
 * their page size, so such a call is refused whole, before any VMA
 * changes.
 */
static bool memsched_hugetlb_misaligned(struct vm_area_struct *vma,
					unsigned long start, unsigned long end)
{
	unsigned long mask;

	if (!is_vm_hugetlb_page(vma))
		return false;
	mask = vma_kernel_pagesize(vma) - 1;
	return (start > vma->vm_start && (start & mask)) ||
	       (end < vma->vm_end && (end & mask));
}

/**
 * memsched_range_check - can [@start, @end) of @mm be unbound?
 * @mm:		the address space; mmap_lock held.
 * @start:	page-aligned start.
 * @end:	end.
 *
 * Unbinding changes only the VMAs whose policy follows a group, so only
 * those may not be split inside a huge page: unbinding part of a hugetlb
 * mapping that is not bound is a no-op, as mbind() of the policy a VMA
 * already has is.  memsched_mbind_check() adds the rules for binding.
 *
 * Return: 0; -EFAULT if part of the range is not mapped; -EOPNOTSUPP if
 * part of it is a mapping a binding cannot serve; -EINVAL if it would split
 * a bound hugetlb mapping inside a huge page.
 */
int memsched_range_check(struct mm_struct *mm, unsigned long start,
			 unsigned long end)
{
	VMA_ITERATOR(vmi, mm, start);
	struct vm_area_struct *vma;
	unsigned long addr = start;
	int err = 0;

	mmap_assert_locked(mm);
	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_start > addr) {
			err = -EFAULT;
			break;
		}
		if (vma->vm_flags & MEMSCHED_VM_UNSUPPORTED) {
			err = -EOPNOTSUPP;
			break;
		}
		if (vma->vm_policy && vma->vm_policy->msgroup &&
		    memsched_hugetlb_misaligned(vma, start, end)) {
			err = -EINVAL;
			break;
		}
		addr = vma->vm_end;
	}
	if (!err && addr < end)
		err = -EFAULT;
	return err;
}

/**
 * memsched_mbind_check - may [@start, @end) of @mm be bound to @group?
 * @mm:		the address space; mmap_lock held for write.
 * @start:	page-aligned start.
 * @end:	end.
 * @group:	the group; NULL (plain mbind(), or an unbinding) passes.
 *
 * do_mbind() calls this under the write lock it changes the VMAs under,
 * so a refused call leaves every VMA as it was, and a MAP_FIXED racing
 * with ms_mbind() cannot slip a hugetlb or PFNMAP mapping in between the
 * early check and the binding.
 *
 * Return: 0, the errno of memsched_range_check(), -EINVAL if binding
 * would split any hugetlb mapping inside a huge page, or -EACCES if part
 * of the range maps a file with a shared policy that was not opened for
 * writing.
 */
int memsched_mbind_check(struct mm_struct *mm, unsigned long start,
			 unsigned long end, struct memsched_group *group)
{
	VMA_ITERATOR(vmi, mm, start);
	struct vm_area_struct *vma;
	int err;

	if (!group)
		return 0;
	err = memsched_range_check(mm, start, end);
	if (err)
		return err;
	for_each_vma_range(vmi, vma, end) {
		if (memsched_hugetlb_misaligned(vma, start, end))
			return -EINVAL;
	}
	vma_iter_set(&vmi, start);
	/*
	 * A mapping with a shared policy (tmpfs, memfd, shared anonymous
	 * memory) takes the binding into its file: it decides where every
	 * mapper's pages go and keeps the group alive as long as the file
	 * lives.  That is for a file the caller opened for writing, not
	 * for a private mapping of someone else's file.
	 */
	for_each_vma_range(vmi, vma, end) {
		if (vma->vm_ops && vma->vm_ops->set_policy && vma->vm_file &&
		    !(vma->vm_file->f_mode & FMODE_WRITE))
			return -EACCES;
	}
	return 0;
}

/* A link for memsched_group_add_mm(), charged to the caller's memcg. */
static struct memsched_mm *memsched_mm_alloc(void)
{
	return kmalloc(sizeof(struct memsched_mm), GFP_KERNEL_ACCOUNT);
}

/*
 * Move @group's links to address spaces that are gone (no users left)
 * to @dead; the group lock is held.
 */
static void memsched_prune_mms(struct memsched_group *group,
			       struct list_head *dead)
{
	struct memsched_mm *link, *tmp;

	lockdep_assert_held(&group->lock);
	list_for_each_entry_safe(link, tmp, &group->mms, node) {
		if (atomic_read(&link->mm->mm_users))
			continue;
		list_move(&link->node, dead);
		group->nr_mms--;
	}
}

static void memsched_free_mms(struct list_head *dead)
{
	struct memsched_mm *link, *tmp;

	list_for_each_entry_safe(link, tmp, dead, node) {
		mmdrop(link->mm);
		put_pid(link->pid);
		kfree(link);
	}
}

/*
 * Remember that @mm bound ranges to @group, for later home changes,
 * with the link in *@new (taken, and *@new cleared, if @mm had none).
 * Links of address spaces that are gone are dropped on the way, so a
 * group holds at most one link per live address space that bound a
 * range to it: a long-lived group whose short-lived users fork, bind
 * and exit does not grow, nor pin their mm_structs.
 */
static void memsched_group_add_mm(struct memsched_group *group,
				  struct mm_struct *mm, struct pid *pid,
				  struct memsched_mm **new)
{
	struct memsched_mm *link;
	LIST_HEAD(dead);
	bool found = false;

	spin_lock(&group->lock);
	memsched_prune_mms(group, &dead);
	list_for_each_entry(link, &group->mms, node) {
		if (link->mm == mm) {
			found = true;
			break;
		}
	}
	if (!found) {
		link = *new;
		*new = NULL;
		mmgrab(mm);
		link->mm = mm;
		link->pid = get_pid(pid);
		list_add_tail(&link->node, &group->mms);
		group->nr_mms++;
	}
	spin_unlock(&group->lock);
	memsched_free_mms(&dead);
}

/*
 * Move the present pages of [start, end) home in the background.  A group
 * has at most one pending move per address space: a new range widens it,
 * so repeated calls cannot queue unbounded work.
 */
static int memsched_queue_move(struct memsched_group *group,
			       struct mm_struct *mm, struct pid *pid,
			       unsigned long start, unsigned long end)
{
	struct memsched_move *move, *new;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	spin_lock(&group->lock);
	list_for_each_entry(move, &group->moves, node) {
		if (move->mm == mm) {
			move->next = min(move->next, start);
			move->end = max(move->end, end);
			move->retries = 0;
			if (move->busy)
				move->rescan = min(move->rescan, start);
			spin_unlock(&group->lock);
			kfree(new);
			return 0;
		}
	}
	mmgrab(mm);
	new->mm = mm;
	new->pid = get_pid(pid);
	new->next = start;
	new->end = end;
	new->rescan = ULONG_MAX;
	new->retry_from = ULONG_MAX;
	/* an owner may take the first step at once */
	new->last = jiffies -
		    msecs_to_jiffies(READ_ONCE(memsched_move_interval_ms));
	new->owner_last = jiffies;
	memsched_group_get(group);
	list_add_tail(&new->node, &group->moves);
	WRITE_ONCE(group->nr_moves, group->nr_moves + 1);
	WRITE_ONCE(group->move_due, jiffies);
	spin_unlock(&group->lock);
	queue_delayed_work(system_unbound_wq, &group->move_work, 0);
	return 0;
}

/*
 * The cpuset mems of the process @pid (its thread-group leader) now, into
 * @mems; false if it is gone.  Cgroup v1 lets threads of one process sit
 * in different cpusets; the leader's stands for the process, as
 * mm->owner does for the memory controller.
 */
static bool memsched_pid_mems(struct pid *pid, nodemask_t *mems)
{
	struct task_struct *t;

	rcu_read_lock();
	t = pid_task(pid, PIDTYPE_TGID);
	if (t)
		get_task_struct(t);
	rcu_read_unlock();
	if (!t)
		return false;
	*mems = cpuset_mems_allowed(t);
	put_task_struct(t);
	return true;
}

/*
 * Move home the pages of [start, end) of @mm, or of the first part of it
 * that has VMAs; only the VMAs that still follow @group (the range may have
 * been unbound or rebound meanwhile), and only to a home the process's
 * cpuset allows now: the step may run in a kworker, which no cpuset
 * confines, and the home may have been chosen for other members, or
 * before an admin shrank cpuset.mems.  Returns where the next step starts;
 * sets *@left if folios of the chunk could not be moved.
 */
static unsigned long memsched_move_chunk(struct memsched_group *group,
					 struct mm_struct *mm, struct pid *pid,
					 unsigned long start, unsigned long end,
					 bool *left)
{
	VMA_ITERATOR(vmi, mm, start);
	unsigned long spans[8][2];
	struct vm_area_struct *vma;
	nodemask_t mems;
	int i, n = 0;

	if (!memsched_pid_mems(pid, &mems) || !mmget_not_zero(mm))
		return ULONG_MAX;
	mmap_read_lock(mm);
	for_each_vma_range(vmi, vma, end) {
		if (!vma->vm_policy || vma->vm_policy->msgroup != group)
			continue;
		if (n == ARRAY_SIZE(spans)) {
			/* Come back for the rest. */
			end = vma->vm_start;
			break;
		}
		spans[n][0] = max(start, vma->vm_start);
		spans[n][1] = min(end, vma->vm_end);
		n++;
	}
	if (!n) {
		/*
		 * Nothing of the group here: skip holes and other VMAs up to
		 * the next VMA that follows the group, in one step.  The work
		 * follows the group's VMAs, not the address space's size (a
		 * 64 TiB PROT_NONE reservation took 2 MiB steps every 10 ms:
		 * days).
		 */
		vma_iter_set(&vmi, end);
		end = ULONG_MAX;
		for_each_vma(vmi, vma) {
			if (vma->vm_policy && vma->vm_policy->msgroup == group) {
				end = vma->vm_start;
				break;
			}
			if (need_resched()) {
				/* a long VMA list: come back from here */
				end = vma->vm_end;
				break;
			}
		}
	}
	mmap_read_unlock(mm);

	for (i = 0; i < n; i++) {
		int nid = READ_ONCE(group->home_nid);

		if (!node_isset(nid, mems))
			break;	/* stays where the cpuset put it */
		/*
		 * Folios still in a CPU's LRU batch cannot be isolated:
		 * drain the batches and try once more.
		 */
		if (mpol_migrate_range(mm, spans[i][0], spans[i][1], nid,
				       group) > 0) {
			lru_add_drain_all();
			if (mpol_migrate_range(mm, spans[i][0], spans[i][1],
					       nid, group) > 0)
				*left = true;
		}
	}
	mmput(mm);
	return end;
}

/*
 * Take the next step of a pending move of @group: of @mm's if @mm is given
 * (an owner's task work), else of the first one no owner stepped for
 * MEMSCHED_OWNER_GRACE (the kworker); none before the rate limit allows.
 * Returns whether a step was taken.
 */
static bool memsched_move_step(struct memsched_group *group,
			       struct mm_struct *mm)
{
	unsigned long interval =
		msecs_to_jiffies(READ_ONCE(memsched_move_interval_ms));
	struct memsched_move *move;
	unsigned long start, end, next;
	bool found = false, done, left = false;

	spin_lock(&group->lock);
	list_for_each_entry(move, &group->moves, node) {
		if (move->busy || (mm && move->mm != mm))
			continue;
		/*
		 * The kworker leaves a move to its owners for a while, but
		 * not one of an address space that is gone: its step ends
		 * it, and drops the group reference the move holds.
		 */
		if (!mm && atomic_read(&move->mm->mm_users) &&
		    time_before(jiffies, move->owner_last + MEMSCHED_OWNER_GRACE))
			continue;
		if (time_before(jiffies, move->last + interval))
			continue;
		found = true;
		break;
	}
	if (!found) {
		/*
		 * Nothing of @mm's is due: members look again at most once
		 * an interval between them (the move may be another
		 * process's, which the kworker takes).
		 */
		if (mm)
			WRITE_ONCE(group->move_due, jiffies + interval);
		spin_unlock(&group->lock);
		return false;
	}
	move->busy = true;
	start = move->next;
	end = min(move->end, start + MEMSCHED_MOVE_CHUNK);
	if (end < start)	/* wrapped */
		end = move->end;
	spin_unlock(&group->lock);

	/* @move is ours while busy; ms_mbind() may widen it meanwhile */
	next = memsched_move_chunk(group, move->mm, move->pid, start, end,
				   &left);

	spin_lock(&group->lock);
	move->busy = false;
	move->last = jiffies;
	WRITE_ONCE(group->move_due, jiffies + interval);
	if (mm)
		move->owner_last = jiffies;
	if (move->next == start)	/* not rewound by a new binding */
		move->next = next;
	/* nor skipped a range bound meanwhile */
	move->next = min(move->next, move->rescan);
	move->rescan = ULONG_MAX;
	if (left)
		move->retry_from = min(move->retry_from, start);
	done = move->next >= move->end;
	/* not for an address space that is gone */
	if (done && move->retry_from != ULONG_MAX &&
	    move->retries < MEMSCHED_MOVE_RETRIES &&
	    atomic_read(&move->mm->mm_users)) {
		/* once more over what was left, a little later */
		move->next = move->retry_from;
		move->retry_from = ULONG_MAX;
		move->retries++;
		move->last = jiffies + MEMSCHED_RETRY_DELAY;
		done = false;
	}
	if (done) {
		list_del(&move->node);
		WRITE_ONCE(group->nr_moves, group->nr_moves - 1);
	} else {	/* round-robin between address spaces */
		list_move_tail(&move->node, &group->moves);
	}
	spin_unlock(&group->lock);

	if (done) {
		mmdrop(move->mm);
		put_pid(move->pid);
		kfree(move);
		memsched_group_put(group);
	}
	return true;
}

/*
 * The kworker: steps of moves whose process has no member thread running
 * (a sleeping process, or one that bound ranges without joining).
 */
static void memsched_move_fn(struct work_struct *work)
{
	struct memsched_group *group = container_of(to_delayed_work(work),
					struct memsched_group, move_work);
	unsigned long delay;

	delay = msecs_to_jiffies(READ_ONCE(memsched_move_interval_ms));
	/*
	 * Look again an interval later either way: for a move whose owners
	 * stopped, or whose process exited (the group and its owner's quota
	 * are freed soon after the process, not a grace period later).
	 */
	if (!memsched_move_step(group, NULL))
		delay = max(delay, 1UL);
	if (READ_ONCE(group->nr_moves))
		queue_delayed_work(system_unbound_wq, &group->move_work, delay);
}

/**
 * memsched_move_owner_step - a member thread's share of its group's moves
 *
 * Task work queued by memsched_task_tick() while the group has pending
 * moves: the current thread takes the next step of its own process's move,
 * so the CPU and allocations of the migration are charged to the process
 * (and its cgroups) whose memory moves, as NUMA balancing's scanning is.
 */
void memsched_move_owner_step(void)
{
	struct memsched_group *group;
	struct task_struct *p = current;

	/* a thread being killed does not move memory on its way out */
	if (!p->mm || fatal_signal_pending(p))
		return;
	group = memsched_task_group_get(p);
	if (!group)
		return;
	if (READ_ONCE(group->nr_moves))
		memsched_move_step(group, p->mm);
	memsched_group_put(group);
}

static long memsched_mbind(unsigned long start, unsigned long len, int ms_id,
			   unsigned long flags)
{
	struct mm_struct *mm = current->mm;
	struct memsched_group *group = NULL;
	struct memsched_mm *link;
	unsigned long end;
	nodemask_t nodes;
	long err;

	len = PAGE_ALIGN(len);
	end = start + len;
	if (len == 0)
		return 0;

	if (ms_id != MS_ID_NONE) {
		group = memsched_group_find(ms_id);
		if (!group)
			return -EINVAL;
		err = -EPERM;
		if (!memsched_may_join(group))
			goto out;
	}

	/*
	 * The range is checked under the mmap write lock the VMAs change
	 * under (memsched_mbind_check(), mpol_memsched_unbind()), so a
	 * refused call changes nothing.
	 */
	if (!group) {
		/* only what follows a group: an mbind() policy stays */
		err = mpol_memsched_unbind(mm, start, end);
		goto out;
	}

	/* The link is made only once the binding exists. */
	link = memsched_mm_alloc();
	err = -ENOMEM;
	if (!link)
		goto out;
	nodes = nodemask_of_node(READ_ONCE(group->home_nid));
	err = do_mbind(start, len, MPOL_PREFERRED, 0, &nodes,
		       (flags & MS_MBIND_MOVE) ? MPOL_MF_MOVE : 0, group);
	if (!err) {
		memsched_group_add_mm(group, mm, task_tgid(current), &link);
		/*
		 * With MS_MBIND_MOVE, do_mbind() moved what this process
		 * alone maps; what is left - pages of a shared file that
		 * other processes map too (a vhost-user back end's view of
		 * guest RAM), folios that were busy - moves in the
		 * background, at the mover's rate.
		 */
		err = memsched_queue_move(group, mm, task_tgid(current),
					  start, end);
	}
	kfree(link);
out:
	if (group)
		memsched_group_put(group);
	return err;
}

/* The mbind(2) rules for the arguments: 0 or -EINVAL. */
static int memsched_mbind_args_valid(unsigned long start, unsigned long len,
				     int ms_id, unsigned long flags)
{
	if (flags & ~MS_MBIND_VALID)
		return -EINVAL;
	if (ms_id < 0)
		return -EINVAL;
	if (start & ~PAGE_MASK)
		return -EINVAL;
	/* A range that wraps, also once rounded up to pages. */
	if (PAGE_ALIGN(len) < len || start + PAGE_ALIGN(len) < start)
		return -EINVAL;
	return 0;
}

SYSCALL_DEFINE4(ms_mbind, unsigned long, start, unsigned long, len,
		int, ms_id, unsigned long, flags)
{
	int err;

	start = untagged_addr(start);
	err = memsched_mbind_args_valid(start, len, ms_id, flags);
	if (err)
		return err;
	return memsched_mbind(start, len, ms_id, flags);
}

/* ---------------------------------------------------------------------- */
/* /proc/<pid>/memsched */

/* What one group holds of one process. */
struct memsched_proc_group {
	struct memsched_group *group;	/* referenced */
	unsigned int threads;
	unsigned int ranges;
	unsigned long pages[MAX_NUMNODES];
};

/*
 * The entry of @group in @groups, made on first use with a reference of
 * its own; NULL if there is no memory, or if @group is being released.
 * @group may have been read under RCU only (a thread's group pointer):
 * its last reference may be going at this moment, so the reference is
 * taken only if one is left, never by a plain increment.
 */
static struct memsched_proc_group *
memsched_proc_group(struct xarray *groups, struct memsched_group *group)
{
	struct memsched_proc_group *pg = xa_load(groups, group->id);

	if (pg)
		return pg;
	pg = kzalloc(sizeof(*pg), GFP_ATOMIC);
	if (!pg)
		return NULL;
	if (!refcount_inc_not_zero(&group->ref)) {
		kfree(pg);
		return NULL;
	}
	if (xa_err(xa_store(groups, group->id, pg, GFP_ATOMIC))) {
		memsched_group_put(group);
		kfree(pg);
		return NULL;
	}
	pg->group = group;
	return pg;
}

static void memsched_count_folio(unsigned long *pages, struct folio *folio,
				 unsigned long nr)
{
	pages[folio_nid(folio)] += nr;
}

static int memsched_count_pmd(pmd_t *pmd, unsigned long addr,
			      unsigned long end, struct mm_walk *walk)
{
	unsigned long *pages = walk->private;
	struct vm_area_struct *vma = walk->vma;
	spinlock_t *ptl;	/* the page table lock of @pmd */
	pte_t *start_pte, *pte;

	ptl = pmd_trans_huge_lock(pmd, vma);
	if (ptl) {
		struct page *page = NULL;

		__acquire(ptl);	/* for sparse: taken by pmd_trans_huge_lock() */

		if (pmd_present(*pmd))
			page = vm_normal_page_pmd(vma, addr, *pmd);

		if (page)
			memsched_count_folio(pages, page_folio(page),
					     (end - addr) >> PAGE_SHIFT);
		spin_unlock(ptl);
		return 0;
	}

	start_pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	pte = start_pte;
	if (!pte) {
		walk->action = ACTION_AGAIN;
		return 0;
	}
	__acquire(RCU);	/* for sparse: pte_unmap() ends it */
	for (; addr < end; pte++, addr += PAGE_SIZE) {
		pte_t ptent = ptep_get(pte);
		struct page *page;

		if (!pte_present(ptent))
			continue;
		page = vm_normal_page(vma, addr, ptent);
		if (page)
			memsched_count_folio(pages, page_folio(page), 1);
	}
	pte_unmap_unlock(start_pte, ptl);
	cond_resched();
	return 0;
}

#ifdef CONFIG_HUGETLB_PAGE
static int memsched_count_hugetlb(pte_t *pte, unsigned long hmask,
				  unsigned long addr, unsigned long end,
				  struct mm_walk *walk)
{
	pte_t ptent = huge_ptep_get(walk->mm, addr, pte);

	if (pte_present(ptent))
		memsched_count_folio(walk->private, page_folio(pte_page(ptent)),
				     (end - addr) >> PAGE_SHIFT);
	return 0;
}
#else
#define memsched_count_hugetlb NULL
#endif

static const struct mm_walk_ops memsched_count_ops = {
	.pmd_entry	= memsched_count_pmd,
	.hugetlb_entry	= memsched_count_hugetlb,
	.walk_lock	= PGWALK_RDLOCK,
};

/* Add the resident pages of @mm's ranges that follow @group to @pages. */
static void memsched_count_group_mm(struct memsched_group *group,
				    struct mm_struct *mm, unsigned long *pages)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	for_each_vma(vmi, vma) {
		if (vma->vm_policy && vma->vm_policy->msgroup == group)
			walk_page_vma(vma, &memsched_count_ops, pages);
	}
	mmap_read_unlock(mm);
}

/**
 * memsched_group_pages - count the memory a group holds
 * @group: the group, referenced by the caller.
 *
 * Walks the page tables of every range bound to @group, so the cost is
 * proportional to the group's resident memory (an implicit group holds its
 * process's resident memory, read from the RSS counters): the group
 * balancer calls it only for a group it considers moving, and at most
 * every few seconds.
 * May sleep.
 *
 * Return: resident pages of the group's ranges, on any node.
 */
unsigned long memsched_group_pages(struct memsched_group *group)
{
	unsigned long *pages, total = 0;
	struct mm_struct **mms = NULL;
	struct memsched_mm *link;
	int i, n = 0, max, nid;

	pages = kcalloc(MAX_NUMNODES, sizeof(*pages), GFP_KERNEL);
	spin_lock(&group->lock);
	max = group->nr_mms;
	spin_unlock(&group->lock);
	if (pages && max)
		mms = kcalloc(max, sizeof(*mms), GFP_KERNEL);
	if (!mms)
		goto out;
	/* One pass over the links: the live address spaces, grabbed. */
	spin_lock(&group->lock);
	list_for_each_entry(link, &group->mms, node) {
		if (n == max)
			break;
		if (!atomic_read(&link->mm->mm_users))
			continue;
		mmgrab(link->mm);
		mms[n++] = link->mm;
	}
	spin_unlock(&group->lock);
	for (i = 0; i < n; i++) {
		struct mm_struct *mm = mms[i];

		if (group->implicit) {
			/* The whole process's memory follows its threads. */
			total += get_mm_rss(mm);
		} else if (mmget_not_zero(mm)) {
			memsched_count_group_mm(group, mm, pages);
			mmput(mm);
		}
		mmdrop(mm);
	}
	for_each_node(nid)
		total += pages[nid];
out:
	kfree(mms);
	kfree(pages);
	return total;
}

static void memsched_show_pages(struct seq_file *m, const unsigned long *pages)
{
	int nid;

	for_each_online_node(nid)
		seq_printf(m, " N%d=%lu", nid, pages[nid]);
}

static void memsched_show_threads(struct seq_file *m, struct pid_namespace *ns,
				  struct task_struct *task,
				  struct xarray *groups)
{
	struct memsched_proc_group *pg;
	struct memsched_group *group;
	struct task_struct *t;

	/*
	 * A group read here is only RCU-protected: the thread may be
	 * leaving it (ms_tbind(), exit) and dropping its last reference.
	 * Its id is immutable and the memory stays until a grace period
	 * ends, so it may be printed; anything used after the unlock is
	 * held through memsched_proc_group()'s reference.
	 */
	rcu_read_lock();
	for_each_thread(task, t) {
		group = rcu_dereference(t->memsched_group);
		if (!group)
			continue;
		pg = memsched_proc_group(groups, group);
		if (!pg)
			continue;	/* being released: the thread left it */
		pg->threads++;
		seq_printf(m, "thread %d group %d cpu %d node %d\n",
			   task_pid_nr_ns(t, ns), group->id, task_cpu(t),
			   cpu_to_node(task_cpu(t)));
	}
	rcu_read_unlock();
}

static void memsched_show_ranges(struct seq_file *m, struct mm_struct *mm,
				 struct xarray *groups)
{
	VMA_ITERATOR(vmi, mm, 0);
	struct memsched_proc_group *pg;
	struct memsched_group *group;
	struct vm_area_struct *vma;
	unsigned long *pages;
	int nid;

	pages = kcalloc(MAX_NUMNODES, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return;
	mmap_read_lock(mm);
	for_each_vma(vmi, vma) {
		group = vma->vm_policy ? vma->vm_policy->msgroup : NULL;
		if (!group)
			continue;
		memset(pages, 0, MAX_NUMNODES * sizeof(*pages));
		walk_page_vma(vma, &memsched_count_ops, pages);
		seq_printf(m, "range %lx-%lx group %d", vma->vm_start,
			   vma->vm_end, group->id);
		memsched_show_pages(m, pages);
		seq_putc(m, '\n');
		pg = memsched_proc_group(groups, group);
		if (!pg)
			continue;
		pg->ranges++;
		for_each_online_node(nid)
			pg->pages[nid] += pages[nid];
	}
	mmap_read_unlock(mm);
	kfree(pages);
}

/*
 * @group's runtime at home and away: what left members folded in, plus
 * what the members' ticks counted since (memsched_task_tick() counts per
 * task, so the tick writes no shared cache line).  O(members); under the
 * group lock.
 */
static void memsched_group_ns(struct memsched_group *group, u64 *home,
			      u64 *away)
{
	struct task_struct *t;

	lockdep_assert_held(&group->lock);
	*home = atomic64_read(&group->ns_home);
	*away = atomic64_read(&group->ns_away);
	list_for_each_entry(t, &group->tasks, memsched_node) {
		*home += atomic64_read(&t->memsched_ns_home);
		*away += atomic64_read(&t->memsched_ns_away);
	}
}

int proc_pid_memsched(struct seq_file *m, struct pid_namespace *ns,
		      struct pid *pid, struct task_struct *task)
{
	struct memsched_proc_group *pg;
	u64 ns_home, ns_away;
	struct mm_struct *mm;
	struct xarray groups;
	unsigned long id;

	xa_init(&groups);
	mm = mm_access(task, PTRACE_MODE_READ_FSCREDS);
	if (IS_ERR(mm))
		return PTR_ERR(mm);

	memsched_show_threads(m, ns, task, &groups);
	if (mm)
		memsched_show_ranges(m, mm, &groups);
	xa_for_each(&groups, id, pg) {
		struct memsched_group *group = pg->group;

		seq_printf(m, "group %d home %d threads %u ranges %u pages",
			   group->id, READ_ONCE(group->home_nid),
			   pg->threads, pg->ranges);
		memsched_show_pages(m, pg->pages);
		spin_lock(&group->lock);
		memsched_group_ns(group, &ns_home, &ns_away);
		seq_printf(m, " ns_home %llu ns_away %llu moves %u reason %s%s mms %u\n",
			   ns_home, ns_away, group->home_moves,
			   group->move_reason,
			   group->implicit ? " implicit" : "", group->nr_mms);
		spin_unlock(&group->lock);
		memsched_group_put(pg->group);
		kfree(pg);
	}
	xa_destroy(&groups);
	if (mm) {
		knumad_show(m, ns, mm);
		mmput(mm);
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* /sys/kernel/mm/memsched/ */

static ssize_t memsched_uint_store(const char *buf, size_t count,
				   unsigned int *val, unsigned int min,
				   unsigned int max)
{
	unsigned int v;
	int err;

	err = kstrtouint(buf, 10, &v);
	if (err || v < min || v > max)
		return -EINVAL;
	WRITE_ONCE(*val, v);
	return count;
}

static ssize_t max_groups_per_user_show(struct kobject *kobj,
					struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(memsched_max_groups_per_user));
}

static ssize_t max_groups_per_user_store(struct kobject *kobj,
					 struct kobj_attribute *attr,
					 const char *buf, size_t count)
{
	return memsched_uint_store(buf, count, &memsched_max_groups_per_user,
				   1, INT_MAX);
}

static struct kobj_attribute max_groups_per_user_attr =
	__ATTR_RW(max_groups_per_user);

static ssize_t move_interval_ms_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(memsched_move_interval_ms));
}

static ssize_t move_interval_ms_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	return memsched_uint_store(buf, count, &memsched_move_interval_ms,
				   0, 60000);
}

static struct kobj_attribute move_interval_ms_attr =
	__ATTR_RW(move_interval_ms);

static struct attribute *memsched_attrs[] = {
	&max_groups_per_user_attr.attr,
	&move_interval_ms_attr.attr,
	NULL,
};

static const struct attribute_group memsched_attr_group = {
	.name = "memsched",
	.attrs = memsched_attrs,
};

static int __init memsched_init(void)
{
	int err = sysfs_create_group(mm_kobj, &memsched_attr_group);

	if (err)
		pr_err("cannot create sysfs files: %d\n", err);
	return 0;
}
subsys_initcall(memsched_init);

#include "tests/memsched-kunit.h"
