/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memsched: groups of threads and memory kept together on one NUMA node.
 *
 * The internal interface between mm/memsched.c, the memory policy code,
 * fork/exit and procfs.  See Documentation/vm/memsched.rst.
 */
#ifndef _LINUX_MEMSCHED_H
#define _LINUX_MEMSCHED_H

#include <linux/mempolicy.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/uidgid.h>
#include <linux/nodemask.h>
#include <linux/atomic.h>
#include <uapi/linux/memsched.h>

struct mm_struct;
struct seq_file;
struct pid_namespace;
struct pid;
struct task_struct;

#ifdef CONFIG_MEMSCHED

/**
 * struct memsched_group - threads and address ranges kept on one node
 * @id:		user-visible id, > 0; immutable, not reused quickly.
 * @owner:	euid of the creator; immutable.
 * @ref:	one per member thread, per memory policy that follows the
 *		group, per pending move and per transient lookup.  The last
 *		put queues @release_work; the group is freed after an RCU
 *		grace period, so task_struct::memsched_group may be read
 *		under rcu_read_lock().
 * @home_nid:	the node the group's threads and memory belong on.
 *		Written under @lock, read locklessly with READ_ONCE().
 * @lock:	protects @tasks, @nr_tasks, @mms, @nr_mms, @moves (and the
 *		entries' fields) and the writes of @nr_moves and @move_due.
 * @tasks:	member threads, linked by task_struct::memsched_node.
 * @nr_tasks:	number of entries on @tasks.
 * @mms:	address spaces that bound ranges to the group
 *		(struct memsched_mm), so a home change can find them; links
 *		of address spaces that are gone are dropped when the next
 *		one is added, so at most one per live address space.
 * @nr_mms:	entries on @mms.
 * @moves:	pending background moves (struct memsched_move).
 * @nr_moves:	entries on @moves; written under @lock, read locklessly
 *		by the tick (memsched_task_tick()).
 * @move_due:	jiffies before which no step of a move is due: a hint
 *		for the tick, written by each step.
 * @move_work:	the rate-limited background mover, for moves no member
 *		thread takes steps of.
 * @release_work: frees the group once @ref drops to zero.
 * @rcu:	deferred free.
 * @allowed:	the creator's cpuset mems when the group was created.
 *		Immutable; the balancer uses it only for a group with no
 *		member thread and no bound process left; otherwise the
 *		members' (or the processes') current cpusets decide
 *		(memsched_group_mems()).
 * @ns_home:	runtime of former member threads on the home node, in ns;
 *		current members keep their own count until they leave
 *		(task_struct::memsched_ns_home).
 * @ns_away:	the same, elsewhere.
 * @home_moves:	how often the home changed.  Under @lock.
 * @home_since:	jiffies of the last home change.  Under @lock.
 * @move_reason: why the home last changed (a static string).  Under @lock.
 * @implicit:	made by knumad for a process that fits one node, not by
 *		ms_tbind(); cannot be joined by id.  Immutable.
 * @dissolved:	an implicit group its process left; nobody joins it any
 *		more.  Under @lock.
 * @nr_expected: threads knumad sent to an implicit group when it made
 *		it; they count as at home until as many joined (they join
 *		from task work), for a while at most.  knumad thread only.
 * @pages_held:	resident pages of the ranges bound to the group (of the
 *		process, for an implicit group), on any node, as the group
 *		balancer last counted them.  Balancer only.
 * @pages_counted: jiffies of that count.  Balancer only.
 */
struct memsched_group {
	int id;
	kuid_t owner;
	refcount_t ref;
	int home_nid;
	spinlock_t lock;		/* see @lock above */
	struct list_head tasks;
	unsigned int nr_tasks;
	struct list_head mms;
	unsigned int nr_mms;
	struct list_head moves;
	unsigned int nr_moves;
	unsigned long move_due;
	struct delayed_work move_work;
	struct work_struct release_work;
	struct rcu_head rcu;
	nodemask_t allowed;
	atomic64_t ns_home;
	atomic64_t ns_away;
	unsigned int home_moves;
	unsigned long home_since;
	const char *move_reason;
	bool implicit;
	bool dissolved;
	unsigned int nr_expected;
	unsigned long pages_held;
	unsigned long pages_counted;
};

