/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM memsched

#if !defined(_TRACE_MEMSCHED_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_MEMSCHED_H

#include <linux/sched.h>
#include <linux/mm_types.h>
#include <linux/tracepoint.h>

/* A thread running away from its group's home is moved back. */
TRACE_EVENT(memsched_pull_home,
	    TP_PROTO(struct task_struct *p, int from_cpu, int to_cpu),
	    TP_ARGS(p, from_cpu, to_cpu),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(int, from_cpu)
			     __field(int, to_cpu)),
	    TP_fast_assign(__entry->pid = p->pid;
			   __entry->from_cpu = from_cpu;
			   __entry->to_cpu = to_cpu;),
	    TP_printk("pid=%d from_cpu=%d to_cpu=%d",
		      __entry->pid, __entry->from_cpu, __entry->to_cpu)
);

/* The balancer moves a group's home node. */
TRACE_EVENT(memsched_group_move,
	    TP_PROTO(int id, int from_nid, int to_nid, unsigned int threads,
		     unsigned long pages, const char *reason),
	    TP_ARGS(id, from_nid, to_nid, threads, pages, reason),
	    TP_STRUCT__entry(__field(int, id)
			     __field(int, from_nid)
			     __field(int, to_nid)
			     __field(unsigned int, threads)
			     __field(unsigned long, pages)
			     __string(reason, reason)),
	    TP_fast_assign(__entry->id = id;
			   __entry->from_nid = from_nid;
			   __entry->to_nid = to_nid;
			   __entry->threads = threads;
			   __entry->pages = pages;
			   __assign_str(reason);),
	    TP_printk("group=%d from=%d to=%d threads=%u pages=%lu reason=%s",
		      __entry->id, __entry->from_nid, __entry->to_nid,
		      __entry->threads, __entry->pages, __get_str(reason))
);

/* knumad gave a 2 MiB region of a process a new destination node. */
TRACE_EVENT(knumad_region_target,
	    TP_PROTO(struct mm_struct *mm, unsigned long addr, int from_nid,
		     int to_nid),
	    TP_ARGS(mm, addr, from_nid, to_nid),
	    TP_STRUCT__entry(__field(struct mm_struct *, mm)
			     __field(unsigned long, addr)
			     __field(int, from_nid)
			     __field(int, to_nid)),
	    TP_fast_assign(__entry->mm = mm;
			   __entry->addr = addr;
			   __entry->from_nid = from_nid;
			   __entry->to_nid = to_nid;),
	    TP_printk("mm=%p addr=0x%lx from=%d to=%d", __entry->mm,
		      __entry->addr, __entry->from_nid, __entry->to_nid)
);

/* knumad migrated a batch of a process's folios to @nid. */
TRACE_EVENT(knumad_migrate,
	    TP_PROTO(struct mm_struct *mm, int nid, unsigned int pages,
		     unsigned long thp, unsigned long failed),
	    TP_ARGS(mm, nid, pages, thp, failed),
	    TP_STRUCT__entry(__field(struct mm_struct *, mm)
			     __field(int, nid)
			     __field(unsigned int, pages)
			     __field(unsigned long, thp)
			     __field(unsigned long, failed)),
	    TP_fast_assign(__entry->mm = mm;
			   __entry->nid = nid;
			   __entry->pages = pages;
			   __entry->thp = thp;
			   __entry->failed = failed;),
	    TP_printk("mm=%p nid=%d pages=%u thp=%lu failed=%lu", __entry->mm,
		      __entry->nid, __entry->pages, __entry->thp,
		      __entry->failed)
);

#endif /* _TRACE_MEMSCHED_H */

/* This part must be outside protection */
#include <trace/define_trace.h>
