/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knumad: sampled NUMA placement of anonymous memory by a kernel thread.
 *
 * The hooks the rest of the kernel calls; see mm/knumad.c and
 * Documentation/admin-guide/mm/memsched.rst.
 */
#ifndef _LINUX_KNUMAD_H
#define _LINUX_KNUMAD_H

#include <linux/jiffies.h>
#include <linux/mm_types.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>

struct folio;
struct pid_namespace;
struct seq_file;
struct task_struct;
struct vm_area_struct;

#ifdef CONFIG_KNUMAD

void knumad_task_fork(struct task_struct *p);
void knumad_task_tick(struct task_struct *curr);
void knumad_exit(struct mm_struct *mm);
bool knumad_hint_fault(struct vm_area_struct *vma, unsigned long addr,
		       struct folio *folio, bool pmd);
void knumad_hint_raced(struct vm_area_struct *vma, unsigned long addr,
		       pte_t pte);
bool knumad_scans(struct mm_struct *mm);
void knumad_show(struct seq_file *m, struct pid_namespace *ns,
		 struct mm_struct *mm);
void knumad_opt_out(struct mm_struct *mm);

static inline void knumad_mm_init(struct mm_struct *mm)
{
	/* dup_mm() copied the parent's pointer. */
	mm->knumad = NULL;
}

/*
 * Where knumad keeps @p, a thread in no memsched group: the node it found
 * most of the thread's memory on, until that lapses or the thread execs
 * (knumad_thread_pref() in mm/knumad.c).  NUMA_NO_NODE if none.  Any
 * context: racy reads, the mm pointers only compared.
 */
static inline int knumad_task_pref(struct task_struct *p)
{
	int nid = READ_ONCE(p->knumad_pref_nid);

	if (nid != NUMA_NO_NODE &&
	    time_before(jiffies, READ_ONCE(p->knumad_pref_until)) &&
	    READ_ONCE(p->knumad_pref_mm) == READ_ONCE(p->mm))
		return nid;
	return NUMA_NO_NODE;
}

#else /* !CONFIG_KNUMAD */

static inline void knumad_mm_init(struct mm_struct *mm) { }
static inline void knumad_task_fork(struct task_struct *p) { }
static inline void knumad_task_tick(struct task_struct *curr) { }
static inline void knumad_exit(struct mm_struct *mm) { }
static inline bool knumad_hint_fault(struct vm_area_struct *vma,
				     unsigned long addr, struct folio *folio,
				     bool pmd)
{
	return false;
}

static inline void knumad_hint_raced(struct vm_area_struct *vma,
				     unsigned long addr, pte_t pte) { }

static inline bool knumad_scans(struct mm_struct *mm)
{
	return false;
}

static inline void knumad_show(struct seq_file *m, struct pid_namespace *ns,
			       struct mm_struct *mm) { }
static inline void knumad_opt_out(struct mm_struct *mm) { }

static inline int knumad_task_pref(struct task_struct *p)
{
	return NUMA_NO_NODE;
}

#endif /* CONFIG_KNUMAD */

/*
 * Task-context NUMA scanning (kernel.numa_balancing) stands aside for a
 * process that opted out with PR_SET_NUMA_BALANCING_DISABLE and for one
 * that knumad is scanning: the two never arm the same process.
 */
static inline bool knumad_task_scan_skip(struct mm_struct *mm)
{
	return test_bit(MMF_NUMA_BALANCING_DISABLE, &mm->flags) ||
	       knumad_scans(mm);
}

#endif /* _LINUX_KNUMAD_H */