void memsched_fork(struct task_struct *p);
void memsched_post_fork(struct task_struct *p);
void memsched_exit(struct task_struct *tsk);

void memsched_group_get(struct memsched_group *group);
void memsched_group_put(struct memsched_group *group);
struct memsched_group *memsched_group_next(unsigned long *id);
void memsched_group_set_home(struct memsched_group *group, int nid,
			     const char *reason);
unsigned long memsched_group_pages(struct memsched_group *group);
void memsched_group_mems(struct memsched_group *group, nodemask_t *mems);
struct memsched_group *memsched_group_create_implicit(struct mm_struct *mm,
						      int nid,
						      const nodemask_t *allowed);
void memsched_join_implicit(struct memsched_group *group);
void memsched_group_dissolve(struct memsched_group *group);

struct folio *memsched_alloc_dst(struct folio *src, unsigned long nid);
bool memsched_node_has_room(int nid, unsigned long nr);
bool memsched_may_move_all(struct memsched_group *group,
			   struct vm_area_struct *vma);

void memsched_move_owner_step(void);

/* kernel/sched/numa.c */
void memsched_sched_fork(struct task_struct *p);
void memsched_balance_kick(void);
unsigned long memsched_cpu_runnable(int cpu);
unsigned long memsched_task_runnable(struct task_struct *p);

int proc_pid_memsched(struct seq_file *m, struct pid_namespace *ns,
		      struct pid *pid, struct task_struct *task);

/* A memory policy that follows a group's home node. */
static inline void memsched_mpol_init(struct mempolicy *pol)
{
	pol->msgroup = NULL;
}

static inline void memsched_mpol_set_group(struct mempolicy *pol,
					   struct memsched_group *group)
{
	if (group)
		memsched_group_get(group);
	pol->msgroup = group;
}

/* @pol was copied by value: the copy holds a reference of its own. */
static inline void memsched_mpol_dup(struct mempolicy *pol)
{
	if (pol->msgroup)
		memsched_group_get(pol->msgroup);
}

static inline void memsched_mpol_free(struct mempolicy *pol)
{
	if (pol->msgroup)
		memsched_group_put(pol->msgroup);
}

static inline bool memsched_mpol_equal(const struct mempolicy *a,
				       const struct mempolicy *b)
{
	return a->msgroup == b->msgroup;
}

/* The node a preferred policy allocates on: the group's home, if any. */
static inline int memsched_mpol_node(const struct mempolicy *pol, int nid)
{
	return pol->msgroup ? READ_ONCE(pol->msgroup->home_nid) : nid;
}

int memsched_range_check(struct mm_struct *mm, unsigned long start,
			 unsigned long end);
int memsched_mbind_check(struct mm_struct *mm, unsigned long start,
			 unsigned long end, struct memsched_group *group);

#else /* !CONFIG_MEMSCHED */

static inline void memsched_fork(struct task_struct *p) { }
static inline void memsched_post_fork(struct task_struct *p) { }
static inline void memsched_exit(struct task_struct *tsk) { }
static inline void memsched_mpol_init(struct mempolicy *pol) { }
static inline void memsched_mpol_set_group(struct mempolicy *pol,
					   struct memsched_group *group) { }
static inline void memsched_mpol_dup(struct mempolicy *pol) { }
static inline void memsched_mpol_free(struct mempolicy *pol) { }
static inline bool memsched_mpol_equal(const struct mempolicy *a,
				       const struct mempolicy *b)
{
	return true;
}

static inline int memsched_mpol_node(const struct mempolicy *pol, int nid)
{
	return nid;
}

static inline int memsched_mbind_check(struct mm_struct *mm,
				       unsigned long start, unsigned long end,
				       struct memsched_group *group)
{
	return 0;
}

#endif /* CONFIG_MEMSCHED */
#endif /* _LINUX_MEMSCHED_H */
