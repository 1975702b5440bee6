// SPDX-License-Identifier: GPL-2.0
/*
 * knumad: sampled NUMA placement of anonymous memory by a kernel thread.
 *
 * Every scan_sleep_millisecs the knumad thread arms NUMA hinting faults
 * (change_prot_numa()) on at most pages_to_scan pages, taken round-robin
 * from the registered processes.  It does not arm every page: in each
 * 2 MiB region of an eligible VMA with memory present it arms one chunk of
 * KNUMAD_SAMPLE_PAGES pages (a different chunk every 8 passes over the
 * process), or the whole huge page if the region is mapped by one.  Empty
 * ranges are skipped a page-table entry at a time (2 MiB to 512 GiB), so
 * the work and the regions kept follow resident memory, not address space.
 *
 * The fault side, knumad_hint_fault(), is called from do_numa_page() and
 * do_huge_pmd_numa_page().  It learns, per region, from which node the
 * region is used (decayed per-node sample counts) and whether its pages
 * are shared across nodes (the folio's last cpupid names a thread on
 * another node: the two-fault filter of mainline balancing, kept per
 * region).  When a region has a clear user node, the faulting folio is
 * queued for that node and the region is marked for a bulk move; the
 * fault itself migrates nothing.  Regions bound to a memsched group have
 * the group's home node as their destination, whoever touches them.
 *
 * The faulting thread migrates the queued folios and then the rest of
 * each marked region in batches, in task work on its way back to user
 * space (knumad_task_move()) - unless the fault was on a huge page mapped
 * by a PMD, which it leaves to the ticks; while work is pending, so does
 * a thread of the process after its scheduler tick, one a jiffy
 * (knumad_task_tick()):
 * at its own priority, on its own CPU time and cgroup, several threads
 * of a process at once, at most KNUMAD_TASK_MOVE_PAGES per return.  The
 * knumad thread, woken for what they leave, moves it once they stop
 * making progress (KNUMAD_TASK_GRACE): work of a process whose threads
 * do not run, work of a thread that could not take mmap_lock or never
 * returns to user space, or that the thread's cpuset keeps it from.  A
 * region's move is claimed by one mover.  All draw from one token bucket
 * filled at migrate_rate_limit_mbps.  So a few faults per region are
 * enough to move all of it, instead of one fault per page.
 *
 * Registration follows khugepaged: a slot (struct knumad_mm) per address
 * space, made lazily (knumad_task_tick(): the process's first tick while
 * knumad is enabled), hanging off mm_struct::knumad, holding an mmgrab()
 * reference, and freed at exit - or by the scanner, if it is scanning
 * the slot when the process exits.
 *
 * A process that fits one node (its active threads and its memory) gets
 * an implicit memsched group whose home node its threads prefer; see
 * knumad_implicit_update().  Per-thread fault counts decide who is active.
 *
 * Lock order:
 *	mmap_lock (read)
 *	  page table lock (the fault path)
 *	    knumad_mm::lock		(regions' counters, the queue, the
 *					 thread counts, the implicit group)
 *	      xa_lock of knumad_mm::threads, of knumad_mm::regions
 *	knumad_mm_lock			(the slot list; never while
 *					 sleeping)
 *	  knumad_pending_lock		(the pending list; also inside
 *					 knumad_mm::lock, innermost)
 *	knumad_tokens_lock		(the rate limit's bucket; taken
 *					 alone)
 *	knumad_kept_lock		(knumad_kept_nr; taken with no
 *					 knumad lock held, under mmap_lock
 *					 at an opt-out)
 * Implicit groups are created and dissolved with no lock of ours held and
 * without mmap_lock (memsched_mutex, task locks and group locks nest
 * inside nothing of knumad's).
 *
 * See Documentation/admin-guide/mm/memsched.rst for the interface and
 * Documentation/vm/memsched.rst for the design.
 */

#define pr_fmt(fmt) "knumad: " fmt

#include <linux/mm.h>
#include <linux/mm_inline.h>
#include <linux/percpu_counter.h>
#include <linux/knumad.h>
#include <linux/memsched.h>
#include <linux/mempolicy.h>
#include <linux/memcontrol.h>
#include <linux/migrate.h>
#include <linux/pagewalk.h>
#include <linux/kthread.h>
#include <linux/pid_namespace.h>
#include <linux/task_work.h>
#include <linux/freezer.h>
#include <linux/irq_work.h>
#include <linux/sched/mm.h>
#include <linux/sched/cputime.h>
#include <linux/cpuset.h>
#include <linux/xarray.h>
#include <linux/seq_file.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/vmstat.h>
#include <linux/math64.h>
#include <linux/sizes.h>
#include <asm/tlb.h>

#include <trace/events/memsched.h>

#include "internal.h"

/* Pages armed per 2 MiB region and pass, the same ones for a few passes. */
#define KNUMAD_SAMPLE_PAGES	16
#define KNUMAD_ROTATE_PASSES	8
#define KNUMAD_REGION_SHIFT	PMD_SHIFT
#define KNUMAD_REGION_SIZE	PMD_SIZE
/* Samples a region needs before it has a destination. */
#define KNUMAD_MIN_SAMPLES	2
/* Halve a region's counts when they sum to this: recent samples weigh. */
#define KNUMAD_DECAY_AT		64
/* Folios a process may have queued between two passes. */
#define KNUMAD_QUEUE_LEN	64
/*
 * What a thread moves in one task work, on its way back to user space
 * after a fault that left migration work or a tick that found some
 * pending (knumad_task_tick()): 2 MiB (a region of base pages,
 * or a PMD-sized huge page where that is 2 MiB: larger ones are left to
 * the knumad thread), walking at most KNUMAD_TASK_MOVE_REGIONS regions.
 */
#define KNUMAD_TASK_MOVE_PAGES	(SZ_2M >> PAGE_SHIFT)
#define KNUMAD_TASK_MOVE_REGIONS	4
/*
 * While threads of a process move for it, and this long after one last
 * moved something, the knumad thread neither moves for the process nor
 * scans it: the threads move in parallel, each on its own CPU time; new
 * samples would tell nothing yet, and the scan would take CPU from the
 * moves.  Moving alongside them cost more than it gave: the thread spent
 * 56 s of CPU on 64 MiB in one run.
 */
#define KNUMAD_TASK_GRACE	(HZ / 10)
/*
 * What the knumad thread takes of the rate limit for one visit to a
 * process: 32 MiB (or one PMD-sized page), then it goes on with the
 * next.  The whole bucket (a second's worth, 4 GiB at the kselftests'
 * rate) left none for the threads' steps while it walked, and one
 * process for everyone.
 */
#define KNUMAD_THREAD_MOVE_PAGES \
	(max_t(unsigned long, SZ_32M, PMD_SIZE) >> PAGE_SHIFT)
/* An armed sample nobody touched is re-armed elsewhere after so many passes. */
#define KNUMAD_REARM_PASSES	8
/*
 * A region whose samples were local and at its destination this many
 * times in a row waits up to 2^KNUMAD_MAX_SETTLED scan periods between
 * samples, not one: memory where it belongs needs a sample only to see
 * that change.  A process that backs off (KNUMAD_MAX_BACKOFF) spaces its
 * passes out as far, so no region goes unsampled for more than
 * 2^KNUMAD_MAX_SETTLED scan periods (8 s at the default
 * scan_sleep_millisecs) - unless the process sleeps.
 */
#define KNUMAD_MAX_SETTLED	3
/* After the n-th change of destination, wait 2^n seconds (up to 64 s). */
#define KNUMAD_MAX_FLIP_SHIFT	6
/* knumad_region::strands saturates here (3 bits): 1 + log2(64 s) */
#define KNUMAD_MAX_STRANDS	7
/*
 * A pass over a process whose samples were all local (no remote fault,
 * so no folio queued and no destination changed) and whose groups did
 * not change doubles the passes it then sits out, up to
 * 2^KNUMAD_MAX_BACKOFF - 1 (7 s at the default scan_sleep_millisecs): an
 * idle or settled process costs an eighth of a busy one, and a remote
 * fault brings it back to every pass at once.  The samples it has armed
 * stay armed meanwhile.
 */
#define KNUMAD_MAX_BACKOFF	3
/*
 * A process that took no tick since its last visit sits passes out, but
 * is visited once in this many anyway: a thread on a nohz_full CPU runs
 * with its tick stopped (its remote tick is not current's, and tells
 * knumad nothing it may look at).
 */
#define KNUMAD_ASLEEP_PASSES	64
/*
 * When a pass over every process found each of them asleep (or with less
 * anonymous memory than a region), the thread dozes: it sleeps through
 * the next passes until a process that has a region's worth runs
 * (knumad_note_ran() wakes it), but through KNUMAD_QUIET_PASSES - 1 at
 * most, for the processes whose threads run without a tick (nohz_full;
 * see KNUMAD_ASLEEP_PASSES).  A machine where nothing runs costs the
 * thread a wakeup every 8 scan periods, not a wakeup and a visit of
 * every process each period.  Passes slept through count in quiet_scans
 * (not in full_scans), and towards every process's KNUMAD_ASLEEP_PASSES.
 */
#define KNUMAD_QUIET_PASSES	8
/*
 * A process's first completed pass that armed samples is followed by a
 * look at its groups 1/2^KNUMAD_LOOK_SHIFT of a scan period after the
 * pass began (knumad_look()), not a period later: the samples it armed
 * fault within milliseconds of the pass while its threads run, and
 * until the process has its groups the load balancer places its threads
 * wherever the CPUs are free, and moves them - memory that followed a
 * thread there follows it again (numa02 on 2 nodes: one run in three or
 * four took 2.4-3.9 s instead of 1.3).  Once in a process's life (and
 * again before the next pass while a busy thread's verdict is due); the
 * looks wake the thread 2^KNUMAD_LOOK_SHIFT + 1 times a period at most,
 * whatever the number of processes (knumad_look()), and walk no memory -
 * but for the passes out of turn after a placement, which ride on them
 * within a budget of their own (knumad_resample_queue()).
 */
#define KNUMAD_LOOK_SHIFT	2
/*
 * A process with less anonymous memory than a region is not sampled
 * (knumad_mm_small()).
 */
#define KNUMAD_MIN_ANON_PAGES	(KNUMAD_REGION_SIZE >> PAGE_SHIFT)
/*
 * Threads whose faults a process keeps statistics for: 1024 entries of
 * about 200 bytes (2 nodes; 16 more a node), charged to its memcg.
 */
#define KNUMAD_MAX_THREADS	1024
/*
 * Recent faults (each counted twice, see knumad_implicit_node()) a
 * process needs before it gets an implicit group.
 */
#define KNUMAD_IMPLICIT_MIN_FAULTS	32
/*
 * A thread is apart from its memory when more than 1/2^this of its recent
 * samples (halved after every pass, as knumad_thread::faults) were of
 * another node's memory, and at least KNUMAD_APART_MIN of them: not for
 * what every threaded process shares a little of (a thread's stack and
 * TLS, set up by the thread that created it; variables it shares with
 * the main thread), nor on the first few samples of a thread.  A set of
 * threads that share memory took nearly all of its samples on one node
 * by the same measure (knumad_set_node()).
 */
#define KNUMAD_APART_SHIFT		2
#define KNUMAD_APART_MIN		8

/*
 * A thread younger than this that a tick finds on a new node, and whose
 * affinity no longer allows the node it was on, is still a new thread
 * (knumad_few_samples()): its affinity was set (by its creator, or by
 * itself) after it first ran.  glibc's pthread_create() with an affinity
 * attribute sets it after clone(); the new thread's first tick can come
 * on its creator's node, its next on the node it was made for (make
 * test, 2 nodes: 3.4 ms apart, in 1 of 3 traced runs).  Not a move by the
 * load balancer.  (A node whose CPUs all went offline allows nobody: a
 * young thread moved off it counts too.)
 */
#define KNUMAD_YOUNG_NS			(100 * NSEC_PER_MSEC)
/*
 * A process whose recent samples are all but 1/2^this of one node's
 * memory: see knumad_ran_off_mem().
 */
#define KNUMAD_OFF_MEM_SHIFT		3
/*
 * ... and whose resident memory knumad does not sample (shmem, files,
 * hugetlb) is at most 1/2^this of its anonymous memory: see
 * knumad_mostly_sampled().
 */
#define KNUMAD_UNSAMPLED_SHIFT		2
/*
 * The threads knumad sent to a new implicit group count at its home
 * (memsched_group::nr_expected) for this long at most, until they joined.
 */
#define KNUMAD_EXPECT_TICKS		(2 * HZ)
/*
 * A thread with recent faults is active when it ran at least 1/8 of the
 * time over its last window of a second or more (12.5% of a CPU), judged
 * when knumad looks after a pass over the process: a mostly idle thread (a
 * main thread that waits, a pinned housekeeping thread) neither needs a
 * CPU at the home nor keeps the process off a node.  Counting every
 * thread with a fault let a pinned main thread that touched its stack
 * now and then dissolve the group of the threads doing the work; fault
 * counts alone are too few, after decay, to tell the two apart.
 */
#define KNUMAD_ACTIVE_SHIFT		3
#define KNUMAD_ACTIVE_WINDOW_NS		NSEC_PER_SEC
/*
 * A process fits a node when the CPU its active threads need - the sum of
 * their shares of a CPU (knumad_thread::share), in 1/1024ths, each at
 * most 1024 - is at most the node's CPUs plus KNUMAD_FIT_SLACK: two busy
 * threads and a main thread that polls now and then fit two CPUs.  It
 * keeps its group up to KNUMAD_KEEP_SLACK: the hysteresis that keeps a
 * thread near a threshold (a periodic job under a debug kernel) from
 * taking the group away and giving it back by turns.
 */
#define KNUMAD_FIT_SLACK		256
#define KNUMAD_KEEP_SLACK		512
/*
 * The same hysteresis for affinity: a new group's home must be a node
 * every active thread may run on; a group is kept while every thread that
 * used at least a quarter of a CPU (this share, in 1/1024ths) may run
 * there.  A pinned thread near 1/8 of a CPU then cannot take the group of
 * the threads doing the work away and give it back by turns.
 */
#define KNUMAD_KEEP_SHARE		256
/*
 * Two threads share memory when the margin of one's vote for the other
 * (knumad_thread_peer(): at most its visits to regions the other sampled
 * last, and its hinting faults the other's answered) is at least an
 * eighth (1/2^this) of the recent visits of whichever of the two made
 * fewer and at least KNUMAD_PEER_MIN_VOTES (knumad_peer_found()): the
 * threads of one vCPU node of a virtual machine, all writing its RAM.  A
 * split process keeps such threads in one part when they fit a node
 * (knumad_split_assign()): a region two threads on two nodes write is
 * local to neither, whatever knumad does with it.  The minimum is 2, not
 * more: of two threads that sweep one buffer in step, the one behind
 * comes first to a region only where the two drifted, a vote or two a
 * second, and at 4 a pair split by CPU at the first pass was put
 * together 4-6 s later.
 */
#define KNUMAD_PEER_SHIFT		3
#define KNUMAD_PEER_MIN_VOTES		2
/*
 * The vote's window: at this many visits, the visits and the margin are
 * halved.  Visits, not passes: a thread that the knumad thread keeps off
 * its CPU while it arms a region visits few of them (the other thread of
 * the pair takes the samples), and a margin halved every pass would never
 * reach KNUMAD_PEER_MIN_VOTES.
 */
#define KNUMAD_PEER_WINDOW		64
/*
 * For this long after sharers were regrouped, a region's destination
 * decided before it gives way to its part's home: the longest flip
 * backoff, after which any such destination gives way anyway.
 */
#define KNUMAD_REGROUP_GRACE	((unsigned long)HZ << KNUMAD_MAX_FLIP_SHIFT)
/*
 * Regions a process may have: one per 2 MiB with memory present, so this
 * covers 512 GiB of resident memory (about 16 MiB of regions, charged to
 * the process's memcg).  Regions past the bound are not sampled.
 */
#define KNUMAD_MAX_REGIONS	BIT(18)
/*
 * Regions whose samples knumad_scan_vma() arms under one TLB flush: a
 * flush per region cost the knumad thread 80% of its time in flush IPIs
 * (numa02), a flush per VMA held the mm's flush pending for as long as
 * the whole VMA took.
 */
#define KNUMAD_FLUSH_REGIONS	32
/*
 * Empty page-table entries (at any level: a PMD entry skips 2 MiB, a PUD
 * entry 1 GiB, a P4D/PGD entry 512 GiB) the scan skips per page of its
 * pages_to_scan budget.  A page table with no page present costs a page.
 */
#define KNUMAD_HOLE_ENTRIES	64

/**
 * struct knumad_region - what knumad learned about one 2 MiB region
 * @target:	destination node, or NUMA_NO_NODE while undecided.
 * @flips:	how often @target changed from one node to another; at
 *		least KNUMAD_MAX_FLIP_SHIFT once two threads on two nodes
 *		took turns (knumad_region_visit()).
 * @placed:	knumad_mm::placed, its low 16 bits, at the region's last
 *		sample: a destination chosen before the process's placement
 *		changed gives way to the home of the sampling thread's part
 *		(knumad_split_home()), and so does the bulk move it asked for
 *		(knumad_region_stale()).
 * @flip_at:	jiffies when @target last changed, or when turns were
 *		seen: the flip back-off counts from it.
 * @xnode:	decayed samples whose folio was last touched on another node.
 * @known:	decayed samples whose folio had been touched before (a first
 *		touch says nothing about sharing).
 * @nr:		decayed samples in @weight.
 * @last_nid:	node of the region's previous sample: stands in for the
 *		folio's last toucher when the folio has none recorded, so
 *		a region learns within one pass.
 * @last_pid:	the low pid bits (as in a cpupid) of the thread that took
 *		that sample; -1 & LAST__PID_MASK if none (a fault from
 *		another process).  Any fault in the region overwrites it; a
 *		move of that thread (or of @prev_pid's) has a settled
 *		region sampled again (knumad_region_waits()).
 * @last_tid:	that thread's pid (task_struct::pid, as km->threads is
 *		keyed), or 0 for a fault from another process: a bulk move
 *		sampled before a change of placement is not made if the
 *		thread is now in a part at another home than the
 *		destination (knumad_region_stale()).
 * @from_nid:	the node of the thread on another node that the region's
 *		current visit (a thread's samples of it in a pass) took it
 *		over from, or NUMA_NO_NODE; see knumad_region_visit().
 * @armed:	a sample is armed and not touched yet: an idle region keeps
 *		that one sample armed instead of getting a new one each pass.
 * @armed_off:	first page of the armed sample in the region: a sample
 *		nobody touched is re-armed where it is, which changes no
 *		PTE that is still armed (idle memory was armed 16 more
 *		pages a region every 8 passes: 67 PTE updates a second
 *		for make bench's idle workload).
 * @settled:	its last samples in a row that were local and at its
 *		destination, up to KNUMAD_MAX_SETTLED (1 after a mover
 *		took it there, KNUMAD_MAX_SETTLED if it was one huge page:
 *		knumad_region_moved()); its next sample waits up to
 *		2^@settled scan periods (knumad_region_waits()).
 * @prev_pid:	the low pid bits of the thread whose samples preceded
 *		@last_pid's, when another thread's: A in A, B (see
 *		knumad_region_visit()); -1 & LAST__PID_MASK if none.
 * @shared:	a sample came from another thread than the one before it
 *		(or from another process), ever: not one thread's memory
 *		alone (knumad_region_sole()).
 * @strands:	how often knumad_region_stranded() changed @target, up to
 *		KNUMAD_MAX_STRANDS: its next change waits
 *		knumad_flip_wait(@strands) from @flip_at.
 * @armed_period: knumad_scan.periods when the sample was armed, its low
 *		16 bits: a settled region's wait (2^KNUMAD_MAX_SETTLED periods
 *		at most) is counted in them.  A region not armed for 65,536
 *		periods or more may wait up to that long once more.
 * @armed_seq:	knumad_mm::seq when the sample was armed, or the pass a
 *		move settled it in (knumad_pass_seq()).
 * @weight:	decayed samples per node (nr_node_ids entries).
 *
 * Under knumad_mm::lock.
 */
struct knumad_region {
	int target;
	u16 flips;
	u16 placed;
	unsigned long flip_at;
	unsigned int xnode;
	unsigned int known;
	unsigned int nr;
	s16 last_nid;
	s16 from_nid;
	u8 last_pid;
	bool armed:1;
	bool shared:1;
	u8 strands:3;
	u8 settled;
	u8 prev_pid;
	u16 armed_off;
	u16 armed_period;
	unsigned int armed_seq;
	pid_t last_tid;
	unsigned int weight[];
};

/**
 * struct knumad_thread - one thread's recent hinting faults
 * @total:	the sum of @faults.
 * @seen_ns:	when the thread's current activity window began (0: not
 *		looked at yet).
 * @runtime:	the thread's sum_exec_runtime then, ...
 * @waited:	... and the time it had waited on a runqueue (knumad_waited()).
 * @active:	the verdict of its last complete window: it ran at least
 *		1/8 of it (KNUMAD_ACTIVE_SHIFT).
 * @share:	the share of a CPU it would use with a CPU of its own, in
 *		1/1024ths: @ran_share, and @wait_share if the process's own
 *		threads filled @share_nid (knumad_crowded()).
 * @ran_share:	the share of a CPU it ran in that window, ...
 * @wait_share:	... the share it waited on a runqueue for, ...
 * @share_nid:	... the node it was kept on at the window's end
 *		(knumad_share_node()), ...
 * @share_cpus:	... and the CPUs there it may run on.
 * @judged:	it had a complete window: @active means something.
 * @part:	the part (knumad_mm::parts index) a split process assigned
 *		the thread to, or NUMA_NO_NODE.
 * @placed_nid:	the home of that part at the last census, or NUMA_NO_NODE:
 *		a thread whose part's home changed changes the process's
 *		placement (knumad_placed()).
 * @join_queued: a join (knumad_join_fn()) is queued on the thread.
 * @peer:	low pid bits of the other thread whose memory its samples
 *		met most (a majority vote), ...
 * @peer_votes:	... and the vote's margin, ...
 * @visits:	... out of its visits (first samples of a region in a
 *		pass, and hinting faults it lost to another thread's),
 *		both halved at KNUMAD_PEER_WINDOW visits; see
 *		knumad_peer_found() for when @peer counts.
 * @mem_nid:	scratch for knumad_split_assign(): where most of the memory
 *		it touches is, ...
 * @cpu_nid:	... and where it runs, among the nodes with room.
 * @task:	scratch for knumad_split_assign(): the thread's task, or
 *		NULL if it is gone, ...
 * @at_nid:	... and the home of the part it kept (NUMA_NO_NODE: none),
 *		read once: the group balancer may move a home meanwhile.
 * @root:	scratch for knumad_split_sets(): the thread's set of active
 *		threads that share memory (union-find), ...
 * @set_next:	... the next member of the set (a list from the root); for
 *		a root, ...
 * @set_share:	... the CPU share of the set's threads, ...
 * @set_size:	... their number, ...
 * @set_nid:	... the home of the part its members are in (of the first
 *		member seen if they are in two; NUMA_NO_NODE: none), ...
 * @set_split:	... and whether they are in two parts or more.
 * @away:	it took a sample off the node knumad keeps it on, or a
 *		census found it off it without samples, since it was last
 *		seen there or not kept where it could be brought back
 *		(knumad_away_sample()): the first at @away_at (jiffies).
 * @away_at:	see @away.
 * @faults:	per node of the faulting CPU (nr_node_ids entries), then
 *		per node of the faulting folio (nr_node_ids more), halved
 *		after every pass over the process; the entry goes when they
 *		are all 0 and the thread was judged idle, or when the thread
 *		is gone.
 *
 * In knumad_mm::threads, under knumad_mm::lock.
 */
struct knumad_thread {
	unsigned long total;
	u64 seen_ns;
	u64 runtime;
	u64 waited;
	bool active;
	bool judged;
	unsigned int share;
	unsigned int ran_share;
	unsigned int wait_share;
	int share_nid;
	unsigned int share_cpus;
	int part;
	s16 placed_nid;
	bool join_queued;
	u8 peer;
	u8 peer_votes;
	u8 visits;
	int mem_nid;
	int cpu_nid;
	struct task_struct *task;
	int at_nid;
	struct knumad_thread *root;
	struct knumad_thread *set_next;
	unsigned long set_share;
	unsigned int set_size;
	int set_nid;
	bool set_split;
	bool away;
	unsigned long away_at;
	unsigned long faults[];
};

/*
 * What knumad_active_threads() finds out about a process's active
 * threads besides their number: the CPU they need (in 1/1024ths), the
 * cpuset mems of one of them, the nodes they ran on (most of their
 * samples' nodes: @ran) and run on now (@now), whether one of them is
 * apart from its memory (knumad_thread_apart()),
 * whether a busy thread has no entry yet (@unseen), and whether a thread
 * without a verdict yet looks busy - and when (@verdict_ns, ktime) the
 * last such thread will have one - and whether an active thread runs on
 * another node than the one most of its samples came from (@moved), and
 * whether one shares memory with another thread (knumad_has_peer():
 * @shared), and the nodes that one of them that ran elsewhere has not
 * more than half of its own samples on (knumad_thread_spurns():
 * @spurned).
 */
struct knumad_census {
	unsigned int demand;
	nodemask_t mems;
	nodemask_t ran;
	nodemask_t now;
	nodemask_t spurned;
	bool apart;
	bool shared;
	bool unseen;
	bool unsure;
	bool moved;
	u64 verdict_ns;
};

struct knumad_queued {
	struct folio *folio;	/* holds a reference */
	unsigned long addr;
	int nid;
};

/**
 * struct knumad_mm - knumad's per-process state
 * @node:	on knumad_scan.mms, under knumad_mm_lock.
 * @mm:	the address space, pinned by mmgrab().
 * @exited:	the process exited while the thread held the slot.
 * @pending:	folios are queued or regions marked: migration work waits.
 *		Under @lock; set with knumad_set_pending().  It stays set
 *		while movers work; each mover, at its end, clears it under
 *		@lock if it finds no work left (knumad_migrate()).
 * @pending_node: on knumad_scan.pending while @pending, except while a
 *		migration pass has taken it off to work on it (the pass
 *		puts it back, or knumad_migrate() does), under
 *		knumad_pending_lock.
 * @lock:	protects @regions' contents, @queue, @nr_queued, @faults.
 * @regions:	struct knumad_region by address >> KNUMAD_REGION_SHIFT;
 *		entries are made by the scanner where memory is present,
 *		and freed by it where none is (any more) or with the slot.
 *		XA_MARK_0 marks a region waiting for a bulk move.
 *		Entries are freed under @lock, which faults hold to use one.
 * @nr_regions:	entries in @regions, at most KNUMAD_MAX_REGIONS.
 * @seq:	completed passes over this address space.
 * @placed:	changes of the process's placement: its implicit group
 *		made or dropped, its parts made or dropped, a thread's part
 *		at another home than at the last census (knumad_placed()).
 *		Under @lock.
 * @scan_addr:	where the next pass continues.
 * @queue:	folios the faults asked to be moved.
 * @nr_queued:	entries in @queue.
 * @scanned:	pages armed.  The counters below are only written by the
 *		thread (or under @lock), and read without locking.
 * @scanned_early: ... by passes out of turn (knumad_resample()).
 * @hint_faults: hinting faults taken.
 * @hint_faults_local: ... on a folio on the faulting CPU's node.
 * @pages_migrated: base pages moved (a huge page counts HPAGE_PMD_NR).
 * @thp_migrated: huge pages moved whole.
 * @migrate_failed: pages that could not be moved.
 * @scan_ns:	CPU time the knumad thread spent scanning this process.
 * @migrate_ns:	CPU time the knumad thread spent moving its memory.
 * @task_migrate_ns: CPU time the process's own threads spent moving its
 *		memory, in task work.  Under @lock.
 * @task_movers: threads of the process moving for it in task work now.
 * @task_move_at: jiffies when one of them last moved something: the
 *		knumad thread neither moves for nor scans the process while
 *		they move and for KNUMAD_TASK_GRACE after.
 * @tick_step_at: jiffies when a tick last queued a step for a thread of
 *		the process: one a jiffy (knumad_task_tick()).
 * @tick_work_at: jiffies when a fault last left a huge page's move to
 *		the ticks of the process's threads (knumad_hint_fault()):
 *		the knumad thread gives them KNUMAD_TASK_GRACE to start.
 * @update_at:	jiffies when knumad_implicit_update() last looked at the
 *		process; only the thread uses it.
 * @off_nid:	the node knumad_ran_off_mem() named at that look, if it was
 *		the home picked, else NUMA_NO_NODE; only the thread uses it.
 * @faults:	hinting faults per node of the faulting CPU (nr_node_ids
 *		entries), then per node of the faulting folio (nr_node_ids
 *		more), halved after every pass over the process; then
 *		(nr_node_ids more, knumad_kept()) its active threads in no
 *		group that knumad keeps on each node, as its last census
 *		found them and as added into knumad_kept_nr.
 * @threads:	struct knumad_thread by global tid, under @lock.
 * @nr_threads:	entries in @threads.
 * @implicit:	the implicit memsched group that gives the process a home
 *		node (referenced), or NULL.  Set and cleared by the thread,
 *		read by faults under @lock.
 * @parts:	a process whose active threads fit no one node is split:
 *		one implicit group per node it needs (nr_node_ids entries,
 *		referenced, NULL where none), each thread in one of them
 *		(knumad_thread::part).  NULL until the process is first
 *		split.  Entries set and cleared like @implicit; never both.
 * @regrouped:	a set of threads that share memory was put together in
 *		one part (knumad_split_assign()) - from two parts, or from
 *		another node than the part's, where they ran before ...
 * @regroup_at:	... last at this time (jiffies): for KNUMAD_REGROUP_GRACE,
 *		destinations decided before it give way to the part's home
 *		(knumad_split_home()); @regrouped is cleared after it.
 * @explicit:	a thread of the process was seen in a group it chose with
 *		ms_tbind(): the process places itself, no implicit group.
 * @mems:	the cpuset mems of the thread whose fault last queued work;
 *		a bulk move goes nowhere else.  Under @lock.
 * @present:	the nodes its active threads ran on at its last census
 *		(knumad_active_threads()), and those its threads took a
 *		hinting fault on since; valid until jiffies @present_until
 *		(knumad_present()).  Under @lock.
 * @present_until: see @present.
 * @busy:	since its last completed pass, the process had a remote
 *		fault (which may queue a move or change a destination), or
 *		its groups changed.  Under @lock.
 * @backoff:	log2 of the passes it sits out after a pass without
 *		work (KNUMAD_MAX_BACKOFF); only the thread uses it.
 * @skip:	passes it still sits out; only the thread uses it.
 * @early:	its pass under way was brought forward by a thread's change
 *		of node (knumad_settle_again()); only the thread uses it.
 * @hold:	@early, and its regular pass not due yet: settled regions
 *		of threads that did not move wait (knumad_region_waits()).
 *		Set at each visit; only the thread uses it.
 * @regular_at:	jiffies when its last pass not brought forward completed;
 *		the next is due 2^@backoff scan periods later
 *		(knumad_regular_due()).  Only the thread uses it.
 * @ticked:	a thread of the process took a scheduler tick since the
 *		thread's last visit: it ran.  Set by knumad_task_tick(),
 *		cleared by the thread.
 * @asleep:	passes it sat out without a tick; only the thread uses it.
 * @thread_moved: a thread of the process took a tick on another node
 *		than its last (task_struct::knumad_nid).  Set by
 *		knumad_task_tick(), cleared by the thread.
 * @settle_seq:	settled regions last sampled before this pass by a
 *		thread in @settle_pids do not wait (knumad_region_waits()):
 *		that thread changed node after them.  Written by the
 *		thread under @lock.
 * @moved_pids:	the low pid bits (as in a cpupid) of the threads that set
 *		@thread_moved; set by knumad_task_tick(), taken by the
 *		thread with @thread_moved.
 * @few_pids:	the low pid bits of the new threads whose first tick, or
 *		a tick on a node their affinity, set since, confined them
 *		to (KNUMAD_YOUNG_NS), was on a node few of the process's
 *		samples were taken on
 *		(knumad_few_samples()); set with @thread_moved by
 *		knumad_task_tick(), taken with it.
 * @settle_pids: the threads whose settled regions are sampled again from
 *		pass @settle_seq on.  Written by the thread under @lock.
 * @pass_anon:	its anonymous pages when its last pass completed: memory
 *		that appeared since was not sampled.  Only the thread uses
 *		it.
 * @look_node:	on knumad_scan.looks while a look waits
 *		(knumad_look()); under knumad_mm_lock.
 * @looked:	its first look was queued (a look may queue it again:
 *		knumad_look_queue()); only the thread uses it.
 * @look_at:	jiffies when that look is due; only the thread uses it.
 * @resample:	the look waiting arms samples: a pass over the process out
 *		of turn, after its threads were placed anew
 *		(knumad_resample_queue()); only the thread uses it.
 * @resample_seq: @seq when it was asked for: a pass that completed since
 *		makes it moot.  Only the thread uses it.
 * @resample_placed: a placement asked for it (knumad_resample_queue()),
 *		not only a thread's change of node; only the thread uses it.
 * @resample_ask: a thread of the process changed node, or a new thread
 *		ran on a node few of its samples were taken on
 *		(knumad_few_samples()): a pass out of turn is asked for
 *		(knumad_asks()).  Set by knumad_task_tick(), taken by the
 *		thread.
 * @kept_any:	its part of knumad_kept_nr (knumad_kept()) is not all 0;
 *		under knumad_kept_lock.
 */
struct knumad_mm {
	struct list_head node;
	struct mm_struct *mm;
	bool exited;
	bool pending;
	struct list_head pending_node;
	spinlock_t lock;		/* see @lock above */
	struct xarray regions;
	unsigned long nr_regions;
	unsigned int seq;
	unsigned int placed;
	unsigned long scan_addr;
	struct knumad_queued queue[KNUMAD_QUEUE_LEN];
	unsigned int nr_queued;
	unsigned long scanned;
	unsigned long scanned_early;
	unsigned long hint_faults;
	unsigned long hint_faults_local;
	unsigned long pages_migrated;
	unsigned long thp_migrated;
	unsigned long migrate_failed;
	u64 scan_ns;
	u64 migrate_ns;
	u64 task_migrate_ns;
	atomic_t task_movers;
	unsigned long task_move_at;
	unsigned long tick_work_at;
	unsigned long tick_step_at;
	unsigned long update_at;
	int off_nid;
	struct xarray threads;
	unsigned int nr_threads;
	struct memsched_group *implicit;
	struct memsched_group **parts;
	bool regrouped;
	unsigned long regroup_at;
	bool explicit;
	nodemask_t mems;
	nodemask_t present;
	unsigned long present_until;
	bool busy;
	unsigned int backoff;
	unsigned int skip;
	bool early;
	bool hold;
	unsigned long regular_at;
	bool ticked;
	bool thread_moved;
	unsigned int asleep;
	unsigned int settle_seq;
	DECLARE_BITMAP(moved_pids, LAST__PID_MASK + 1);
	DECLARE_BITMAP(few_pids, LAST__PID_MASK + 1);
	DECLARE_BITMAP(settle_pids, LAST__PID_MASK + 1);
	unsigned long pass_anon;
	struct list_head look_node;
	bool looked;
	bool resample;
	bool resample_placed;
	unsigned int resample_seq;
	bool resample_ask;
	unsigned long look_at;
	bool kept_any;
	unsigned long faults[];
};

static DEFINE_SPINLOCK(knumad_mm_lock);
static DEFINE_SPINLOCK(knumad_pending_lock);
/*
 * Per node, the active threads in no group that knumad keeps there
 * (knumad_thread_pref()), over every process: the sum of their
 * knumad_kept() counts, changed under knumad_kept_lock: by the knumad
 * thread, and for a process's own part by its opt-out and its exit.
 * A kept thread counts as a CPU, whatever share of one it uses.
 */
static atomic_long_t knumad_kept_nr[MAX_NUMNODES];
static DEFINE_SPINLOCK(knumad_kept_lock);
/* A census's part lapses this long after it, as the keeps it set do. */
#define KNUMAD_KEPT_TTL() \
	(msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms)) << \
	 (KNUMAD_MAX_BACKOFF + 1))

/* @km's part of knumad_kept_nr: nr_node_ids entries after its faults. */
static unsigned long *knumad_kept(struct knumad_mm *km)
{
	return km->faults + 2 * nr_node_ids;
}

/*
 * Make @km's part of knumad_kept_nr @kept (nr_node_ids entries), or none
 * (NULL): at its census; when it sleeps, gets groups, opts out, or had
 * no census for KNUMAD_KEPT_TTL(); and when it goes.  O(nodes).
 */
static void knumad_kept_set(struct knumad_mm *km, const unsigned long *kept)
{
	unsigned long *own = knumad_kept(km);
	int nid;

	/* nothing to clear: the common case of every pass's sleepers */
	if (!kept && !READ_ONCE(km->kept_any))
		return;
	spin_lock(&knumad_kept_lock);
	WRITE_ONCE(km->kept_any, false);
	for (nid = 0; nid < nr_node_ids; nid++) {
		unsigned long n = kept ? kept[nid] : 0;

		atomic_long_add((long)n - (long)own[nid],
				&knumad_kept_nr[nid]);
		WRITE_ONCE(own[nid], n);
		if (n)
			WRITE_ONCE(km->kept_any, true);
	}
	spin_unlock(&knumad_kept_lock);
}

static struct {
	struct list_head mms;		/* struct knumad_mm, round-robin */
	struct knumad_mm *cursor;	/* where scanning continues */
	struct knumad_mm *busy;		/* the slot a migration pass works on */
	/* slots with migration work, oldest first (knumad_pending_lock) */
	struct list_head pending;
	unsigned long nr_pending;	/* entries in @pending */
	/* the thread's only: passes slept through (KNUMAD_QUIET_PASSES) */
	unsigned int sat_out;
	/*
	 * Scan periods so far: passes, and those slept through; written by
	 * the thread only, read by movers (knumad_region_moved()).
	 */
	unsigned int periods;
	/* slots whose look waits: a first one, or a pass out of turn */
	struct list_head looks;		/* under knumad_mm_lock */
	/*
	 * the thread's only: when the earliest look is, and when the last
	 * pass began - or the last one a doze slept through would have
	 */
	unsigned long look_at;
	unsigned long pass_at;
	/* the thread's only: pages the passes out of turn may still scan */
	long resample_budget;
	/* the thread's only: its next walk for asks (knumad_asks()) */
	unsigned long ask_at;
} knumad_scan = {
	.mms = LIST_HEAD_INIT(knumad_scan.mms),
	.pending = LIST_HEAD_INIT(knumad_scan.pending),
	.looks = LIST_HEAD_INIT(knumad_scan.looks),
};

static struct task_struct *knumad_thread;
static DECLARE_WAIT_QUEUE_HEAD(knumad_wait);
static DEFINE_MUTEX(knumad_knob_mutex);
static struct kmem_cache *knumad_mm_cache;

/* Whether knumad can run at all: more than one node with memory. */
static bool knumad_possible __read_mostly;
static bool knumad_enabled __read_mostly =
	IS_ENABLED(CONFIG_KNUMAD_DEFAULT_ENABLED);
/*
 * Disarm requests (enabled went from 1 to 0) and the last one the thread
 * completed.  Under knumad_knob_mutex for writers of the request.
 */
static unsigned long knumad_disarm_req;
static unsigned long knumad_disarm_done;
static DECLARE_WAIT_QUEUE_HEAD(knumad_disarm_wait);

static unsigned int knumad_scan_sleep_ms __read_mostly = 1000;
static unsigned int knumad_pages_to_scan __read_mostly = 4096;
static unsigned int knumad_rate_limit_mbps __read_mostly = 256;

static atomic_long_t knumad_full_scans;
static atomic_long_t knumad_quiet_scans;
static atomic_long_t knumad_pages_scanned;
static atomic_long_t knumad_hint_faults;
static atomic_long_t knumad_hint_faults_local;
static atomic_long_t knumad_pages_migrated;
static atomic_long_t knumad_thp_migrated;
static atomic_long_t knumad_migrate_failed;

/*
 * knumad_ran: a registered process that has a region's worth of
 * anonymous memory ran - a thread of it took a tick or a hinting fault -
 * since the thread began its last pass, which clears it.  knumad_dozing:
 * the thread sleeps through passes (KNUMAD_QUIET_PASSES); the first such
 * run ends the doze.  Each side writes its flag, then reads the other's,
 * a full barrier between (the tick's first write is knumad_mm::ticked):
 * a process that ran after the pass looked at it either made the pass
 * see it ticked or sees the doze and ends it.  The tick may not wake a
 * task (it holds the runqueue lock): an irq_work does.  Read-mostly:
 * written twice a pass by the thread, once a pass by a tick.  A tick
 * costs a load while the flag is set, and a read of the process's
 * anonymous page count while it is clear.
 */
static bool knumad_ran __read_mostly;
static bool knumad_dozing __read_mostly;

static void knumad_doze_end(struct irq_work *work);
static struct irq_work knumad_doze_work = IRQ_WORK_INIT(knumad_doze_end);

/*
 * knumad_asked: a process has @resample_ask set since the thread's last
 * walk for asks (knumad_asks()), which clears it.  The tick that sets it
 * wakes the thread with an irq_work, as a doze's end does; a tick costs
 * a load while it is set.
 */
static bool knumad_asked;
static struct irq_work knumad_ask_work = IRQ_WORK_INIT(knumad_doze_end);

static void knumad_note_ran(struct mm_struct *mm)
{
	if (READ_ONCE(knumad_ran) ||
	    get_mm_counter(mm, MM_ANONPAGES) < KNUMAD_MIN_ANON_PAGES)
		return;
	WRITE_ONCE(knumad_ran, true);
	smp_mb();	/* knumad_ran before knumad_dozing: see knumad_doze() */
	if (READ_ONCE(knumad_dozing) && cmpxchg(&knumad_dozing, true, false))
		irq_work_queue(&knumad_doze_work);
}

/* knumad=on|off, documented in kernel-parameters.txt */
static int __init knumad_setup(char *str)
{
	if (!str)
		return -EINVAL;
	if (!strcmp(str, "on"))
		knumad_enabled = true;
	else if (!strcmp(str, "off"))
		knumad_enabled = false;
	else
		return -EINVAL;
	return 0;
}
early_param("knumad", knumad_setup);

/* ---------------------------------------------------------------------- */
/* Decisions: pure functions, tested by KUnit */

/*
 * The node that used a region, from its samples: one node with at least
 * three quarters of them, at most a quarter of the samples on folios last
 * touched from another node (pages shared across nodes stay put), and at
 * least KNUMAD_MIN_SAMPLES samples on folios touched before, so a region
 * is judged on second touches, as mainline's two-fault filter does.
 * NUMA_NO_NODE if the region is undecided or contested.
 */
static int knumad_region_user(const unsigned int *weight, int nr_nodes,
			      unsigned int nr, unsigned int known,
			      unsigned int xnode)
{
	int nid;

	if (known < KNUMAD_MIN_SAMPLES || xnode * 4 > nr)
		return NUMA_NO_NODE;
	for (nid = 0; nid < nr_nodes; nid++)
		if (weight[nid] * 4 >= nr * 3)
			return nid;
	return NUMA_NO_NODE;
}

/* Jiffies a destination is kept after its @flips-th change. */
static unsigned long knumad_flip_wait(unsigned int flips)
{
	return (unsigned long)HZ << min(flips, KNUMAD_MAX_FLIP_SHIFT);
}

static void knumad_region_decay(struct knumad_region *r, int nr_nodes)
{
	int i;

	for (i = 0; i < nr_nodes; i++)
		r->weight[i] >>= 1;
	r->nr >>= 1;
	r->xnode >>= 1;
	r->known >>= 1;
}

/*
 * Count one sample taken on @nid at @now of a folio last touched on
 * @last_nid (NUMA_NO_NODE: never), as @n samples, and return the region's
 * destination.  @home is the home node of the process's implicit group,
 * or of the sampling thread's part (knumad_split_home()), or NUMA_NO_NODE.
 *
 * A sample of a huge page that maps the whole region counts as
 * KNUMAD_MIN_SAMPLES (the caller's @n): the region has no other folio to
 * sample, it is armed once a pass and faults once, so at one sample a
 * fault it would need three passes to be decided where a region of base
 * pages needs one (its 16 armed pages fault several times a pass).
 *
 * A decided region keeps its destination while the samples are contested,
 * and changes it at most once per knumad_flip_wait(): 1 s after it was
 * decided, then 2, 4, ... 64 s, so memory used by turns from two nodes
 * moves at most 1 + log2(seconds) times.
 *
 * A process with a home keeps its unshared memory there, whatever the
 * region learned: its threads prefer the home, and a region in its flip
 * back-off would otherwise hold memory away from them for up to a minute,
 * so a change to the home does not wait.  A region whose samples turn
 * shared keeps the destination it has (the home, usually): it does not go
 * back to what it learned, or its memory would move each time the share
 * of cross-node samples crossed the line.
 */
static int knumad_region_sample(struct knumad_region *r, int nr_nodes,
				int nid, int last_nid, int home,
				unsigned int n, unsigned long now)
{
	int user;

	if (r->nr >= KNUMAD_DECAY_AT)
		knumad_region_decay(r, nr_nodes);
	r->weight[nid] += n;
	r->nr += n;
	if (last_nid != NUMA_NO_NODE) {
		r->known += n;
		if (last_nid != nid)
			r->xnode += n;
	}
	if (home != NUMA_NO_NODE)
		user = r->xnode * 4 <= r->nr ? home : NUMA_NO_NODE;
	else
		user = knumad_region_user(r->weight, nr_nodes, r->nr, r->known,
					  r->xnode);
	if (user == NUMA_NO_NODE || user == r->target)
		return r->target;
	if (r->target != NUMA_NO_NODE) {
		if (user != home &&
		    time_before(now, r->flip_at + knumad_flip_wait(r->flips)))
			return r->target;
		if (r->flips < U16_MAX)
			r->flips++;
	}
	r->target = user;
	r->flip_at = now;
	return user;
}

/*
 * Does the process look absent from @nid: none of its hinting faults
 * (@faults, knumad_mm::faults, halved at each pass) came from there
 * lately, or none of its active threads ran there at its last census
 * and none faulted from there since (@present, knumad_present(); NULL:
 * not known), and no more than an eighth of @r's samples came from
 * there, nor the sample whose folio was last touched from @last_nid, nor
 * the one taken now, on @this_nid?  An estimate: a fault count reads
 * zero log2(count) + 1 passes after the last fault - seconds for a
 * process of hundreds of MiB, whose pass takes several periods (shared
 * on 4 nodes: a process's two threads moved off the node holding its
 * buffer at 2.7 s, and 205 of 512 sampled pages were still there at
 * 10 s) - which the census, once a pass, sees then; a census is a
 * snapshot, and a thread whose own memory is settled (sampled every few
 * periods) may be there still.  knumad_region_stranded() bounds what a
 * wrong guess costs.  Pure.
 */
static bool knumad_region_unused(const struct knumad_region *r,
				 const unsigned long *faults,
				 const nodemask_t *present, int nid,
				 int this_nid, int last_nid)
{
	return (!faults[nid] || (present && !node_isset(nid, *present))) &&
	       r->weight[nid] * 8 <= r->nr && nid != last_nid &&
	       nid != this_nid;
}

/*
 * A region shared across nodes (more than a quarter of its samples on
 * folios last touched from another node: knumad_region_user() decides
 * nothing), whose folio, sampled on @this_nid and last touched from
 * @last_nid, sits on @src, a node the process looks absent from
 * (knumad_region_unused()), and whose destination is none or such a node
 * too, is stranded: it stays put because its users share it, yet where
 * it is, it is remote to all of them.  It goes to a node the process's
 * threads fault from, in @mems (the faulting thread's cpuset mems) and
 * @memory (nodes with memory), not @src: @home if it is one with samples
 * of the region, else the one with the most samples among those in
 * @present (knumad_present(); any if NULL) and @this_nid - not one the
 * process left, whose samples are the past - @this_nid on a tie.  A
 * contested region keeps that destination (knumad_region_sample()) until
 * the process looks absent from it in turn.  The first such change waits
 * for no flip back-off - a destination nobody uses holds nothing, and
 * knumad_region_visit() holds a region two threads took turns on for
 * 64 s - but each one after it waits knumad_flip_wait(@strands): at most
 * 1 + log2(seconds) changes of this kind, whatever the estimate of
 * absence gets wrong.  Memory at @home (the process's, or the sampling
 * thread's part's), or bound for it, stays: the threads prefer the home,
 * and those away from it come back.  make bench's shared workload on 4
 * nodes, one CPU a node: the two threads of a process, on two nodes
 * other than the one its buffer was first touched on, left most of it
 * there - locality 0.33 and 0.44 in 2 runs of 6, where 0.5 is the most
 * two nodes sharing one buffer can have.  Returns the destination.  Pure
 * but for @r.
 */
static int knumad_region_stranded(struct knumad_region *r, int nr_nodes,
				  const unsigned long *faults,
				  const nodemask_t *present,
				  const nodemask_t *mems,
				  const nodemask_t *memory, int src,
				  int this_nid, int last_nid, int home,
				  unsigned long now)
{
	int nid, best = NUMA_NO_NODE;

	if (r->known < KNUMAD_MIN_SAMPLES || r->xnode * 4 <= r->nr ||
	    src == home || (home != NUMA_NO_NODE && r->target == home) ||
	    !knumad_region_unused(r, faults, present, src, this_nid,
				  last_nid) ||
	    (r->target != NUMA_NO_NODE &&
	     !knumad_region_unused(r, faults, present, r->target, this_nid,
				   last_nid)))
		return r->target;
	if (r->strands &&
	    time_before(now, r->flip_at + knumad_flip_wait(r->strands)))
		return r->target;
	for (nid = 0; nid < nr_nodes; nid++) {
		if (nid == src || !faults[nid] || !r->weight[nid] ||
		    !node_isset(nid, *mems) || !node_isset(nid, *memory))
			continue;
		if (nid == home) {
			best = nid;
			break;
		}
		/* not a node the process left, whatever samples it has */
		if (present && !node_isset(nid, *present) && nid != this_nid)
			continue;
		if (best == NUMA_NO_NODE || r->weight[nid] > r->weight[best] ||
		    (r->weight[nid] == r->weight[best] && nid == this_nid))
			best = nid;
	}
	if (best == NUMA_NO_NODE)
		return r->target;
	if (r->target != NUMA_NO_NODE && r->flips < U16_MAX)
		r->flips++;
	if (r->strands < KNUMAD_MAX_STRANDS)
		r->strands++;
	r->target = best;
	r->flip_at = now;
	return best;
}

/*
 * The node a sample taken on @this_nid by thread @pid counts as the
 * previous touch's, from the folio's last cpupid @last: NUMA_NO_NODE if
 * it has none, @this_nid if it names @pid - the thread's own previous
 * touch is private wherever it ran then (mainline's cpupid_match_pid()):
 * a thread the scheduler moved is not two threads sharing the folio, and
 * its memory may follow it - else the node of the CPU it names.
 */
static int knumad_prev_nid(int last, int this_nid, pid_t pid)
{
	if (cpupid_pid_unset(last))
		return NUMA_NO_NODE;
	if (__cpupid_match_pid(pid, last))
		return this_nid;
	return cpupid_to_nid(last);
}

/*
 * Is @r the memory of the thread of low pid bits @pid alone: every
 * sample of it so far was that thread's (@shared unset)?  Such memory
 * follows its thread only: in a process without a group, a destination
 * that the flip back-off holds at a node the thread left (the load
 * balancer moved it for a while) is no reason to take its memory there.
 * numa01t with THP on 2 nodes: two threads of a process swapped nodes at
 * 0.28 s and back at 0.80 s; the huge pages of one of them sampled after
 * its return went to the node it had left, its locality falling to 45%
 * by 3.4 s, and the process ended at 0.82 (1 run in 10).  Memory two
 * threads use keeps its destination: a contested region is kept
 * together there.  The pid bits of two threads may collide (more than
 * 256 threads): those read as one.  Pure.
 */
static bool knumad_region_sole(const struct knumad_region *r, u8 pid)
{
	const u8 none = -1 & LAST__PID_MASK;

	return pid != none && r->last_pid == pid && !r->shared;
}

/*
 * @r, the memory of one thread alone (knumad_region_sole()), sampled on
 * @this_nid by that thread at the first sample of its visit in a pass,
 * the region's previous sample (the thread's, in an earlier visit) also
 * having been on @this_nid, not the region's destination: two visits in
 * a row say the thread runs there now.  The samples it took where it ran
 * before are no vote against where it runs now: they are forgotten, and
 * the region is decided by the samples from @this_nid (the flip back-off
 * still bounds its changes: 1 + log2(seconds) at most, as any region's).
 * Without this, a huge page - one sample a region and pass, counted
 * KNUMAD_MIN_SAMPLES - whose samples from where its thread had been
 * outvoted the new node's waited two passes more: numa01t with THP on 2
 * nodes, a thread the load balancer had on node 0 for 2.3 s, its huge
 * pages following it there, came back to node 1 and found them decided
 * for node 0 for 2.6 s more (final 0.82 in 1 run of 5).  Samples that
 * said the memory was touched from another node (@xnode) go too: they
 * were the thread's own, before it moved; threads whose low pid bits
 * collide read as one here as everywhere.  Pure but for @r.
 */
static void knumad_region_follow(struct knumad_region *r, int nr_nodes,
				 int this_nid, int was_nid)
{
	int nid;

	if (r->target == NUMA_NO_NODE || r->target == this_nid ||
	    was_nid != this_nid)
		return;
	for (nid = 0; nid < nr_nodes; nid++)
		if (nid != this_nid)
			r->weight[nid] = 0;
	r->nr = r->weight[this_nid];
	r->known = min(r->known, r->nr);
	r->xnode = 0;
}

/* @r's sample was taken by the thread of low pid bits @pid (none: GUP). */
static void knumad_region_took(struct knumad_region *r, u8 pid)
{
	const u8 none = -1 & LAST__PID_MASK;

	if (r->last_pid != none && r->last_pid != pid)
		r->shared = true;
	r->last_pid = pid;
}

/*
 * Record in @r a sample on @this_nid by the thread of low pid bits @pid:
 * which visit it belongs to, whom the visit took the region over from,
 * and whether that holds the region (below).  Returns the node that the
 * sample counts as the previous touch's when its folio has no last toucher
 * recorded (a chunk armed for the first time): the region's previous
 * sample - or, for the samples of a visit (a thread's samples of the
 * region in a pass; @first: the visit's first) that took the region over
 * from another thread on another node, that thread's node.
 *
 * A visit that takes a decided region *back* - its thread had the region
 * before the thread on another node that had it last: A, B, A - holds
 * the region where it is for the longest flip back-off
 * (knumad_flip_wait(), from @now), once: the region's later changes wait
 * that long too, as any region's after KNUMAD_MAX_FLIP_SHIFT flips.  Two
 * threads on two nodes that sweep one buffer take all of a region's
 * samples in a pass by turns; the contest a turn raises decays within a
 * few passes (KNUMAD_DECAY_AT), and a thread that came first three passes
 * in a row took the region at every step of the back-off.  A handover for
 * good (the thread that first touched the memory, then the one that uses
 * it) is no turn, nor is one thread that changes node: those move the
 * region as soon as before.  Not while @hold is false: a process whose
 * sharers were just regrouped (KNUMAD_REGROUP_GRACE) still takes turns
 * until they run together, and its regions must follow them then.
 */
static int knumad_region_visit(struct knumad_region *r, int this_nid,
			       u8 pid, bool first, bool hold,
			       unsigned long now)
{
	const u8 none = -1 & LAST__PID_MASK;
	bool back;

	/* another thread's sample in the visit: no longer the visit's */
	if ((!first && pid != r->last_pid) || pid == none) {
		r->from_nid = NUMA_NO_NODE;
		goto out;
	}
	if (!first)
		goto out;
	if (r->last_pid == pid) {
		r->from_nid = NUMA_NO_NODE;
		goto out;
	}
	back = r->prev_pid == pid && r->last_pid != none;
	r->prev_pid = r->last_pid;
	r->from_nid = r->last_nid != this_nid ? r->last_nid : NUMA_NO_NODE;
	/* held once: a later turn does not restart it */
	if (hold && back && r->from_nid != NUMA_NO_NODE &&
	    r->target != NUMA_NO_NODE && r->flips < KNUMAD_MAX_FLIP_SHIFT) {
		r->flips = KNUMAD_MAX_FLIP_SHIFT;
		r->flip_at = now;
	}
out:
	return r->from_nid != NUMA_NO_NODE ? r->from_nid : r->last_nid;
}

/*
 * A sample of @r on @nid, taken on @this_nid, left @r's destination at
 * @target: a local sample where the region belongs settles it further,
 * anything else unsettles it.  A local sample of a huge page mapping the
 * whole region (@huge) settles it as far as local samples settle one,
 * as a move of one settles it (knumad_region_moved()): the next sample
 * would fault on the same folio, found where it is a pass before (numa02
 * with THP: two hinting faults a huge page in 8 s, half of them on pages
 * local from the start).  A thread that changes node still samples it
 * at once; a second user on another node contests it 8 scan periods
 * later at most, and a contested region keeps its destination either way.
 */
static void knumad_region_settle(struct knumad_region *r, int target,
				 int nid, int this_nid, bool huge)
{
	if (nid == this_nid && target == nid)
		r->settled = huge ? KNUMAD_MAX_SETTLED :
			     min_t(u8, r->settled + 1, KNUMAD_MAX_SETTLED);
	else
		r->settled = 0;
}

/*
 * Whether @r's next sample waits at pass @seq, scan period @period: one
 * still armed waits KNUMAD_REARM_PASSES (then it is re-armed, in case it
 * was unmapped or moved); a settled one waits 2^settled scan periods
 * after its last, in periods (knumad_scan.periods), not in the process's
 * passes: those come 1 to 2^KNUMAD_MAX_BACKOFF periods apart as its
 * back-off goes, and a wait in passes scaled by the back-off of the day
 * came out shorter each time the back-off fell (a thread changing node
 * every 2 periods, a group change resetting the back-off each time: the
 * settled memory of the thread that had not moved was sampled every 2 to
 * 4 periods, not 8 - knumad.moved_thread_resamples_only_its_memory,
 * 5,378 hinting faults against 1,288).  Not at all if its last sample,
 * armed before pass @since, was taken by a thread in @pids, or the one
 * before it by another thread in @pids (two sharers), which changed node
 * since: what was local to it may not be any more.  Only those: the
 * other threads' regions are where they were, and sampling all of a
 * process's memory again because the load balancer moved one of its
 * threads faulted every huge page of numa02 once more (4 threads, 160
 * huge pages).  A region whose last sample was not a thread of the
 * process (remote GUP) is sampled again on any move.  In a pass that a
 * move brought forward before the regular one was due (@hold: the
 * process was sitting passes out, its settled regions waiting a pass
 * each), the other settled regions wait for the regular pass: with the
 * back-off at its longest, every move of one thread had every region of
 * the process sampled.
 */
static bool knumad_region_waits(const struct knumad_region *r,
				unsigned int seq, unsigned int since,
				const unsigned long *pids, bool hold,
				unsigned int period)
{
	const u8 none = -1 & LAST__PID_MASK;

	if (r->armed)
		return seq - r->armed_seq < KNUMAD_REARM_PASSES;
	if (!r->settled)
		return false;
	if ((int)(r->armed_seq - since) < 0 &&
	    (r->last_pid == none || test_bit(r->last_pid, pids) ||
	     (r->prev_pid != none && test_bit(r->prev_pid, pids))))
		return false;
	if (hold)
		return true;
	return (u16)(period - r->armed_period) < (1U << r->settled);
}

/* Pages of migration budget earned in @ms at @mbps. */
static unsigned long knumad_rate_pages(unsigned int mbps, unsigned long ms)
{
	return div_u64((u64)mbps * ms * (SZ_1M / PAGE_SIZE), 1000);
}

/*
 * The home node for a process that fits one node, or NUMA_NO_NODE.
 * @faults:	its recent faults per node of the faulting CPU plus those
 *		per node of the faulted folio (each fault counts twice).
 * @cpus:	per node, the online CPUs every active thread may run on.
 * @room:	per node, the most pages a process may hold there (half the
 *		node).
 * @demand:	the CPU its active threads need (knumad_thread::share), in
 *		1/1024ths of a CPU.
 * @rss:	its resident pages.
 * It fits a node when its demand fits the CPUs there (KNUMAD_FIT_SLACK)
 * and its memory the room; among those, the node with the most faults
 * wins - on the memory there or from CPUs there: a node holding the
 * memory wins over one the threads merely ran on (threads move at their
 * next wakeup, memory a page at a time: two processes whose memory sits
 * on two nodes are not both sent to the node their threads happened to
 * run on) - the lower id on a tie.
 */
static int knumad_implicit_node(const unsigned long *faults,
				const unsigned int *cpus,
				const unsigned long *room, int nr_nodes,
				unsigned int demand, unsigned long rss)
{
	unsigned long total = 0;
	int nid, best = NUMA_NO_NODE;

	for (nid = 0; nid < nr_nodes; nid++)
		total += faults[nid];
	if (!demand || total < KNUMAD_IMPLICIT_MIN_FAULTS)
		return NUMA_NO_NODE;
	for (nid = 0; nid < nr_nodes; nid++) {
		if (!cpus[nid] ||
		    demand > cpus[nid] * 1024 + KNUMAD_FIT_SLACK ||
		    rss > room[nid])
			continue;
		if (best == NUMA_NO_NODE || faults[nid] > faults[best])
			best = nid;
	}
	return best;
}

/*
 * The home for a process (see knumad_implicit_node()): a node where
 * @left, the CPUs that other threads neither prefer nor use, fit it; if
 * none, for threads that need to be together (@together: they share
 * memory, or are a split process's parts to merge), the node where
 * @cpus, all the CPUs, fit it - where its memory is; for the threads of
 * a process that all ran on one node (@ran <= 1), the node where @idle,
 * the CPUs other processes do not use now (whatever they prefer), fit
 * it; for threads on two or more nodes that share nothing, none: their
 * memory follows each of them, and the threads a balancer moved are kept
 * where their memory is.
 * A home would send some of them to CPUs that other threads hold, and
 * their memory there without them (numa01t on 2 nodes: two processes'
 * threads crossed by the load balancer, the one given a home had a
 * thread held off it by the other process's thread kept there, and its
 * 40k pages moved away from it: 75% local at the end).  Not by all the
 * CPUs for threads on one node either: two of numa01t's, on one node for
 * a moment, got a home beside another process's busy thread.  Threads
 * that share memory need the home to come together (the shared workload:
 * without it, 50% local for good in one run of three) - by all the
 * CPUs: two such processes crossed on 2 nodes each see the other's
 * thread on both, and by @idle neither would get one (with it, shared
 * ended at 50% in 1 of 6 make bench runs; not traced).  By all the CPUs
 * too for threads that may run on one node only: a home there moves
 * only memory (misplaced in make bench, two threads pinned to a node
 * beside the bench's sampler process, 6 runs each: t95 median 1.8 s
 * before the bound, 2.7 s with @idle, 2.0 s so; THP 2.9, 3.7 and 2.3 s).
 */
static int knumad_implicit_pick(const unsigned long *faults,
				const unsigned int *left,
				const unsigned int *idle,
				const unsigned int *cpus,
				const unsigned long *room, int nr_nodes,
				unsigned int demand, unsigned long rss,
				unsigned int ran, bool together)
{
	int home = knumad_implicit_node(faults, left, room, nr_nodes, demand,
					rss);

	int nid, nodes = 0;

	if (home != NUMA_NO_NODE)
		return home;
	if (together)
		return knumad_implicit_node(faults, cpus, room, nr_nodes,
					    demand, rss);
	if (ran > 1)
		return NUMA_NO_NODE;
	home = knumad_implicit_node(faults, idle, room, nr_nodes, demand, rss);
	for (nid = 0; nid < nr_nodes; nid++)
		nodes += !!cpus[nid];
	/* threads confined to one node: a home there displaces nobody */
	if (home == NUMA_NO_NODE && nodes == 1)
		home = knumad_implicit_node(faults, cpus, room, nr_nodes,
					    demand, rss);
	return home;
}

/*
 * Does a process with an implicit group still fit its home?  A quarter
 * more memory than it needed to get the group is allowed, and half a CPU
 * more demand (KNUMAD_KEEP_SLACK), so a process near a limit does not
 * gain and lose its group by turns.
 */
static bool knumad_implicit_keeps(unsigned int cpus, unsigned long room,
				  unsigned int demand, unsigned long rss)
{
	return cpus && demand <= cpus * 1024 + KNUMAD_KEEP_SLACK &&
	       rss <= room + room / 4;
}

/*
 * Whether a thread whose vote for its peer (knumad_thread_peer()) has the
 * margin @votes, out of its @visits, shares memory with the peer, which
 * made @peer_visits visits: the margin is at least KNUMAD_PEER_MIN_VOTES
 * and an eighth (KNUMAD_PEER_SHIFT) of the visits of whichever of the two
 * made fewer.  Of two threads that sweep one buffer in step, the one ahead
 * takes nearly all the samples, and its visits to regions it sampled last
 * itself vote for nobody; the one behind takes few.  Against the leader's
 * own visits its margin stayed below an eighth for seconds (vnuma on 2
 * nodes: 2 of 47, 3 of 41, against 4 and 13 visits of the thread behind),
 * and the first split, by CPU, put one thread of each pair in each part.
 * Two threads with private memory of their own both visit much, so a
 * region at the border of their memory, sampled by turns, still makes no
 * pair.  @peer_visits = @visits: the thread's own visits only.  Pure:
 * tested by KUnit.
 */
static bool knumad_peer_found(unsigned int votes, unsigned int visits,
			      unsigned int peer_visits)
{
	return votes >= KNUMAD_PEER_MIN_VOTES &&
	       votes >= min(visits, peer_visits) >> KNUMAD_PEER_SHIFT;
}

/*
 * Is a thread apart from its memory: of its recent samples, @mem per node
 * of the memory (@nr_nodes entries), more than 1/2^KNUMAD_APART_SHIFT and
 * at least KNUMAD_APART_MIN off @nid, the node it ran on?
 */
static bool knumad_thread_apart(const unsigned long *mem, int nr_nodes,
				int nid)
{
	unsigned long all = 0, away;
	int i;

	for (i = 0; i < nr_nodes; i++)
		all += mem[i];
	away = all - mem[nid];
	return away >= KNUMAD_APART_MIN && away > all >> KNUMAD_APART_SHIFT;
}

/*
 * The node of all but 1/2^@shift of the samples @mem (per node: of the
 * memory, or of the CPU that took them; @nr_nodes entries), if they were
 * KNUMAD_APART_MIN or more; else NUMA_NO_NODE, with *@few set if they
 * were fewer.  Pure.
 */
static int knumad_mem_node(const unsigned long *mem, int nr_nodes,
			   unsigned int shift, bool *few)
{
	unsigned long all = 0;
	int nid, best = 0;

	for (nid = 0; nid < nr_nodes; nid++) {
		all += mem[nid];
		if (mem[nid] > mem[best])
			best = nid;
	}
	*few = all < KNUMAD_APART_MIN;
	if (*few || all - mem[best] > all >> shift)
		return NUMA_NO_NODE;
	return best;
}

/*
 * Add to @spurned the nodes a thread that ran on @nid does not have more
 * than half of its recent samples on (@mem per node of the memory,
 * @nr_nodes entries), @nid excepted; nothing for a thread without
 * samples.  A node in @spurned is not where all of the process's threads
 * that ran elsewhere are drawn to (knumad_ran_off_mem()).  Pure: tested
 * by KUnit.
 */
static void knumad_thread_spurns(const unsigned long *mem, int nr_nodes,
				 int nid, nodemask_t *spurned)
{
	unsigned long all = 0;
	int i;

	for (i = 0; i < nr_nodes; i++)
		all += mem[i];
	if (!all)
		return;
	for (i = 0; i < nr_nodes; i++)
		if (i != nid && mem[i] * 2 <= all)
			node_set(i, *spurned);
}

/*
 * The node an active thread ran apart from, though its own samples are
 * too few to say: the node with at least 7/8 (KNUMAD_OFF_MEM_SHIFT) of
 * the process's recent samples (@mem per node of the memory, @nr_nodes
 * entries), and KNUMAD_APART_MIN of them, if @ran, the nodes its active
 * threads ran on, holds another, and every thread that ran on another
 * and has samples has more than half of them on it (@spurned:
 * knumad_thread_spurns() of each); else NUMA_NO_NODE.  Of two threads
 * that use one buffer in step the one ahead takes nearly all the
 * samples, so the one behind, on another node, is seldom apart by its
 * own - it often has none at all (the shared workload on 2 nodes: a
 * process's buffer on node 1, a thread on each node, no home for 10 s,
 * and with it the other process's thread held off its home by this
 * one's thread, which no pull may swap: 0.5 local to the end).  A
 * thread with memory of its own where it runs, which the process's
 * samples may outnumber (a smaller working set), has its own samples
 * there, and keeps the process as it was - while it has samples: local
 * memory that settled is sampled rarely, and a thread whose count
 * decayed to none counts for nothing, so knumad_implicit_update() asks
 * for the same answer at two looks in a row.  Pure: tested by KUnit.
 */
static int knumad_ran_off_mem(const unsigned long *mem, int nr_nodes,
			      const nodemask_t *ran,
			      const nodemask_t *spurned)
{
	bool few;
	int nid, most = knumad_mem_node(mem, nr_nodes, KNUMAD_OFF_MEM_SHIFT,
					&few);

	if (most == NUMA_NO_NODE || node_isset(most, *spurned))
		return NUMA_NO_NODE;
	for_each_node_mask(nid, *ran)
		if (nid != most)
			return most;
	return NUMA_NO_NODE;
}

/*
 * Do a process's samples stand for its memory: is the memory knumad does
 * not sample (@unsampled pages resident: shmem, files, hugetlb) at most
 * 1/2^KNUMAD_UNSAMPLED_SHIFT of its anonymous memory (@anon: an upper
 * bound on what it samples - not COW pages of private file mappings,
 * nor mbind() ranges)?
 * For knumad_ran_off_mem(), whose thread that ran elsewhere may have no
 * samples because its memory is of that kind: a busy thread on a memfd
 * on node 0 whose samples, of anonymous memory it used before, decayed
 * to none, and a thread on the far node's anonymous memory - the
 * process's samples all of the far node's memory - got a home there, and
 * the first thread was taken from its memory
 * (knumad.thread_on_unsampled_memory_is_not_pulled_to_the_sampled).  A
 * busy thread that never had samples keeps its process without a home
 * anyway (knumad_active_threads(): @unseen).  A process-wide measure of
 * what is mapped, not of what each thread uses: a small memfd beside
 * much anonymous memory passes, as does memory a thread reaches through
 * read() and write() only; the shared libraries a process maps count
 * (a few MiB for a C program, more for a JVM: such a process with a
 * small heap gets no home from the rule).  Pure: tested by KUnit.
 */
static bool knumad_mostly_sampled(unsigned long anon, unsigned long unsampled)
{
	return unsampled <= anon >> KNUMAD_UNSAMPLED_SHIFT;
}

/*
 * Is a process with @threads active threads, which fit one node's CPUs
 * (@fits, by their demand) or not, split - @split: it has a part now,
 * knumad_split_now() - when
 * @unseen: a busy thread of it has no entry (knumad_active_threads())?
 * Two active threads or more that fit no node are.  So is a split process
 * with a busy thread knumad has no entry for, whatever the others' demand
 * says: that thread takes a CPU their demand leaves out, and where it
 * runs beside them their shares fall - it is not crowding by the ones
 * counted (knumad_crowded()).  vnuma on 2 nodes: the vCPU behind its
 * sharer in the sweep took no sample in 8 s; beside the other pair it
 * took a third of their CPU, the three known threads read 1020, 661
 * and 615, fit one node of two CPUs, and the process was merged there,
 * the pair away from its memory; split again 2 s later, locality 0.50
 * at the end of the run.  The first split does not wait for such a
 * thread (the known threads do not fit already); a process not split
 * waits for it (knumad_implicit_update()).  A busy thread that never
 * takes a sample (its memory shmem or a file; a loop in system calls)
 * keeps its process split for as long as it is busy: the parts still
 * place the known threads by their samples, what is lost is the merge
 * into one group.  Pure: tested by KUnit.
 */
static bool knumad_split_stays(unsigned int threads, bool fits, bool split,
			       bool unseen)
{
	if (threads < 2)
		return false;
	return !fits || (split && unseen);
}

#ifdef CONFIG_HUGETLB_PAGE
static unsigned long knumad_hugetlb_pages(struct mm_struct *mm)
{
	return atomic_long_read(&mm->hugetlb_usage);
}
#else
static unsigned long knumad_hugetlb_pages(struct mm_struct *mm)
{
	return 0;
}
#endif

/*
 * Do @mm's samples stand for its memory (knumad_mostly_sampled())?  Its
 * anonymous pages against its file, shmem and hugetlb pages, the per-CPU
 * counts summed (O(CPUs)): only when knumad_ran_off_mem() named a node.
 */
static bool knumad_mm_mostly_sampled(struct mm_struct *mm)
{
	return knumad_mostly_sampled(get_mm_counter_sum(mm, MM_ANONPAGES),
				     get_mm_counter_sum(mm, MM_FILEPAGES) +
				     get_mm_counter_sum(mm, MM_SHMEMPAGES) +
				     knumad_hugetlb_pages(mm));
}

/* ---------------------------------------------------------------------- */
/* Registration */

/* Give @mm a slot; in process context, for a thread of @mm. */
static void knumad_enter(struct mm_struct *mm)
{
	struct knumad_mm *km;

	if (!knumad_possible || READ_ONCE(mm->knumad))
		return;
	km = kmem_cache_zalloc(knumad_mm_cache,
			       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!km)
		return;		/* the process is simply not scanned */
	km->mm = mm;
	km->task_move_at = jiffies - KNUMAD_TASK_GRACE;
	km->tick_work_at = jiffies - KNUMAD_TASK_GRACE;
	km->update_at = jiffies;
	km->off_nid = NUMA_NO_NODE;
	km->regular_at = jiffies;
	km->present_until = jiffies;	/* no census yet */
	km->ticked = true;
	spin_lock_init(&km->lock);
	INIT_LIST_HEAD(&km->pending_node);
	INIT_LIST_HEAD(&km->look_node);
	xa_init(&km->regions);
	xa_init(&km->threads);
	/* two threads of the process may race here: one slot wins */
	mmgrab(mm);
	if (cmpxchg(&mm->knumad, NULL, km)) {
		mmdrop(mm);
		kmem_cache_free(knumad_mm_cache, km);
		return;
	}

	spin_lock(&knumad_mm_lock);
	list_add_tail(&km->node, &knumad_scan.mms);
	spin_unlock(&knumad_mm_lock);
}

static void knumad_task_move(struct knumad_mm *km);

/*
 * knumad's task work: register the process if it has no slot yet (queued
 * by the tick), or move what its faults asked for (queued by a fault, or
 * by a tick while work is pending).
 */
static void knumad_task_fn(struct callback_head *work)
{
	struct mm_struct *mm = current->mm;
	struct knumad_mm *km;

	/* exit_task_work() runs it after exit_mm(): mm is NULL then */
	if (!mm || (current->flags & PF_EXITING))
		goto out;
	/* ours holds mm_users: knumad_exit() cannot free the slot */
	km = READ_ONCE(mm->knumad);
	if (!km)
		knumad_enter(mm);
	else
		knumad_task_move(km);
out:
	/*
	 * Not queued any more only now: a tick during the step must not
	 * queue the next one, which task_work_run() would run before the
	 * thread ever got back to user space.
	 */
	WRITE_ONCE(work->next, work);
}

/*
 * Queue @t's knumad task work unless it is queued already; false if it
 * cannot run (the task is exiting).  The tick (maybe a remote one) and a
 * fault may race here: the one that swaps work->next from "not queued"
 * queues it.
 */
static bool knumad_task_work_queue(struct task_struct *t, int notify)
{
	struct callback_head *work = &t->knumad_work;

	if (cmpxchg(&work->next, work, NULL) != work)
		return true;	/* queued: it will run */
	if (task_work_add(t, work, notify)) {
		WRITE_ONCE(work->next, work);
		return false;
	}
	return true;
}

/**
 * knumad_task_fork - set up a new task's knumad task work
 * @p:	the new task (dup_task_struct() copied its parent's).
 */
void knumad_task_fork(struct task_struct *p)
{
	init_task_work(&p->knumad_work, knumad_task_fn);
	p->knumad_work.next = &p->knumad_work;	/* not queued */
	/* its first tick only says where it runs (see knumad_task_tick()) */
	p->knumad_nid = NUMA_NO_NODE;
	p->knumad_pref_nid = NUMA_NO_NODE;
	p->knumad_pref_until = 0;
	p->knumad_pref_mm = NULL;
}

static bool knumad_tokens_ready(unsigned long want);

/*
 * Whether a new thread of @km's process, seen on @nid (its first tick, or
 * its creator's setting of its affinity: KNUMAD_YOUNG_NS), runs where
 * few of its samples were taken: the
 * process was sampled, and fewer than a quarter of its recent samples
 * (KNUMAD_APART_SHIFT) were taken on @nid - what knumad learned of its
 * memory comes from threads elsewhere (misplaced: threads started on the
 * far node, the memory first touched on node 0, where all the samples so
 * far were taken).  Racy reads; O(nodes), once or twice in a thread's
 * life.
 */
static bool knumad_few_samples(struct knumad_mm *km, int nid)
{
	unsigned long sum = 0;
	int i;

	if (!READ_ONCE(km->scanned))
		return false;
	for (i = 0; i < nr_node_ids; i++)
		sum += READ_ONCE(km->faults[i]);
	return READ_ONCE(km->faults[nid]) < sum >> KNUMAD_APART_SHIFT;
}

/*
 * A new thread of @km's process, @t, runs on @nid where few of the
 * process's samples were taken (knumad_few_samples()): nobody knows what
 * it uses, and that memory may have settled as another thread's
 * (knumad_settle_again()).  Its first tick is new, and so is a young
 * thread's (KNUMAD_YOUNG_NS) tick on a node its affinity moved it to:
 * glibc's pthread_create() sets the affinity after clone(), and the
 * first tick may have come on the creator's node.  Read cpus_mask, not
 * cpus_ptr: a migrate_disable() section is no affinity.  Not a thread
 * that changed node otherwise: its own samples tell which memory is its
 * (a busy thread without memory, moved about by the load balancer,
 * would have every region sampled at each move).  The clock is read
 * only on a change of node of a thread that cannot go back.
 */
static bool knumad_new_here(struct knumad_mm *km, struct task_struct *t,
			    int nid)
{
	if (t->knumad_nid != NUMA_NO_NODE &&
	    (cpumask_intersects(&t->cpus_mask,
				cpumask_of_node(t->knumad_nid)) ||
	     ktime_get_ns() - t->start_time >= KNUMAD_YOUNG_NS))
		return false;
	return knumad_few_samples(km, nid);
}

/*
 * A thread of @km's process changed node, or a new thread ran where few
 * of its samples were taken: ask the thread for a pass out of turn over
 * it (knumad_asks()).  From the tick: flags and an irq_work, no lock.
 */
static void knumad_ask(struct knumad_mm *km)
{
	/*
	 * Only a process a pass would sample: a small one, or one not
	 * sampled yet, would end a doze for nothing.
	 */
	if (!READ_ONCE(km->scanned) ||
	    test_bit(MMF_NUMA_BALANCING_DISABLE, &km->mm->flags) ||
	    get_mm_counter(km->mm, MM_ANONPAGES) < KNUMAD_MIN_ANON_PAGES)
		return;
	WRITE_ONCE(km->resample_ask, true);
	/*
	 * The ask, then the flag, a full barrier between, as the thread
	 * clears the flag, then takes the asks (knumad_asks()): either it
	 * sees this ask, or this sees the flag cleared and wakes it.
	 */
	smp_mb();
	if (!READ_ONCE(knumad_asked) && !xchg(&knumad_asked, true))
		irq_work_queue(&knumad_ask_work);
}

/**
 * knumad_task_tick - register the current process lazily; keep its moves going
 * @curr:	the task running on the ticking CPU (for a nohz_full CPU's
 *		remote tick, not current): task work may be queued on it.
 *
 * Processes are registered as khugepaged registers its mm_slots: only
 * once they run, and only while knumad is enabled.  The first tick of a
 * thread of an unregistered process queues task work that allocates the
 * slot on the way back to user space; a process that exits before a tick
 * (most of a fork-heavy workload) or runs while knumad is off costs
 * nothing.  A few loads per tick otherwise (and a clock read on a young
 * thread's change of node: KNUMAD_YOUNG_NS).
 *
 * While a registered process has migration work pending and the rate
 * limit has a step's budget, the tick of one of its threads a jiffy
 * queues a step of that work (knumad_task_move()), as a fault does: the
 * bulk moves that a few samples started go on while the process runs,
 * not only when the next samples fault.  Only a local tick of a CFS task
 * does so (not a nohz_full CPU's remote tick, nor a user worker).
 */
void knumad_task_tick(struct task_struct *curr)
{
	struct callback_head *work = &curr->knumad_work;
	struct mm_struct *mm = curr->mm;
	unsigned long now, old;
	struct knumad_mm *km;

	if (!READ_ONCE(knumad_enabled) || !mm ||
	    (curr->flags & (PF_KTHREAD | PF_EXITING)))
		return;
	km = READ_ONCE(mm->knumad);
	/*
	 * Only current's slot may be looked into: its mm_users reference
	 * keeps it (knumad_exit() frees it with the address space); a
	 * remote tick's task promises nothing.  The process runs - its
	 * user workers (io_uring, vhost) too touch its memory: sample it
	 * at the next pass (one store a pass).
	 */
	if (km && curr == current) {
		int nid = numa_node_id();

		if (!READ_ONCE(km->ticked)) {
			WRITE_ONCE(km->ticked, true);
			/* once a visit: ticked before knumad_ran is read */
			smp_mb();
		}
		knumad_note_ran(mm);
		/*
		 * It changed node: memory found local may not be any more,
		 * sample it again, and ask for a pass out of turn
		 * (knumad_ask()).  Not for a new thread's first tick: it
		 * has not used memory from anywhere else yet - unless it
		 * runs where few samples were taken (knumad_new_here()).
		 */
		if (unlikely(curr->knumad_nid != nid)) {
			bool moved = curr->knumad_nid != NUMA_NO_NODE;
			bool few = knumad_new_here(km, curr, nid);

			if (moved)
				set_bit(curr->pid & LAST__PID_MASK,
					km->moved_pids);
			if (few)
				set_bit(curr->pid & LAST__PID_MASK,
					km->few_pids);
			if (moved || few) {
				/* pid, then flag: knumad_settle_again() */
				smp_mb__after_atomic();
				WRITE_ONCE(km->thread_moved, true);
				knumad_ask(km);
			}
			curr->knumad_nid = nid;
		}
	}
	/* user workers share a process's mm: its threads register and move */
	if ((curr->flags & PF_USER_WORKER) || READ_ONCE(work->next) != work)
		return;
	if (km) {
		if (curr != current)
			return;
		now = jiffies;
		old = READ_ONCE(km->tick_step_at);
		/* the ticks of a process's CPUs come in the same jiffy */
		if (!READ_ONCE(km->pending) || old == now ||
		    !knumad_tokens_ready(KNUMAD_TASK_MOVE_PAGES) ||
		    cmpxchg(&km->tick_step_at, old, now) != old)
			return;
	}
	/* under the rq lock: no allocation (KASAN's aux stack) here */
	knumad_task_work_queue(curr, TWA_RESUME | TWAF_NO_ALLOC);
}

bool knumad_scans(struct mm_struct *mm)
{
	return READ_ONCE(knumad_enabled) && READ_ONCE(mm->knumad) &&
	       !test_bit(MMF_NUMA_BALANCING_DISABLE, &mm->flags);
}

/* Dissolve and release one group taken out of @km. */
static void knumad_group_release(struct memsched_group *group)
{
	if (!group)
		return;
	memsched_group_dissolve(group);
	memsched_group_put(group);
}

/*
 * The process's placement changed: destinations its samples chose before
 * give way (knumad_split_home()).  Only for a change: a census that finds
 * the placement as it was leaves them their flip back-off.  Under
 * km->lock.
 */
static void knumad_placed(struct knumad_mm *km)
{
	lockdep_assert_held(&km->lock);
	km->placed++;
}

/*
 * Is @km's process split now - a part exists - not only once (@parts,
 * the array, stays once made)?  In the knumad thread, which alone sets
 * the parts.
 */
static bool knumad_split_now(struct knumad_mm *km)
{
	int i;

	for (i = 0; km->parts && i < nr_node_ids; i++)
		if (km->parts[i])
			return true;
	return false;
}

/* Forget the parts of a split process; every member thread leaves them. */
static void knumad_parts_drop(struct knumad_mm *km)
{
	struct memsched_group *group;
	struct knumad_thread *kt;
	unsigned long index;
	bool had = false;
	int i;

	if (!km->parts)
		return;
	spin_lock(&km->lock);
	xa_for_each(&km->threads, index, kt) {
		had |= kt->part != NUMA_NO_NODE;
		kt->part = NUMA_NO_NODE;
		kt->placed_nid = NUMA_NO_NODE;
	}
	/* the array stays once made: a process that was split only once */
	for (i = 0; i < nr_node_ids; i++)
		had |= !!km->parts[i];
	if (had)
		knumad_placed(km);
	spin_unlock(&km->lock);
	for (i = 0; i < nr_node_ids; i++) {
		spin_lock(&km->lock);
		group = km->parts[i];
		km->parts[i] = NULL;
		spin_unlock(&km->lock);
		knumad_group_release(group);
	}
}

/* The process loses its implicit group(s): every member thread leaves. */
static void knumad_implicit_drop(struct knumad_mm *km)
{
	struct memsched_group *group;

	spin_lock(&km->lock);
	group = km->implicit;
	km->implicit = NULL;
	if (group)
		knumad_placed(km);
	spin_unlock(&km->lock);
	knumad_group_release(group);
	knumad_parts_drop(km);
}

/* Take @km off the pending list (it may not be on it). */
static void knumad_pending_del(struct knumad_mm *km)
{
	spin_lock(&knumad_pending_lock);
	if (!list_empty(&km->pending_node)) {
		list_del_init(&km->pending_node);
		knumad_scan.nr_pending--;
	}
	spin_unlock(&knumad_pending_lock);
}

/* Migration work waits in @km: put it on the pending list.  Under @lock. */
static void knumad_set_pending(struct knumad_mm *km)
{
	lockdep_assert_held(&km->lock);
	if (km->pending)
		return;
	WRITE_ONCE(km->pending, true);
	spin_lock(&knumad_pending_lock);
	if (list_empty(&km->pending_node)) {
		list_add_tail(&km->pending_node, &knumad_scan.pending);
		knumad_scan.nr_pending++;
	}
	spin_unlock(&knumad_pending_lock);
}

/*
 * Put @km, taken off the pending list by a migration pass that left its
 * work (km->pending still set), back at the tail.
 */
static void knumad_pending_requeue(struct knumad_mm *km)
{
	spin_lock(&knumad_pending_lock);
	if (list_empty(&km->pending_node)) {
		list_add_tail(&km->pending_node, &knumad_scan.pending);
		knumad_scan.nr_pending++;
	}
	spin_unlock(&knumad_pending_lock);
}

static void knumad_mm_free(struct knumad_mm *km)
{
	struct knumad_thread *kt;
	struct knumad_region *r;
	unsigned long index;
	unsigned int i;

	knumad_pending_del(km);
	WARN_ON_ONCE(!list_empty(&km->look_node));	/* knumad_exit() */
	knumad_implicit_drop(km);
	knumad_kept_set(km, NULL);
	for (i = 0; i < km->nr_queued; i++)
		folio_put(km->queue[i].folio);
	xa_for_each(&km->regions, index, r)
		kfree(r);
	xa_destroy(&km->regions);
	xa_for_each(&km->threads, index, kt)
		kfree(kt);
	xa_destroy(&km->threads);
	kfree(km->parts);
	WRITE_ONCE(km->mm->knumad, NULL);
	mmdrop(km->mm);
	kmem_cache_free(knumad_mm_cache, km);
}

void knumad_exit(struct mm_struct *mm)
{
	struct knumad_mm *km = mm->knumad;
	bool free = true;

	if (!km)
		return;
	spin_lock(&knumad_mm_lock);
	if (knumad_scan.cursor == km || knumad_scan.busy == km) {
		km->exited = true;	/* the thread frees it */
		free = false;
	} else {
		list_del(&km->node);
	}
	/* a migration pass finds slots there under knumad_mm_lock */
	knumad_pending_del(km);
	list_del_init(&km->look_node);
	spin_unlock(&knumad_mm_lock);
	if (free)
		knumad_mm_free(km);
}

/* ---------------------------------------------------------------------- */
/* The fault side */

/*
 * Set when migration work waits for the knumad thread (knumad_kick());
 * the thread clears it.
 */
static bool knumad_work_pending;

/* Whether threads of @km's process moved for it just now. */
static bool knumad_threads_move(struct knumad_mm *km)
{
	return atomic_read(&km->task_movers) ||
	       time_before(jiffies,
			   READ_ONCE(km->task_move_at) + KNUMAD_TASK_GRACE);
}

/*
 * Whether a fault left a huge page's move to the ticks of @km's threads
 * just now (knumad_hint_fault()): they have KNUMAD_TASK_GRACE to start.
 */
static bool knumad_ticks_due(struct knumad_mm *km)
{
	return time_before(jiffies,
			   READ_ONCE(km->tick_work_at) + KNUMAD_TASK_GRACE);
}

/* Migration work waits that only the knumad thread will do: wake it. */
static void knumad_kick(void)
{
	if (!READ_ONCE(knumad_work_pending) &&
	    !xchg(&knumad_work_pending, true))
		wake_up_interruptible(&knumad_wait);
}

static int knumad_vma_home(struct vm_area_struct *vma)
{
	struct mempolicy *pol = vma->vm_policy;

	if (pol && pol->msgroup)
		return READ_ONCE(pol->msgroup->home_nid);
	return NUMA_NO_NODE;
}

/* VMAs knumad arms: private anonymous memory it may move. */
/* Private anonymous memory with ordinary PTEs: what arming can touch. */
static bool knumad_vma_armable(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) && vma_is_accessible(vma) &&
	       !(vma->vm_flags & (VM_HUGETLB | VM_PFNMAP | VM_IO |
				  VM_MIXEDMAP | VM_SHARED));
}

static bool knumad_vma_eligible(struct vm_area_struct *vma)
{
	if (!knumad_vma_armable(vma) || !vma_migratable(vma))
		return false;
	/* An explicit mbind() policy wins; a memsched binding is ours. */
	if (vma->vm_policy && !vma->vm_policy->msgroup)
		return false;
	return true;
}

static void knumad_queue(struct knumad_mm *km, struct folio *folio,
			 unsigned long addr, int nid)
{
	struct knumad_queued *q;
	unsigned int i;

	lockdep_assert_held(&km->lock);
	for (i = 0; i < km->nr_queued; i++)
		if (km->queue[i].folio == folio)
			return;
	if (km->nr_queued >= KNUMAD_QUEUE_LEN)
		return;		/* the region's bulk move gets it */
	q = &km->queue[km->nr_queued++];
	folio_get(folio);
	q->folio = folio;
	q->addr = addr;
	q->nid = nid;
}

/* The home of part @part of a split process; under km->lock. */
static int knumad_part_home(struct knumad_mm *km, int part)
{
	struct memsched_group *group = km->parts[part];

	return group ? READ_ONCE(group->home_nid) : part;
}

/*
 * The home of part @part of a split process, or the one it is to have
 * while it has no group yet: the home knumad_split_assign() wanted for it
 * (@want, NUMA_NO_NODE for none), else the node it is numbered after.
 * Under km->lock, or in the knumad thread, which alone sets km->parts.
 */
static int knumad_part_home_want(struct knumad_mm *km, int part,
				 const int *want)
{
	if (km->parts[part])
		return knumad_part_home(km, part);
	return want[part] == NUMA_NO_NODE ? part : want[part];
}

/*
 * The implicit group knumad chose for a thread with entry @kt (NULL if it
 * has none): its process's, or its part's if the process is split; NULL
 * if none.  Under km->lock.
 */
static struct memsched_group *knumad_thread_group(struct knumad_mm *km,
						  struct knumad_thread *kt)
{
	lockdep_assert_held(&km->lock);
	if (km->implicit)
		return km->implicit;
	if (km->parts && kt && kt->part != NUMA_NO_NODE)
		return km->parts[kt->part];
	return NULL;
}

/*
 * A thread joins the implicit group knumad chose for it, from task work:
 * the group its process has when the work runs (not when it was queued:
 * the groups may have changed meanwhile, and an exec() may have given
 * the thread another process), found through current->mm, which keeps
 * the slot (knumad_exit() frees it with the address space).
 */
struct knumad_join {
	struct callback_head work;
};

static void knumad_join_fn(struct callback_head *work)
{
	struct memsched_group *group = NULL;
	struct mm_struct *mm = current->mm;
	struct knumad_thread *kt = NULL;
	struct knumad_mm *km;

	kfree(container_of(work, struct knumad_join, work));
	/* exit_task_work() runs it after exit_mm(): mm is NULL then */
	km = mm && !(current->flags & PF_EXITING) ? READ_ONCE(mm->knumad) :
						     NULL;
	if (!km)
		return;
	spin_lock(&km->lock);
	kt = xa_load(&km->threads, current->pid);
	if (kt)
		kt->join_queued = false;
	group = knumad_thread_group(km, kt);
	if (group)
		memsched_group_get(group);
	spin_unlock(&km->lock);
	if (!group)
		return;
	memsched_join_implicit(group);
	memsched_group_put(group);
}

/*
 * Start charging what is allocated for @km to the process's memcg, as
 * knumad_scan_mm() charges its regions, whichever task allocates it (a
 * thread's fault, or the knumad thread queueing joins);
 * knumad_charge_end() ends it.  Allowed under km->lock: it takes a css
 * reference under RCU and does not sleep.
 */
static struct mem_cgroup *knumad_charge_begin(struct knumad_mm *km,
					      struct mem_cgroup **memcg)
{
	*memcg = get_mem_cgroup_from_mm(km->mm);
	return set_active_memcg(*memcg);
}

static void knumad_charge_end(struct mem_cgroup *memcg,
			      struct mem_cgroup *old)
{
	set_active_memcg(old);
	mem_cgroup_put(memcg);
}

/*
 * Queue @t's join (knumad_join_fn()), unless one is queued already.
 * Under km->lock; @kt is @t's entry, or NULL if it has none.
 */
static void knumad_join_queue(struct knumad_mm *km, struct task_struct *t,
			      struct knumad_thread *kt)
{
	struct mem_cgroup *memcg, *old;
	struct knumad_join *join;

	lockdep_assert_held(&km->lock);
	if (kt && kt->join_queued)
		return;
	old = knumad_charge_begin(km, &memcg);
	join = kmalloc(sizeof(*join), GFP_NOWAIT | __GFP_ACCOUNT |
		       __GFP_NOWARN);
	knumad_charge_end(memcg, old);
	if (!join)
		return;		/* the next fault tries again */
	init_task_work(&join->work, knumad_join_fn);
	if (task_work_add(t, &join->work, TWA_RESUME))
		kfree(join);
	else if (kt)
		kt->join_queued = true;
}

/*
 * Count the fault, taken on @this_nid on a folio on @mem_nid, for the
 * current thread, and make it join the implicit group knumad chose for it
 * (its process's, or its part's if the process is split) on its way back
 * to user space if it is not in it (nor in a group of its own choosing).
 * Returns the thread's entry, NULL if it has none.
 */
static struct knumad_thread *knumad_thread_fault(struct knumad_mm *km,
						 int this_nid, int mem_nid)
{
	struct memsched_group *group, *implicit;
	struct mem_cgroup *memcg, *old;
	struct knumad_thread *kt;
	bool chosen;

	lockdep_assert_held(&km->lock);
	kt = xa_load(&km->threads, current->pid);
	/* not for remote GUP: the census would drop it */
	if (!kt && km->nr_threads < KNUMAD_MAX_THREADS &&
	    current->mm == km->mm) {
		/* a user makes us hold these: charged, as regions are */
		old = knumad_charge_begin(km, &memcg);
		kt = kzalloc(struct_size(kt, faults, 2 * nr_node_ids),
			     GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN);
		if (kt) {
			kt->part = NUMA_NO_NODE;
			kt->placed_nid = NUMA_NO_NODE;
		}
		if (kt && xa_err(xa_store(&km->threads, current->pid, kt,
					  GFP_NOWAIT | __GFP_ACCOUNT |
					  __GFP_NOWARN))) {
			kfree(kt);
			kt = NULL;
		}
		knumad_charge_end(memcg, old);
		if (kt)
			km->nr_threads++;
	}
	if (kt) {
		kt->faults[this_nid]++;
		kt->faults[nr_node_ids + mem_nid]++;
		kt->total++;
	}
	implicit = knumad_thread_group(km, kt);

	/*
	 * Another thread may take current out of its group (ms_tbind()) and
	 * drop the group's last reference: look at it under RCU only.
	 */
	rcu_read_lock();
	group = rcu_dereference(current->memsched_group);
	chosen = group && !group->implicit;
	rcu_read_unlock();
	if (chosen)
		km->explicit = true;
	/* not for a fault on another process's memory (remote GUP) */
	if (!implicit || group == implicit || chosen ||
	    current->mm != km->mm ||
	    (current->flags & (PF_EXITING | PF_KTHREAD)))
		goto out;
	knumad_join_queue(km, current, kt);
out:
	return kt;
}

/*
 * A sample by thread @kt (low pid bits @own), the first of its region in
 * a pass (a visit), met a region that the thread with low pid bits @prev
 * sampled last - or a hinting fault of @kt lost the race for a page to
 * @prev's (knumad_hint_raced()): a vote for @prev as @kt's peer, unless
 * it is @kt itself or nobody.  Boyer-Moore's majority vote: one candidate
 * and its margin per thread, so a thread's peer is the thread it shares
 * the most with, in constant space.  A thread whose low pid bits are all
 * ones reads as nobody, as in mainline's cpupid.
 */
static void knumad_thread_peer(struct knumad_thread *kt, int own, int prev)
{
	BUILD_BUG_ON(LAST__PID_MASK > U8_MAX || KNUMAD_PEER_WINDOW >= U8_MAX);
	BUILD_BUG_ON(MAX_NUMNODES > S16_MAX);
	if (++kt->visits >= KNUMAD_PEER_WINDOW) {
		kt->visits >>= 1;
		kt->peer_votes >>= 1;
	}
	own &= LAST__PID_MASK;
	prev &= LAST__PID_MASK;
	if (prev == own || prev == (-1 & LAST__PID_MASK))
		return;
	if (kt->peer_votes && kt->peer == prev) {
		kt->peer_votes++;
	} else if (!kt->peer_votes) {
		kt->peer = prev;
		kt->peer_votes = 1;
	} else {
		kt->peer_votes--;
	}
}

/*
 * The home a region @r sampled by a thread of part @part of a split
 * process goes to at @now: the part's, as an implicit group's memory goes
 * to its home - a thread the scheduler has not brought home yet does not
 * take its memory away, and memory does not wait out a flip back-off to
 * follow it home.  But a region whose destination is the home of another
 * part keeps it until its flip back-off allows a change (NUMA_NO_NODE:
 * the sample only counts): two parts' threads that use one region - each
 * its own pages of it, so the samples do not look shared - move it at
 * most 1 + log2(seconds) times, as a region that learns does.  A
 * destination decided long ago, or last sampled before the process's
 * placement changed (a thread that got its first part, or changed parts:
 * numa02 with THP on 4 nodes, a thread put in a part of its own at 3.3 s
 * left five regions at the home of the part it had shared for the rest of
 * the run, their back-off at 2-8 s), or decided before threads that share
 * memory were put together in one part (the two parts, or the two nodes
 * they ran on, pulled their region to and fro), gives way at once.
 * NUMA_NO_NODE too when the thread has no part.  Under km->lock;
 * O(nodes).
 */
static int knumad_split_home(struct knumad_mm *km, int part,
			     const struct knumad_region *r, unsigned long now)
{
	struct memsched_group *group;
	int i, home;

	lockdep_assert_held(&km->lock);
	if (part == NUMA_NO_NODE || !km->parts[part])
		return NUMA_NO_NODE;
	home = READ_ONCE(km->parts[part]->home_nid);
	if (r->target == NUMA_NO_NODE || r->target == home ||
	    r->placed != (u16)km->placed ||
	    !time_before(now, r->flip_at + knumad_flip_wait(r->flips)) ||
	    (km->regrouped && time_before(r->flip_at, km->regroup_at) &&
	     time_before(now, km->regroup_at + KNUMAD_REGROUP_GRACE)))
		return home;
	for (i = 0; i < nr_node_ids; i++) {
		group = km->parts[i];
		if (group && READ_ONCE(group->home_nid) == r->target)
			return NUMA_NO_NODE;
	}
	return home;
}

/*
 * Make every thread of @km that knumad put in a group and that is not in
 * it join it, from task work queued now: not at the thread's next hinting
 * fault, which for memory of huge pages (armed once a pass each), or
 * while the passes wait for the threads' moves, came seconds later (the
 * fourth thread of numa02 with THP on 4 nodes joined its part 7 s into
 * the run, and the load balancer kept it off its home meanwhile).  After
 * a change of the process's groups; O(threads).
 */
static void knumad_join_threads(struct knumad_mm *km)
{
	struct memsched_group *group, *cur;
	struct knumad_thread *kt;
	struct task_struct *t;
	unsigned long index;

	rcu_read_lock();
	spin_lock(&km->lock);
	xa_for_each(&km->threads, index, kt) {
		group = knumad_thread_group(km, kt);
		if (!group)
			continue;
		t = find_task_by_pid_ns(index, &init_pid_ns);
		if (!t || t->mm != km->mm ||
		    (t->flags & (PF_EXITING | PF_KTHREAD | PF_USER_WORKER)))
			continue;
		cur = rcu_dereference(t->memsched_group);
		if (cur == group || (cur && !cur->implicit))
			continue;
		/* one at a time: a thread that does not run piles none up */
		knumad_join_queue(km, t, kt);
	}
	spin_unlock(&km->lock);
	rcu_read_unlock();
}

/*
 * The nodes @km's active threads ran on at its last census, if it was
 * lately (4 scan periods, at the census's scan_sleep_millisecs), with
 * those its threads took a hinting fault on since (a thread that came
 * after the census is not gone); else NULL: not known.  For
 * knumad_region_unused(), under km->lock.
 */
static const nodemask_t *knumad_present(struct knumad_mm *km)
{
	lockdep_assert_held(&km->lock);
	if (!time_before(jiffies, km->present_until))
		return NULL;
	return &km->present;
}

/*
 * The time away of knumad_away_from_keep(), for a sample taken at @now by
 * the thread whose entry is @kt: @away, taken off the node knumad keeps
 * the thread on, where the keep could bring it back.  Whether the sample
 * is ignored: it is one of a time away that began less than @period
 * before.  A time away begins at a sample off the kept node, or at a
 * census that finds the thread off it without samples
 * (knumad_census_node(), which asks the same question of its count),
 * and ends at a sample or a census that finds it on it or no longer kept
 * where the keep could bring it back (or where knumad_settle_again()
 * ends it) - not at a gap between samples, which memory of huge pages
 * has at every pass.  Pure but for @kt: tested by KUnit.
 */
static bool knumad_away_sample(struct knumad_thread *kt, bool away,
			       unsigned long now, unsigned long period)
{
	if (!away) {
		kt->away = false;
		return false;
	}
	if (!kt->away) {
		kt->away = true;
		kt->away_at = now;
	}
	return time_before(now, kt->away_at + period);
}

/*
 * Does current's sample, taken on @this_nid, come from off the node knumad
 * keeps it on (knumad_thread_pref()), less than a scan period after its
 * first sample (or census of it without samples: knumad_census_node())
 * off it since it was last seen there?  Then the scheduler hook is
 * bringing the thread back (kernel/sched/numa.c), and the sample does not
 * decide where its memory goes: a thread that moved resamples its memory
 * at once (knumad_settle_again()), and the samples of a load balancer's
 * move of a few hundred milliseconds sent the memory after the thread,
 * which came back to use it from afar
 * (knumad.swapped_threads_go_back_to_their_memory).  Not for a thread in
 * a group (its home decides), nor for one whose affinity keeps it off the
 * node (misplaced_private: nothing brings it back), nor for a fault on
 * another process's memory (@own false: the keep is for current's).  A
 * thread still away a scan period later counts again: its memory follows
 * it, and the keep follows its memory.  A time away ends with a sample
 * on the kept node, with knumad's census (once a pass) finding the thread
 * there, or with a change of node its ticks saw (knumad_settle_again():
 * it may have been back in between) - not with a pause in its samples:
 * memory of huge pages gives one sample a region and pass, a period or
 * more apart, and a rule that began a new time away at a sample after
 * such a gap ignored a thread the keep could not bring back for good
 * (numa01t with THP on 2 nodes).  Known limits: the change of node is
 * taken at the knumad thread's next visit, so a time away may last up
 * to two periods; and a thread that keeps changing node off its kept
 * node every pass (3 nodes or more), or shares its low pid bits with
 * one that does, has its samples ignored while that lasts.  The sample
 * still counts in the fault counts of the thread and the process (where
 * it ran).  Under km->lock, @kt current's entry.
 */
static bool knumad_away_from_keep(struct knumad_thread *kt, int this_nid,
				  bool own, unsigned long now)
{
	unsigned long period =
		msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms));
	int keep;

	if (!kt || !own)
		return false;
	keep = knumad_task_pref(current);
	return knumad_away_sample(kt, keep != NUMA_NO_NODE &&
				  keep != this_nid &&
				  !rcu_access_pointer(current->memsched_group) &&
				  cpumask_intersects(cpumask_of_node(keep),
						     &current->cpus_mask),
				  now, period);
}

/**
 * knumad_hint_fault - take a NUMA hinting fault as a knumad sample
 * @vma:	the faulting VMA
 * @addr:	the faulting address (huge page aligned for a PMD fault)
 * @folio:	the mapped folio; the page table lock is held
 * @pmd:	the fault came through a PMD mapping of @folio in @vma: a
 *		huge page mapped whole here, whatever maps it elsewhere
 *
 * Return: true if knumad took the fault: the caller restores the mapping
 * and does nothing else.  false for processes knumad does not scan, which
 * keep mainline's path.
 */
bool knumad_hint_fault(struct vm_area_struct *vma, unsigned long addr,
		       struct folio *folio, bool pmd)
{
	struct mm_struct *mm = vma->vm_mm;
	struct knumad_mm *km = READ_ONCE(mm->knumad);
	int this_nid = numa_node_id(), nid = folio_nid(folio);
	const u8 none = -1 & LAST__PID_MASK;
	struct knumad_region *r;
	int last, last_nid, prev, target, home, was;
	struct knumad_thread *kt;
	unsigned long now;
	u8 pid;
	bool huge, first, sole, alone;
	bool move = false;

	if (!km || !READ_ONCE(knumad_enabled) || !vma_is_anonymous(vma))
		return false;
	if (test_bit(MMF_NUMA_BALANCING_DISABLE, &mm->flags))
		return true;	/* armed before the opt-out: just restore */

	atomic_long_inc(&knumad_hint_faults);
	count_vm_numa_event(NUMA_HINT_FAULTS);
	count_memcg_folio_events(folio, NUMA_HINT_FAULTS, 1);
	if (nid == this_nid) {
		atomic_long_inc(&knumad_hint_faults_local);
		count_vm_numa_event(NUMA_HINT_FAULTS_LOCAL);
	}

	/*
	 * In memory tiering mode the field holds the access time of a folio
	 * on a slow tier: leave it to mainline, and learn from the region's
	 * previous sample instead (below).
	 */
	if (folio_use_access_time(folio)) {
		last_nid = NUMA_NO_NODE;
	} else {
		last = cpu_pid_to_cpupid(raw_smp_processor_id(), current->pid);
		last = folio_xchg_last_cpupid(folio, last);
		last_nid = knumad_prev_nid(last, this_nid, current->pid);
	}

	knumad_note_ran(mm);
	spin_lock(&km->lock);
	km->hint_faults++;
	if (nid == this_nid)
		km->hint_faults_local++;
	else
		km->busy = true;	/* misplaced, or shared: keep looking */
	km->faults[this_nid]++;
	km->faults[nr_node_ids + nid]++;
	/* not a remote GUP fault's node, nor a kthread's */
	if (current->mm == mm && !(current->flags & PF_KTHREAD))
		__set_bit(this_nid, km->present.bits);	/* km->lock held */
	kt = knumad_thread_fault(km, this_nid, nid);

	target = knumad_vma_home(vma);
	if (target == NUMA_NO_NODE) {
		/* A task policy (set_mempolicy()) wins over knumad. */
		if (current->mempolicy)
			goto out;
		r = xa_load(&km->regions, addr >> KNUMAD_REGION_SHIFT);
		if (!r)
			goto out;
		first = r->armed;
		r->armed = false;	/* sampled: it may be armed again */
		now = jiffies;	/* one instant for the whole sample */
		if (knumad_away_from_keep(kt, this_nid, current->mm == mm,
					  now)) {
			/* sampled again at the next pass: it may count then */
			r->settled = 0;
			goto out;
		}
		pid = current->mm == mm ? current->pid & LAST__PID_MASK : none;
		sole = knumad_region_sole(r, pid);
		prev = knumad_region_visit(r, this_nid, pid, first,
					   !km->regrouped ||
					   !time_before(now, km->regroup_at +
							KNUMAD_REGROUP_GRACE),
					   now);
		/* a first touch of the folio: the region's previous sample */
		if (last_nid == NUMA_NO_NODE)
			last_nid = prev;
		/*
		 * The first sample of the region in this pass votes for the
		 * thread that sampled it last in the one before.  One vote a
		 * region and pass: a thread that sweeps its memory takes all
		 * 16 samples of a region before another thread comes by, and
		 * counted per sample, sharing looked 16 times rarer than it
		 * is.  Not for a fault on another process's memory (remote
		 * GUP).
		 */
		if (kt && first && current->mm == mm)
			knumad_thread_peer(kt, current->pid, r->last_pid);
		/*
		 * A huge page's first sample counts as private, as mainline
		 * moves a folio at its first hinting fault: the region has
		 * no previous sample to stand in, and would wait a pass for
		 * one.  Memory used from two nodes moves once at most: the
		 * next sample from the other node contests the region, and
		 * a contested region keeps its destination.
		 */
		/*
		 * A huge page mapped whole, by a PMD here: not one split to
		 * PTEs, nor one that another process (a fork's other side)
		 * still maps by a PMD while this one maps it by PTEs - the
		 * region's other PTEs may map other folios anywhere.
		 */
		huge = pmd && folio_test_pmd_mappable(folio);
		if (last_nid == NUMA_NO_NODE && huge)
			last_nid = this_nid;
		was = r->last_nid;
		r->last_nid = this_nid;
		knumad_region_took(r, pid);
		r->last_tid = current->mm == mm ? current->pid : 0;
		last = r->target;
		/* a process's home, or the home of the thread's part */
		if (km->implicit)
			home = READ_ONCE(km->implicit->home_nid);
		else if (km->parts)
			home = knumad_split_home(km, kt ? kt->part :
						 NUMA_NO_NODE, r, now);
		else
			home = NUMA_NO_NODE;
		/* one thread's memory, no home: where it ran before is past */
		alone = sole && !km->implicit && !km->parts;
		if (alone && first)
			knumad_region_follow(r, nr_node_ids, this_nid, was);
		target = knumad_region_sample(r, nr_node_ids, this_nid,
					      last_nid, home,
					      huge ? KNUMAD_MIN_SAMPLES : 1,
					      now);
		/*
		 * Shared memory where none of its users runs.  Not for a
		 * fault from outside the process (remote GUP, a kthread
		 * using the mm): its node and cpuset are not the process's.
		 */
		if (!alone && current->mm == mm &&
		    !(current->flags & PF_KTHREAD))
			target = knumad_region_stranded(r, nr_node_ids,
							km->faults,
							knumad_present(km),
							&cpuset_current_mems_allowed,
							&node_states[N_MEMORY],
							nid, this_nid, last_nid,
							home, now);
		knumad_region_settle(r, target, nid, this_nid, huge);
		r->placed = km->placed;
		if (target != last) {
			km->busy = true;
			trace_knumad_region_target(mm, addr & PMD_MASK, last,
						   target);
		}
		/*
		 * Without a group: the memory of one thread goes where
		 * that thread samples it from, not to a destination held
		 * elsewhere (see knumad_region_sole()).
		 */
		if (alone && target != this_nid)
			target = NUMA_NO_NODE;
	}
	/*
	 * Never outside the faulting thread's cpuset mems, whatever the
	 * destination - a group's home included: the move may be made by
	 * the knumad thread, which no cpuset confines, or by another thread
	 * of the process, in another cpuset.
	 */
	if (target != NUMA_NO_NODE &&
	    !node_isset(target, cpuset_current_mems_allowed))
		target = NUMA_NO_NODE;
	if (target != NUMA_NO_NODE && target != nid &&
	    node_state(target, N_MEMORY)) {
		km->mems = cpuset_current_mems_allowed;
		km->busy = true;
		knumad_queue(km, folio, addr, target);
		xa_set_mark(&km->regions, addr >> KNUMAD_REGION_SHIFT,
			    XA_MARK_0);
		knumad_set_pending(km);
		move = true;
	}
out:
	spin_unlock(&km->lock);
	/*
	 * The region is learned: move it now, not a whole pass later - in
	 * this thread on its way back to user space, or, for a thread that
	 * does not go there or that faulted on another process's memory
	 * (remote GUP, ptrace), in the knumad thread.
	 */
	if (!move)
		return true;
	if (mm != current->mm ||
	    (current->flags & (PF_KTHREAD | PF_USER_WORKER | PF_EXITING))) {
		knumad_kick();
		return true;
	}
	/*
	 * Not for a PMD-mapped huge page (@pmd, not @huge: a region bound
	 * to a group took no sample, and left @huge unset): moving it here
	 * would serialise the sweep, the thread's next fault being the next
	 * huge page's sample.  The ticks of the process's threads, this
	 * one's too, queue steps of the pending work (knumad_task_tick():
	 * local ticks of fair tasks, one a jiffy, while the rate limit has
	 * tokens); the knumad thread, woken, leaves them KNUMAD_TASK_GRACE
	 * to start, and moves it if none has (threads asleep, no tick).
	 */
	if (pmd) {
		WRITE_ONCE(km->tick_work_at, jiffies);
		knumad_kick();
		return true;
	}
	if (!knumad_task_work_queue(current, TWA_RESUME))
		knumad_kick();
	return true;
}

/*
 * A hinting fault of the current thread at @addr of @vma found the PTE
 * changed when it took the page table lock (do_numa_page(), under it):
 * @pte, present and accessible, maps the folio now.  Usually another
 * thread's hinting fault on the same folio restored it meanwhile, and that
 * thread is the folio's last cpupid - the two touched one folio at one
 * moment: a vote for it as the current thread's peer
 * (knumad_thread_peer()).  Rarely something else restored it (an
 * mprotect(), a finished migration, which keeps the cpupid): the vote then
 * goes to the folio's last sampler, one vote among many, and a peer needs
 * a margin (knumad_peer_found()).  Of
 * two threads that sweep one buffer in step, the one behind takes only
 * these: the one ahead faults first on every armed page and the one
 * behind catches up while it is in the fault, so it comes first to a
 * region in a pass where the two drifted apart only - a vote or two in
 * seconds, none at all in some runs (make bench's vnuma on 2 nodes: a
 * thread with 0 or 1 samples in 5 s while its pair's other thread had
 * 800 a second).  It counts for the thread as a sample does - from which
 * node it touched memory on which (knumad_thread_fault(), which makes
 * its entry: the thread behind may never win a fault) - but not for the
 * region: the winner's fault counted it.  Nothing for remote GUP.
 */
void knumad_hint_raced(struct vm_area_struct *vma, unsigned long addr,
		       pte_t pte)
{
	struct mm_struct *mm = vma->vm_mm;
	struct knumad_mm *km = READ_ONCE(mm->knumad);
	struct knumad_thread *kt;
	struct folio *folio;
	int last;

	if (!km || !READ_ONCE(knumad_enabled) || current->mm != mm ||
	    test_bit(MMF_NUMA_BALANCING_DISABLE, &mm->flags) ||
	    !vma_is_anonymous(vma) || !pte_present(pte) || pte_protnone(pte))
		return;
	folio = vm_normal_folio(vma, addr, pte);
	if (!folio || folio_is_zone_device(folio) ||
	    folio_use_access_time(folio))
		return;
	last = folio_last_cpupid(folio);
	if (cpupid_pid_unset(last) || __cpupid_match_pid(current->pid, last))
		return;
	spin_lock(&km->lock);
	kt = knumad_thread_fault(km, numa_node_id(), folio_nid(folio));
	if (kt)
		knumad_thread_peer(kt, current->pid, cpupid_to_pid(last));
	spin_unlock(&km->lock);
}

/* ---------------------------------------------------------------------- */
/* Migration, in task work and in the thread */

/*
 * The rate limit: one bucket of pages for every mover, filled at
 * migrate_rate_limit_mbps, holding at most a second's worth.
 */
static DEFINE_SPINLOCK(knumad_tokens_lock);
static unsigned long knumad_tokens;
static unsigned long knumad_tokens_at;		/* jiffies of the last fill */
static u32 knumad_tokens_rem;	/* thousandths of a page earned, not given */

/*
 * Take up to @want pages of migration budget; with @all, @want pages (at
 * most what the bucket holds) or none.
 */
static unsigned long knumad_tokens_take(unsigned long want, bool all)
{
	unsigned int rate = READ_ONCE(knumad_rate_limit_mbps);
	unsigned long now, ms, got, level;
	unsigned long max = knumad_rate_pages(rate, MSEC_PER_SEC);
	u64 earned;

	spin_lock(&knumad_tokens_lock);
	now = jiffies;
	/* clamped in jiffies: jiffies_to_msecs() is 32 bits */
	ms = jiffies_to_msecs(min_t(unsigned long, now - knumad_tokens_at, HZ));
	/*
	 * Movers take often, a jiffy apart or less: keep the fraction of a
	 * page each fill earns, or a low rate would earn nothing at all.
	 */
	earned = (u64)rate * ms * (SZ_1M / PAGE_SIZE) + knumad_tokens_rem;
	level = min_t(u64, knumad_tokens +
		      div_u64_rem(earned, MSEC_PER_SEC, &knumad_tokens_rem),
		      max);
	got = min(want, level);
	if (all && got < min(want, max))
		got = 0;
	/* WRITE_ONCE: knumad_tokens_ready() reads them without the lock */
	WRITE_ONCE(knumad_tokens_at, now);
	WRITE_ONCE(knumad_tokens, level - got);
	spin_unlock(&knumad_tokens_lock);
	return got;
}

/*
 * Might a take of @want pages (at most what the bucket holds) succeed
 * now?  A lockless estimate, for the tick.
 */
static bool knumad_tokens_ready(unsigned long want)
{
	unsigned int rate = READ_ONCE(knumad_rate_limit_mbps);
	unsigned long max = knumad_rate_pages(rate, MSEC_PER_SEC);
	unsigned long ms = jiffies_to_msecs(min_t(unsigned long, jiffies -
						  READ_ONCE(knumad_tokens_at),
						  HZ));

	return READ_ONCE(knumad_tokens) + knumad_rate_pages(rate, ms) >=
	       min(want, max);
}

/* Give back what a mover took and did not use. */
static void knumad_tokens_put(unsigned long left)
{
	unsigned int rate = READ_ONCE(knumad_rate_limit_mbps);

	if (!left)
		return;
	spin_lock(&knumad_tokens_lock);
	WRITE_ONCE(knumad_tokens, min(knumad_tokens + left,
				      knumad_rate_pages(rate, MSEC_PER_SEC)));
	spin_unlock(&knumad_tokens_lock);
}

/* knumad is off: the bucket starts empty when it is enabled again. */
static void knumad_tokens_reset(void)
{
	spin_lock(&knumad_tokens_lock);
	WRITE_ONCE(knumad_tokens, 0);
	knumad_tokens_rem = 0;
	WRITE_ONCE(knumad_tokens_at, jiffies);
	spin_unlock(&knumad_tokens_lock);
}

/**
 * struct knumad_batch - one mover's folios and accounting
 * @folios:	isolated folios to move to one node.
 * @nr:		pages on @folios.
 * @thp:	huge pages on @folios.
 * @budget:	pages the rate limit still allows this mover.
 * @isolate_failed: a folio was not on an LRU list (still in a per-CPU
 *		batch, or being freed).
 * @short_budget: a huge page the budget could not pay for now was met.
 * @left:	a folio of the region being moved stayed where it was (not
 *		isolated, or its migration failed), or one was being
 *		migrated by another mover.
 * @huge:	a huge page mapped by a PMD was met in the region being
 *		moved (moved, or already at the destination).
 * @pte_mapped:	a page table of base page entries was met in it.
 * @task:	the mover is a thread of the process, in task work.
 * @regions:	regions it may still claim (task work only).
 * @moved:	pages it moved.
 * @from:	the mover's CPU time when it was last charged.
 *
 * The mover's CPU time is charged to the process it works for as it goes
 * (per batch moved, per VMA armed), so a reader of /proc/<pid>/memsched
 * sees a long move while it runs.
 */
struct knumad_batch {
	struct list_head folios;
	unsigned long nr;
	unsigned long thp;
	unsigned long budget;
	bool short_budget;
	bool isolate_failed;
	bool left;
	bool huge;
	bool pte_mapped;
	bool task;
	unsigned int regions;
	unsigned long moved;
	u64 from;
};

static void knumad_charge_start(struct knumad_batch *b)
{
	b->from = task_sched_runtime(current);
}

/*
 * Charge the mover's CPU time since the last charge to @km: to @scan_ns
 * or @migrate_ns for the knumad thread (which alone writes them), to
 * @task_migrate_ns for a thread of the process.
 */
static void knumad_charge(struct knumad_mm *km, struct knumad_batch *b,
			  bool scan)
{
	u64 now = task_sched_runtime(current), ns = now - b->from;

	b->from = now;
	if (b->task) {
		spin_lock(&km->lock);
		km->task_migrate_ns += ns;
		spin_unlock(&km->lock);
	} else if (scan) {
		WRITE_ONCE(km->scan_ns, km->scan_ns + ns);
	} else {
		WRITE_ONCE(km->migrate_ns, km->migrate_ns + ns);
	}
}

/*
 * A destination found short of memory is left alone for a second: no
 * folio is isolated for it, nothing is reclaimed there for us.
 */
#define KNUMAD_FULL_BACKOFF	HZ
static unsigned long knumad_full_until[MAX_NUMNODES];

static bool knumad_node_full(int nid)
{
	return time_before(jiffies, READ_ONCE(knumad_full_until[nid]));
}

static bool knumad_isolate(struct knumad_batch *b, struct folio *folio)
{
	long nr = folio_nr_pages(folio);

	/*
	 * Not anonymous, shared, or maybe pinned for DMA (a VFIO guest's
	 * memory): a move would fail, or would be wrong.
	 */
	if (!folio_test_anon(folio) || folio_is_zone_device(folio) ||
	    folio_likely_mapped_shared(folio) || folio_maybe_dma_pinned(folio)) {
		b->left = true;
		return false;
	}
	if (nr > b->budget) {
		/*
		 * A huge page the budget cannot pay for now: its region
		 * waits, marked.  One no bucket can ever pay for (a rate
		 * limit of less than a huge page a second) is skipped, or
		 * it would hold the region and the process pending forever.
		 */
		if (nr <= knumad_rate_pages(READ_ONCE(knumad_rate_limit_mbps),
					    MSEC_PER_SEC))
			b->short_budget = true;
		else
			b->left = true;
		return false;
	}
	if (!folio_isolate_lru(folio)) {
		b->isolate_failed = true;
		b->left = true;
		return false;
	}
	node_stat_mod_folio(folio, NR_ISOLATED_ANON + folio_is_file_lru(folio),
			    nr);
	list_add_tail(&folio->lru, &b->folios);
	if (folio_test_pmd_mappable(folio))
		b->thp++;
	b->nr += nr;
	b->budget -= nr;
	return true;
}

/*
 * Move the batch to @nid with mainline's rules for misplaced folios: no
 * reclaim or compaction on @nid (memsched_alloc_dst()), nothing at all
 * if @nid has no room above its high watermarks (then @nid is left
 * alone for KNUMAD_FULL_BACKOFF), huge pages whole (MR_NUMA_MISPLACED
 * never splits one to retry).
 */
static void knumad_migrate_batch(struct knumad_mm *km, struct knumad_batch *b,
				 int nid)
{
	unsigned int nr_succeeded = 0;
	unsigned long thp_left = 0, failed = 0;
	struct folio *folio;

	if (list_empty(&b->folios))
		return;
	if (!memsched_node_has_room(nid, b->nr))
		WRITE_ONCE(knumad_full_until[nid],
			   jiffies + KNUMAD_FULL_BACKOFF);
	else
		migrate_pages(&b->folios, memsched_alloc_dst, NULL, nid,
			      MIGRATE_ASYNC, MR_NUMA_MISPLACED,
			      &nr_succeeded);
	b->nr = 0;
	/* Charge as we go: /proc readers see a long move while it runs. */
	knumad_charge(km, b, false);
	list_for_each_entry(folio, &b->folios, lru) {
		failed += folio_nr_pages(folio);
		if (folio_test_pmd_mappable(folio))
			thp_left++;
	}
	if (!list_empty(&b->folios)) {
		putback_movable_pages(&b->folios);
		b->left = true;
	}

	if (nr_succeeded) {
		count_vm_numa_events(NUMA_PAGE_MIGRATE, nr_succeeded);
		count_memcg_events_mm(km->mm, NUMA_PAGE_MIGRATE, nr_succeeded);
	}
	trace_knumad_migrate(km->mm, nid, nr_succeeded,
			     b->thp - min(thp_left, b->thp), failed);
	b->moved += nr_succeeded;
	/* movers run in parallel */
	spin_lock(&km->lock);
	km->pages_migrated += nr_succeeded;
	km->thp_migrated += b->thp - min(thp_left, b->thp);
	km->migrate_failed += failed;
	spin_unlock(&km->lock);
	atomic_long_add(nr_succeeded, &knumad_pages_migrated);
	atomic_long_add(b->thp - min(thp_left, b->thp), &knumad_thp_migrated);
	atomic_long_add(failed, &knumad_migrate_failed);
	b->thp = 0;
}

/*
 * A thread of the process moves only into its own cpuset's mems (the
 * allocation would fail anyway); the destinations were checked against
 * the mems of the thread whose fault asked, which may be another one.
 */
static bool knumad_mover_may(struct knumad_batch *b, int nid)
{
	return !b->task || node_isset(nid, cpuset_current_mems_allowed);
}

/*
 * Move the folios the faults queued, a batch per destination node.
 * mmap_lock is held for read, so the VMAs looked up stay.  What the rate
 * limit does not allow is dropped: the region's bulk move gets it later.
 *
 * The knumad thread moves a step's worth (KNUMAD_TASK_MOVE_PAGES, and
 * the folio that crosses it) a batch, and between two batches stands
 * back as soon as the threads move again, or leaves mmap_lock to a
 * waiting writer, as it does between two regions; what it leaves stays
 * queued, with its reference.  The queue holds up to KNUMAD_QUEUE_LEN
 * folios, huge ones too.  It took up to 16 huge pages (its visit's whole
 * share) in one batch and held them isolated, and mmap_lock, through one
 * long migrate_pages(), while the threads' steps met their regions and
 * could not take them (knumad.misplaced_thp: moves of 1,536 to 8,192
 * pages at once in 4 of 10 runs; the knumad thread moved 29 and 28 of
 * the 32 huge pages in a CI run and in 1 of 8 runs).
 */
static void knumad_migrate_queued(struct knumad_mm *km, struct knumad_batch *b)
{
	unsigned int i;
	bool more;
	int nid;

	for_each_node_state(nid, N_MEMORY) {
		if (!knumad_mover_may(b, nid))
			continue;	/* left queued, for the knumad thread */
		do {
			more = false;
			spin_lock(&km->lock);
			for (i = 0; i < km->nr_queued; i++) {
				struct knumad_queued *q = &km->queue[i];
				struct vm_area_struct *vma;

				if (q->nid != nid)
					continue;
				if (!b->task && b->budget &&
				    b->nr >= KNUMAD_TASK_MOVE_PAGES) {
					more = true;	/* after this batch */
					break;
				}
				vma = vma_lookup(km->mm, q->addr);
				if (vma && knumad_vma_eligible(vma) &&
				    folio_nid(q->folio) != nid &&
				    !knumad_node_full(nid))
					knumad_isolate(b, q->folio);
				/* Isolation took a reference of its own. */
				folio_put(q->folio);
				km->queue[i--] = km->queue[--km->nr_queued];
			}
			spin_unlock(&km->lock);
			knumad_migrate_batch(km, b, nid);
		} while (more && !knumad_threads_move(km) &&
			 !mmap_lock_is_contended(km->mm));
		if (more)
			break;	/* theirs now, or mmap_lock is wanted */
	}
	/* a queued huge page left for want of budget: its region has it */
	b->short_budget = false;
}

struct knumad_collect {
	struct knumad_batch *b;
	int nid;
	struct folio *prev;	/* a PTE-mapped large folio is met per page */
};

static void knumad_collect_folio(struct knumad_collect *c, struct folio *folio)
{
	if (folio == c->prev || folio_nid(folio) == c->nid)
		return;
	c->prev = folio;
	knumad_isolate(c->b, folio);
}

static int knumad_collect_pmd(pmd_t *pmd, unsigned long addr,
			      unsigned long end, struct mm_walk *walk)
{
	struct knumad_collect *c = walk->private;
	struct vm_area_struct *vma = walk->vma;
	spinlock_t *ptl;	/* the page table lock of @pmd */
	pte_t *start_pte, *pte;

	if (!c->b->budget || c->b->short_budget)
		return 1;	/* the rate limit is spent: stop the walk */
	ptl = pmd_trans_huge_lock(pmd, vma);
	if (ptl) {
		struct page *page = NULL;

		__acquire(ptl);	/* for sparse: taken by pmd_trans_huge_lock() */
		if (pmd_present(*pmd))
			page = vm_normal_page_pmd(vma, addr, *pmd);
		else
			c->b->left = true;	/* another mover's migration */
		if (page) {
			c->b->huge = true;
			knumad_collect_folio(c, page_folio(page));
		}
		spin_unlock(ptl);
		return 0;
	}

	start_pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	if (!start_pte) {
		walk->action = ACTION_AGAIN;
		return 0;
	}
	__acquire(RCU);	/* for sparse: pte_unmap() ends it */
	c->b->pte_mapped = true;
	for (pte = start_pte; addr < end && c->b->budget && !c->b->short_budget;
	     pte++, addr += PAGE_SIZE) {
		pte_t ptent = ptep_get(pte);
		struct page *page;

		if (!pte_present(ptent))
			continue;
		page = vm_normal_page(vma, addr, ptent);
		if (page)
			knumad_collect_folio(c, page_folio(page));
	}
	pte_unmap_unlock(start_pte, ptl);
	cond_resched();
	return 0;
}

static const struct mm_walk_ops knumad_collect_ops = {
	.pmd_entry = knumad_collect_pmd,
	.walk_lock = PGWALK_RDLOCK,
};

/* Isolate the folios of [start, end) that are not on @nid. */
static void knumad_collect_range(struct vm_area_struct *vma,
				 unsigned long start, unsigned long end,
				 int nid, struct knumad_batch *b)
{
	struct knumad_collect c = { .b = b, .nid = nid };

	walk_page_range_vma(vma, start, end, &knumad_collect_ops, &c);
}

/*
 * Take region @index's bulk move, if it still waits: of movers running
 * in parallel, one walks it.
 */
static bool knumad_region_claim(struct knumad_mm *km, unsigned long index)
{
	bool marked;

	xa_lock(&km->regions);
	marked = xa_get_mark(&km->regions, index, XA_MARK_0);
	if (marked)
		__xa_clear_mark(&km->regions, index, XA_MARK_0);
	xa_unlock(&km->regions);
	return marked;
}

/*
 * The pass a region moved now counts as sampled in: the one under way
 * (knumad_mm::seq, as a region armed in it), or between two passes the
 * one that ended.  The pass's end clears scan_addr before it counts the
 * pass (knumad_scan_mm()): a mover that reads the new count reads the
 * cleared address too.
 */
static unsigned int knumad_pass_seq(struct knumad_mm *km)
{
	unsigned int seq = READ_ONCE(km->seq);

	smp_rmb();	/* pairs with smp_wmb() in knumad_scan_mm() */
	return READ_ONCE(km->scan_addr) ? seq : seq - 1;
}

/*
 * Whether the region @b just walked was one huge page, now at the
 * destination: a PMD mapping of a folio met, no page table of base
 * pages, and nothing left behind.
 */
static bool knumad_batch_moved_huge(const struct knumad_batch *b)
{
	return b->huge && !b->pte_mapped && !b->left;
}

/*
 * Region @index was moved to its destination, where the samples that
 * chose it were taken: settled, as after a local sample there, and its
 * next sample confirms the move two scan periods later - the move took the
 * rest of the region (512 pages) on the word of samples of 16.  One huge
 * page moved whole (@huge) was all in the sample that moved it: a
 * confirmation would fault on the same folio, only to find it where the
 * move put it, so it is settled as far as local samples settle a region
 * (KNUMAD_MAX_SETTLED).  A thread changing node still samples it at
 * once (knumad_region_waits()); a huge page used from two nodes is
 * contested by its first sample from the other one, up to 8 scan
 * periods later instead of 2 - and a contested region keeps its
 * destination either way.
 * Not settled while a thread's change of node waits for the next pass
 * (@thread_moved): the thread whose samples chose the destination may
 * have left it, and the region's next sample must not wait (numa02 on 2
 * nodes: a thread that went back to its first node left 40% of its slice
 * on the other for 2 s, the two passes a region moved meanwhile waited).
 * The flag is the process's: while the load balancer keeps moving its
 * threads, its moved regions are sampled at the next pass, as its
 * settled ones are - within pages_to_scan.
 * A region moved between two passes counts as sampled in the pass that
 * ended, not in the next one: a thread that changes node before that
 * one starts has its regions sampled again from it (knumad_settle_again()
 * names the next pass then), and the move was before the change.  As the
 * next pass's (knumad_mm::seq, which a region armed in it gets), it waited
 * 8 scan periods: numa02 with THP on 4 nodes, a thread's huge pages
 * moved to the node it ran on at 1-2 s, no pass while its threads were
 * moving memory, the split sent it home elsewhere at 2.7 s, and 60% of
 * its memory stayed behind to the end of the run (8 s).
 */
static void knumad_region_moved(struct knumad_mm *km, unsigned long index,
				bool huge)
{
	struct knumad_region *r;

	spin_lock(&km->lock);
	r = xa_load(&km->regions, index);
	if (r && r->target != NUMA_NO_NODE && !r->armed && !r->settled &&
	    !READ_ONCE(km->thread_moved)) {
		r->settled = huge ? KNUMAD_MAX_SETTLED : 1;
		r->armed_seq = knumad_pass_seq(km);
		r->armed_period = READ_ONCE(knumad_scan.periods);
	}
	spin_unlock(&km->lock);
}

/*
 * Was region @r's destination, which its bulk move goes to, last sampled
 * before its split process's placement changed (knumad_placed()), by a
 * thread that is now in a part at another home?  The destination was
 * chosen for where that thread ran then, and a huge page asked to move
 * is not sampled again until it moved: numa02 with THP on 4 nodes, a
 * thread's huge pages asked to go where it ran at 0.5 s went there at
 * 5 s, 3.7 s after the split put it in a part elsewhere (final 0.83).
 * The region is sampled again at the process's next pass instead, and
 * asks for its thread's home (knumad_split_home()).  The folio whose
 * fault asked is moved at once, from knumad_mm::queue: not a waiting
 * move.  Only the thread's own part decides: a change of the placement
 * as a whole (every waiting move of the process dropped) also dropped the
 * moves that take the memory of threads put together in one part to its
 * home, and pairs of threads that share memory never settled.  In a
 * process without a group or parts, the memory of one thread whose
 * bulk move goes to another node than where the thread is kept, or runs
 * when it is kept nowhere: asked while the load balancer had it away.
 * In a process with an implicit group, a destination other than the
 * home, sampled before the group came, for a region whose samples do not
 * say it is shared (those keep their destination under a home, as
 * knumad_region_sample() keeps it): the home decides now.  numa01t with
 * THP on 2 nodes: a thread the load balancer had on the other node for
 * 0.34 s asked for its huge pages there; its process got a home on its
 * own node at the first look, while it was still away, and the waiting
 * moves took 250 of its 512 sampled pages away from it, and from the
 * home, over 5 s while it ran at home (final 0.84).  Under km->lock.
 */
static bool knumad_region_stale(struct knumad_mm *km,
				const struct knumad_region *r)
{
	struct knumad_thread *kt;
	struct task_struct *t;
	int nid = NUMA_NO_NODE;

	lockdep_assert_held(&km->lock);
	if (km->implicit) {
		if (r->placed == (u16)km->placed)
			return false;
		nid = READ_ONCE(km->implicit->home_nid);
		return nid != NUMA_NO_NODE && r->target != nid &&
		       r->xnode * 4 <= r->nr;
	}
	if (!r->last_tid)
		return false;
	/*
	 * Without a group: the memory of one thread (knumad_region_sole())
	 * goes where that thread is kept, or runs when it is kept nowhere -
	 * not where it ran when the move was asked.
	 */
	if (!km->parts) {
		if (!knumad_region_sole(r, r->last_pid))
			return false;
		rcu_read_lock();
		t = find_task_by_pid_ns(r->last_tid, &init_pid_ns);
		if (t && READ_ONCE(t->mm) == km->mm) {
			/* a keep the thread may not run at is no keep */
			nid = knumad_task_pref(t);
			if (nid == NUMA_NO_NODE ||
			    !cpumask_intersects(cpumask_of_node(nid),
						t->cpus_ptr))
				nid = task_node(t);
		}
		rcu_read_unlock();
		return nid != NUMA_NO_NODE && nid != r->target;
	}
	if (r->placed == (u16)km->placed)
		return false;
	kt = xa_load(&km->threads, r->last_tid);
	if (!kt || kt->part == NUMA_NO_NODE || !km->parts[kt->part])
		return false;
	return knumad_part_home(km, kt->part) != r->target;
}

/*
 * Move the rest of each region that has a destination.  Movers run in
 * parallel with each other and with the scan, which frees regions under
 * knumad_mm::lock: a region is looked up, and used, under it only.
 */
static void knumad_migrate_regions(struct knumad_mm *km,
				   struct knumad_batch *b)
{
	unsigned long index = 0;
	void *entry;

	xa_for_each_marked(&km->regions, index, entry, XA_MARK_0) {
		unsigned long start = index << KNUMAD_REGION_SHIFT;
		unsigned long end = start + KNUMAD_REGION_SIZE;
		struct knumad_region *r;
		struct vm_area_struct *vma;
		struct vma_iterator vmi;
		bool leave = false, skipped = false;
		int nid;

		/* Leave the rest for later if mmap_lock is wanted. */
		if (!b->budget || mmap_lock_is_contended(km->mm))
			break;
		b->short_budget = false;
		/* A thread walks a few regions, and none once it is killed. */
		if (b->task && (!b->regions || fatal_signal_pending(current)))
			break;
		/*
		 * The knumad thread moves what the threads leave: it stands
		 * back between two regions as soon as they move again, not
		 * at the end of its visit (32 MiB: 9 s of a debug kernel's
		 * moving under TCG, while the threads were moving too).
		 */
		if (!b->task && knumad_threads_move(km))
			break;
		if (!knumad_region_claim(km, index))
			continue;
		if (b->task)
			b->regions--;
		b->left = false;
		b->huge = false;
		b->pte_mapped = false;
		vma_iter_init(&vmi, km->mm, start);
		for_each_vma_range(vmi, vma, end) {
			if (!knumad_vma_eligible(vma))
				continue;
			nid = knumad_vma_home(vma);
			spin_lock(&km->lock);
			r = xa_load(&km->regions, index);
			/* the move may take the armed sample with it */
			if (r)
				r->armed = false;
			if (nid == NUMA_NO_NODE && r) {
				if (knumad_region_stale(km, r))
					r->settled = 0;	/* sampled again */
				else
					nid = r->target;
			}
			/* the cpuset mems the last fault that asked allowed */
			if (nid != NUMA_NO_NODE && !node_isset(nid, km->mems))
				nid = NUMA_NO_NODE;
			spin_unlock(&km->lock);
			if (nid == NUMA_NO_NODE || !node_state(nid, N_MEMORY) ||
			    knumad_node_full(nid)) {
				skipped = true;
				continue;
			}
			if (!knumad_mover_may(b, nid)) {
				leave = true;	/* the knumad thread's */
				continue;
			}
			knumad_collect_range(vma, max(start, vma->vm_start),
					     min(end, vma->vm_end), nid, b);
			knumad_migrate_batch(km, b, nid);
		}
		/*
		 * The budget ran out in it, maybe, or could not pay for a
		 * huge page there (before, that page waited for a new fault
		 * to mark its region again): the rest waits.
		 */
		if (!b->budget || b->short_budget || leave) {
			if (READ_ONCE(knumad_enabled))
				xa_set_mark(&km->regions, index, XA_MARK_0);
		} else if (!skipped) {
			knumad_region_moved(km, index,
					    knumad_batch_moved_huge(b));
		}
	}
}

/*
 * Forget @km's migration work: knumad was disabled or the process opted
 * out.  The queued folios' references go (they would keep up to 64
 * folios, huge ones too, from compaction and offlining), and the marked
 * regions are not moved.
 */
static void knumad_drop_work(struct knumad_mm *km)
{
	unsigned long index = 0;
	struct knumad_region *r;
	unsigned int i;

	spin_lock(&km->lock);
	WRITE_ONCE(km->pending, false);
	knumad_pending_del(km);
	for (i = 0; i < km->nr_queued; i++)
		folio_put(km->queue[i].folio);
	km->nr_queued = 0;
	spin_unlock(&km->lock);
	xa_for_each_marked(&km->regions, index, r, XA_MARK_0)
		xa_clear_mark(&km->regions, index, XA_MARK_0);
}

/*
 * Migration work for @km; mmap_lock is held for read.  @km stays pending
 * while the move runs: the ticks of its threads go on queueing steps, and
 * the threads claim regions beside this mover (a slow mover - the knumad
 * thread on a walk of many regions - once hid the work from them, and
 * they stood by for 23 s).  It is cleared only when no work is left: a
 * fault marks its region and queues its folio under @lock, so either the
 * check below sees them, or the fault sets @pending again after it.
 */
static void knumad_migrate(struct knumad_mm *km, struct knumad_batch *b)
{
	knumad_migrate_queued(km, b);
	knumad_migrate_regions(km, b);
	spin_lock(&km->lock);
	if (READ_ONCE(knumad_enabled) &&
	    (km->nr_queued || xa_marked(&km->regions, XA_MARK_0))) {
		/* what the budget or a contended mmap_lock left waits */
		WRITE_ONCE(km->pending, true);
		knumad_pending_requeue(km);
	} else {
		WRITE_ONCE(km->pending, false);
		knumad_pending_del(km);
	}
	spin_unlock(&km->lock);
}

/*
 * Task work of a thread whose fault left migration work, or whose tick
 * found some pending (a huge page's fault leaves it to the ticks): move
 * up to KNUMAD_TASK_MOVE_PAGES of its process's queued folios and marked
 * regions, within the rate limit - at the thread's priority, on its CPU
 * time and in its cpuset (the faults checked the destination against
 * it), several threads of a process in parallel.  It only tries
 * mmap_lock: if it is taken for write, the knumad thread does the work
 * instead.  It takes a whole step's budget or none (a huge page is
 * moved whole).  What the budget leaves stays pending, for the next
 * fault's or tick's task work, or for the knumad thread (woken for it)
 * once the threads stop making progress.
 */
static void knumad_task_move(struct knumad_mm *km)
{
	struct knumad_batch b = {
		.folios = LIST_HEAD_INIT(b.folios),
		.task = true,
		.regions = KNUMAD_TASK_MOVE_REGIONS,
	};
	struct mm_struct *mm = km->mm;
	bool budgeted;

	if (!READ_ONCE(knumad_enabled) ||
	    test_bit(MMF_NUMA_BALANCING_DISABLE, &mm->flags))
		return;
	/* work left for the knumad thread alone keeps km->pending set */
	if (!READ_ONCE(km->nr_queued) && !xa_marked(&km->regions, XA_MARK_0))
		return;
	if (!mmap_read_trylock(mm)) {
		knumad_kick();
		return;
	}
	atomic_inc(&km->task_movers);
	/*
	 * Counted before the checks, against the disarm pass, which reads
	 * task_movers after knumad_enabled was cleared and the thread woken
	 * (a full barrier): either it sees this mover and waits for it, or
	 * this mover sees knumad disabled.  The opt-out takes mmap_lock for
	 * write, so its flag is stable now.
	 */
	smp_mb__after_atomic();
	if (READ_ONCE(knumad_enabled) &&
	    !test_bit(MMF_NUMA_BALANCING_DISABLE, &mm->flags))
		b.budget = knumad_tokens_take(KNUMAD_TASK_MOVE_PAGES, true);
	budgeted = b.budget;
	if (b.budget) {
		knumad_charge_start(&b);
		knumad_migrate(km, &b);
		knumad_charge(km, &b, false);
		/* the thread stands back only while threads make progress */
		if (b.moved)
			WRITE_ONCE(km->task_move_at, jiffies);
	}
	atomic_dec(&km->task_movers);
	mmap_read_unlock(mm);
	knumad_tokens_put(b.budget);
	if (b.isolate_failed)
		lru_add_drain();	/* this CPU's fresh folios */
	/*
	 * The knumad thread moves what is left once the threads stop.  Not
	 * woken for a step the rate limit left without budget: it could not
	 * move either, and looks at pending work every HZ / 10 anyway.
	 */
	if (budgeted && READ_ONCE(km->pending))
		knumad_kick();
}

/* ---------------------------------------------------------------------- */
/* Scanning, in the thread */

static struct knumad_region *knumad_region(struct knumad_mm *km,
					   unsigned long addr)
{
	unsigned long index = addr >> KNUMAD_REGION_SHIFT;
	struct knumad_region *r = xa_load(&km->regions, index);

	if (r)
		return r;
	if (km->nr_regions >= KNUMAD_MAX_REGIONS)
		return NULL;
	/* charged to the process's memcg: see knumad_scan_mm() */
	r = kzalloc(struct_size(r, weight, nr_node_ids),
		    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!r)
		return NULL;
	r->target = NUMA_NO_NODE;
	r->last_nid = NUMA_NO_NODE;
	r->from_nid = NUMA_NO_NODE;
	r->last_pid = -1 & LAST__PID_MASK;
	r->prev_pid = -1 & LAST__PID_MASK;
	if (xa_err(xa_store(&km->regions, index, r,
			    GFP_KERNEL_ACCOUNT | __GFP_NOWARN))) {
		kfree(r);
		return NULL;
	}
	WRITE_ONCE(km->nr_regions, km->nr_regions + 1);
	return r;
}

/*
 * Free the regions that lie wholly in [@start, @end): no memory is
 * present there (any more).  Faults use a region under km->lock only.
 */
static void knumad_regions_drop(struct knumad_mm *km, unsigned long start,
				unsigned long end)
{
	unsigned long first = DIV_ROUND_UP(start, KNUMAD_REGION_SIZE);
	unsigned long last = end >> KNUMAD_REGION_SHIFT;
	struct knumad_region *r;
	unsigned long index;

	if (last <= first)
		return;
	xa_for_each_range(&km->regions, index, r, first, last - 1) {
		spin_lock(&km->lock);
		xa_erase(&km->regions, index);
		WRITE_ONCE(km->nr_regions, km->nr_regions - 1);
		spin_unlock(&km->lock);
		kfree(r);
	}
}

/*
 * Finding the next region with memory present: a page walk, which skips
 * an empty PGD, P4D, PUD or PMD entry at the cost of reading it, counted
 * in @entries against @max_entries.
 */
struct knumad_find {
	long entries;
	long max_entries;
	bool present;		/* found memory in the region at @addr */
	bool huge;		/* ... mapped by a huge page */
	unsigned long addr;
	unsigned long stop;	/* where the walk ran out of @max_entries */
};

static int knumad_find_hole(unsigned long addr, unsigned long next,
			    int depth, struct mm_walk *walk)
{
	struct knumad_find *f = walk->private;

	if (++f->entries < f->max_entries)
		return 0;
	f->stop = next;
	return 1;
}

static int knumad_find_pmd(pmd_t *pmd, unsigned long addr,
			   unsigned long end, struct mm_walk *walk)
{
	struct knumad_find *f = walk->private;
	spinlock_t *ptl;	/* the page table lock of @pmd */
	pte_t *start_pte, *pte;
	unsigned long a;

	ptl = pmd_trans_huge_lock(pmd, walk->vma);
	if (ptl) {
		__acquire(ptl);	/* for sparse: taken by pmd_trans_huge_lock() */
		f->huge = pmd_present(*pmd);
		spin_unlock(ptl);
		if (f->huge) {
			f->present = true;
			f->addr = addr;
			return 1;
		}
		return knumad_find_hole(addr, end, 1, walk);
	}
	start_pte = pte_offset_map_lock(walk->mm, pmd, addr, &ptl);
	if (!start_pte) {
		walk->action = ACTION_AGAIN;
		return 0;
	}
	__acquire(RCU);	/* for sparse: pte_unmap() ends it */
	for (pte = start_pte, a = addr; a < end; pte++, a += PAGE_SIZE)
		if (pte_present(ptep_get(pte)))
			break;
	pte_unmap_unlock(start_pte, ptl);
	if (a < end) {
		f->present = true;
		f->addr = addr;
		return 1;
	}
	/* a page table with nothing present: a page of budget */
	f->entries += KNUMAD_HOLE_ENTRIES - 1;
	return knumad_find_hole(addr, end, 1, walk);
}

static const struct mm_walk_ops knumad_find_ops = {
	.pmd_entry = knumad_find_pmd,
	.pte_hole = knumad_find_hole,
	.walk_lock = PGWALK_RDLOCK,
};

/*
 * change_prot_numa(), but also on top-tier nodes when kernel.numa_balancing
 * is off.  The caller holds an mm_users reference besides the process's
 * own, so change_pte_range() never takes the process for single-threaded
 * and skips pages on the node knumad happens to run on.  The TLB flush is
 * left to the caller's tlb_finish_mmu(), one for the samples of several
 * regions (KNUMAD_FLUSH_REGIONS): a flush per region cost the knumad
 * thread 2.6 s of CPU in 10 s of numa02 (four threads of 320 MiB, 2
 * nodes), 80% of it waiting for the flush IPIs to the CPUs running the
 * process.
 */
static long knumad_arm(struct mmu_gather *tlb, struct vm_area_struct *vma,
		       unsigned long start, unsigned long end)
{
	long nr;

	nr = change_protection(tlb, vma, start, end,
			       MM_CP_PROT_NUMA | MM_CP_NUMA_SAMPLE);
	if (nr > 0) {
		count_vm_numa_events(NUMA_PTE_UPDATES, nr);
		count_memcg_events_mm(vma->vm_mm, NUMA_PTE_UPDATES, nr);
	}
	return nr;
}

/*
 * Arm the sample of each region of @vma with memory present, from
 * km->scan_addr on, until the *@budget pages are spent: armed pages, a
 * page per region visited, a page per KNUMAD_HOLE_ENTRIES empty entries
 * skipped.  Regions where no memory is present are freed on the way.
 * Returns false when the budget ran out first.
 */
static bool knumad_scan_vma(struct knumad_mm *km, struct vm_area_struct *vma,
			    long *budget)
{
	/*
	 * The same chunk for KNUMAD_ROTATE_PASSES passes, so its folios are
	 * sampled again and their last cpupid tells shared from private.
	 */
	unsigned long off = (km->seq / KNUMAD_ROTATE_PASSES *
			     KNUMAD_SAMPLE_PAGES % HPAGE_PMD_NR) << PAGE_SHIFT;
	unsigned long addr = max(km->scan_addr, vma->vm_start);
	unsigned int gathered = 0;
	struct mmu_gather tlb;
	bool done = false;

	/*
	 * One TLB flush for the samples of up to KNUMAD_FLUSH_REGIONS
	 * regions: a CPU that keeps a stale entry until then just takes its
	 * sample a little later.  Where the architecture flushes at the end
	 * of each change_protection() anyway (no MMU_GATHER_MERGE_VMAS),
	 * this saves nothing.
	 */
	tlb_gather_mmu(&tlb, vma->vm_mm);
	while (addr < vma->vm_end) {
		struct knumad_find f = { .max_entries = 1 };
		unsigned long rstart, rend, roff, s, e;
		struct knumad_region *r;
		bool wait;
		long nr;

		if (*budget <= 0 || mmap_lock_is_contended(km->mm)) {
			WRITE_ONCE(km->scan_addr, addr);
			goto out;
		}
		f.max_entries = *budget * KNUMAD_HOLE_ENTRIES;
		walk_page_range_vma(vma, addr, vma->vm_end, &knumad_find_ops,
				    &f);
		*budget -= DIV_ROUND_UP(f.entries, KNUMAD_HOLE_ENTRIES);
		if (!f.present) {
			rend = f.stop ? f.stop : vma->vm_end;
			knumad_regions_drop(km, addr, rend);
			addr = rend;
			continue;
		}
		rstart = f.addr & ~(KNUMAD_REGION_SIZE - 1);
		rend = min(rstart + KNUMAD_REGION_SIZE, vma->vm_end);
		knumad_regions_drop(km, addr, rstart);
		addr = max(addr, rstart);
		*budget -= 1;
		r = knumad_region(km, rstart);
		if (!r) {
			addr = rend;
			continue;
		}
		spin_lock(&km->lock);
		/*
		 * A region waiting for its move has told what it needs: a
		 * sample would only fault again (a huge page faulted once
		 * a pass until its move - a 2 MiB copy - was done).
		 */
		wait = knumad_region_waits(r, km->seq, km->settle_seq,
					   km->settle_pids, km->hold,
					   knumad_scan.periods) ||
		       xa_get_mark(&km->regions, rstart >> KNUMAD_REGION_SHIFT,
				   XA_MARK_0);
		/* untouched: the same sample again, not a new one beside it */
		roff = r->armed ? (unsigned long)r->armed_off << PAGE_SHIFT :
				  off;
		if (f.huge) {
			s = rstart;
			e = rend;
		} else {
			s = max(rstart + roff, addr);
			e = min(rstart + roff +
				KNUMAD_SAMPLE_PAGES * PAGE_SIZE, rend);
		}
		if (!wait && s < e) {
			r->armed = true;	/* a fault from now on clears it */
			r->armed_off = roff >> PAGE_SHIFT;
			r->armed_seq = km->seq;
			r->armed_period = knumad_scan.periods;
		}
		spin_unlock(&km->lock);
		if (!wait && s < e) {
			/* bounded: a concurrent gather sees ours as nested */
			if (++gathered > KNUMAD_FLUSH_REGIONS) {
				tlb_finish_mmu(&tlb);
				tlb_gather_mmu(&tlb, vma->vm_mm);
				gathered = 1;
			}
			nr = knumad_arm(&tlb, vma, s, e);
			spin_lock(&km->lock);
			/* nothing is armed where nothing is mapped yet */
			if (nr <= 0)
				r->armed = false;
			spin_unlock(&km->lock);
			nr = max(nr, 0L);
			km->scanned += nr;
			atomic_long_add(nr, &knumad_pages_scanned);
			/* a huge page is one entry and one fault: one sample */
			*budget -= min_t(long, nr, KNUMAD_SAMPLE_PAGES);
		}
		addr = rend;
		cond_resched();
	}
	WRITE_ONCE(km->scan_addr, vma->vm_end);
	done = true;
out:
	tlb_finish_mmu(&tlb);
	return done;
}

/*
 * Arm up to *@budget pages of @km; true when a pass over it completed.
 * Regions are allocated here, in the knumad thread, and charged to the
 * process's memcg; those outside the eligible VMAs are freed.
 */
static bool knumad_scan_mm(struct knumad_mm *km, struct knumad_batch *b,
			   long *budget)
{
	struct mem_cgroup *memcg = get_mem_cgroup_from_mm(km->mm), *old;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	bool done = false;

	old = set_active_memcg(memcg);
	vma_iter_init(&vmi, km->mm, km->scan_addr);
	for_each_vma(vmi, vma) {
		if (!knumad_vma_eligible(vma))
			continue;
		knumad_regions_drop(km, km->scan_addr, vma->vm_start);
		if (!knumad_scan_vma(km, vma, budget))
			goto out;
		knumad_charge(km, b, true);
	}
	knumad_regions_drop(km, km->scan_addr, ULONG_MAX);
	WRITE_ONCE(km->scan_addr, 0);
	smp_wmb();	/* pairs with smp_rmb() in knumad_pass_seq() */
	WRITE_ONCE(km->seq, km->seq + 1);	/* movers read it */
	done = true;
out:
	set_active_memcg(old);
	mem_cgroup_put(memcg);
	return done;
}

/*
 * Undo change_prot_numa() on everything knumad may have armed in @mm: the
 * VMAs it arms, and those it armed before they took an mbind() policy or
 * became unmovable (the policy does not change the PTEs).  Restoring
 * vm_page_prot is what mprotect() does under the write lock; under the
 * read lock it is the counterpart of arming, which mainline's
 * change_prot_numa() does under the read lock too: page table locks
 * serialize it against faults, and nothing that changes vm_page_prot
 * runs without the write lock.
 */
static void knumad_disarm_mm(struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	struct vma_iterator vmi;
	struct mmu_gather tlb;

	vma_iter_init(&vmi, mm, 0);
	for_each_vma(vmi, vma) {
		unsigned long cp_flags = 0;

		if (!knumad_vma_armable(vma))
			continue;
		if (vma_wants_manual_pte_write_upgrade(vma))
			cp_flags = MM_CP_TRY_CHANGE_WRITABLE;
		tlb_gather_mmu(&tlb, mm);
		change_protection(&tlb, vma, vma->vm_start, vma->vm_end,
				  cp_flags);
		tlb_finish_mmu(&tlb);
		cond_resched();
	}
}

static void knumad_prefs_drop(struct knumad_mm *km);

/**
 * knumad_opt_out - a process opted out of NUMA balancing
 * @mm:	its address space; mmap_lock is held for write.
 *
 * Called by PR_SET_NUMA_BALANCING_DISABLE after it set the flag.  Undoes
 * the hinting-fault protections the process still has - armed by knumad
 * before the call, or inherited from its parent's page tables at fork -
 * and drops the folios and regions queued for it, so no hinting fault
 * and no migration follow the prctl().  The write lock keeps a scan,
 * which tests the flag under the read lock, from arming anything anew.
 * The threads knumad kept on a node are kept there no more.
 */
void knumad_opt_out(struct mm_struct *mm)
{
	struct knumad_mm *km = READ_ONCE(mm->knumad);

	mmap_assert_write_locked(mm);
	knumad_disarm_mm(mm);
	if (km) {
		knumad_drop_work(km);
		knumad_prefs_drop(km);
	}
}

static void knumad_thread_del(struct knumad_mm *km, unsigned long tid,
			      struct knumad_thread *kt)
{
	lockdep_assert_held(&km->lock);
	xa_erase(&km->threads, tid);
	kfree(kt);
	km->nr_threads--;
}

/*
 * Halve the recent faults of @km and its threads; forget threads with
 * none left that were judged idle.  A thread that faults rarely (its
 * memory is sampled 16 pages a pass, shared with its siblings) keeps its
 * entry until it has a verdict, and keeps it while it is busy: it must
 * not drop out of the count of threads that have to fit a node (two busy
 * threads pinned to two nodes got an implicit group that way).
 * knumad_active_threads() forgets threads that are gone.
 */
static void knumad_decay_faults(struct knumad_mm *km)
{
	struct knumad_thread *kt;
	unsigned long index;
	int nid;

	spin_lock(&km->lock);
	for (nid = 0; nid < 2 * nr_node_ids; nid++)
		km->faults[nid] >>= 1;
	xa_for_each(&km->threads, index, kt) {
		kt->total = 0;
		for (nid = 0; nid < nr_node_ids; nid++) {
			kt->faults[nid] >>= 1;
			kt->faults[nr_node_ids + nid] >>= 1;
			kt->total += kt->faults[nid];
		}
		if (!kt->total && kt->judged && !kt->active)
			knumad_thread_del(km, index, kt);
	}
	spin_unlock(&km->lock);
}

/* Did @ran ns of CPU in the @window ns up to now make a thread busy? */
static bool knumad_busy(u64 ran, u64 window)
{
	return ran >= window >> KNUMAD_ACTIVE_SHIFT;
}

/* The share of a CPU @ran ns in @window ns are, in 1/1024ths; at most 1. */
static unsigned int knumad_share(u64 ran, u64 window)
{
	if (!window || ran >= window)
		return 1024;
	return mul_u64_u64_div_u64(ran, 1024, window);
}

/*
 * The time thread @t spent runnable on a runqueue, waiting for a CPU, so
 * far (schedstats' run_delay); 0 without CONFIG_SCHED_INFO, where a
 * thread's share is what it ran.  A racy read of another task's counter:
 * an estimate, as its runtime.
 */
static u64 knumad_waited(struct task_struct *t)
{
#ifdef CONFIG_SCHED_INFO
	return READ_ONCE(t->sched_info.run_delay);
#else
	return 0;
#endif
}

/*
 * The node whose CPUs thread @t (entry @kt) of @km competes for: the home
 * of its part, or of its process's implicit group, else the node it runs
 * on now - not only where it is now: the load balancer puts one of three
 * crowded threads on another node's idle CPU now and then, and a census
 * that came then found no node full.  Under km->lock.
 */
static int knumad_share_node(struct knumad_mm *km,
			     const struct knumad_thread *kt,
			     struct task_struct *t)
{
	int nid = NUMA_NO_NODE;

	if (km->implicit)
		nid = READ_ONCE(km->implicit->home_nid);
	else if (km->parts && kt->part != NUMA_NO_NODE)
		nid = knumad_part_home(km, kt->part);
	return nid >= 0 && nid < nr_node_ids ? nid : task_node(t);
}

/*
 * Did the process's own active threads fill the @cpus CPUs of node @nid
 * a thread there may run on (its cpuset, its affinity), running @own[@nid]
 * (1/1024ths of a CPU, KNUMAD_FIT_SLACK short at most)?  Then
 * the time its threads there waited for a CPU was spent behind each
 * other, and counts in what they need (knumad_thread::share): three busy
 * threads on a node of two CPUs ran 2/3 each, 2,046 in all, within the
 * node's 2,304, and a split of numa02 kept the three in the part at home
 * there and the fourth alone on the other node, memory following each
 * part (5 of 8 runs with THP on 2 nodes stuck at 75%).  Not a wait behind
 * other processes' threads, nor one a CPU quota imposes (cpu.max): the
 * process's threads do not fill the node then, and another node would
 * not give them more.
 */
static bool knumad_crowded(const unsigned long *own, int nid,
			   unsigned int cpus)
{
	return cpus && own[nid] + KNUMAD_FIT_SLACK >= cpus * 1024UL;
}

/*
 * The node a census counts thread entry @kt at, the thread running on
 * @run_nid now: the node it took most of its recent samples on - not
 * only where it is now, which a short stay elsewhere (a wakeup on an idle
 * CPU of another node) would tell.  Without samples, @run_nid - but
 * @keep, the node knumad keeps it on and the scheduler hook can bring
 * it back to (NUMA_NO_NODE: none, none its affinity allows, or it is in
 * a group), while it is away from there for less than @period: the time
 * away of knumad_away_sample(), which such a census starts and ends as
 * a sample does.  The census does not decide on a stay that no sample
 * tells of: a swapped thread without samples, counted beside its
 * sibling at once, gave its process a home there
 * (swapped_threads_go_back_to_their_memory).  A thread with samples is
 * counted where they say: one the load balancer moved off its kept node
 * for good, whose keep cannot bring it back (numa02: no idle CPU and no
 * partner there), was counted at its keep for a period by the first
 * version of this rule, and numa02 reached 95% a period later.  Pure but
 * for @kt: tested by KUnit.  Under km->lock.
 */
static int knumad_census_node(struct knumad_thread *kt, int run_nid,
			      int keep, unsigned long now,
			      unsigned long period)
{
	int nid, best = run_nid;

	for (nid = 0; nid < nr_node_ids; nid++)
		if (kt->faults[nid] > kt->faults[best])
			best = nid;
	if (kt->faults[best])
		return best;
	if (knumad_away_sample(kt, keep != NUMA_NO_NODE && keep != run_nid,
			       now, period))
		return keep;
	return run_nid;
}

/*
 * The node that held at least 3/4 of the memory thread entry @kt's
 * recent samples met, if they were KNUMAD_APART_MIN or more; else
 * NUMA_NO_NODE, with *@few set if they were fewer.  Under km->lock.
 */
static int knumad_thread_mem(const struct knumad_thread *kt, bool *few)
{
	return knumad_mem_node(kt->faults + nr_node_ids, nr_node_ids,
			       KNUMAD_APART_SHIFT, few);
}

/*
 * Where the scheduler should keep thread @t of entry @kt, as it keeps a
 * group's threads at their home (kernel/sched/numa.c): on the node that
 * held at least 3/4 of the memory its recent samples met, if they were
 * KNUMAD_APART_MIN or more; on the node it had if they were fewer
 * (memory that settled where its thread runs is sampled rarely, and the
 * load balancer may move the thread off it any time); on none when its
 * memory is spread over nodes, when it is not active (@ttl 0: a thread
 * that wakes now and then is placed as fair.c places it), or when it is
 * a worker (io_uring, vhost).  Each census extends the keep by @ttl
 * jiffies: it lapses when the process is looked at no more.  The
 * scheduler moves the thread back only to an idle CPU there, or in a
 * swap with a thread away from where it wants to be: a load
 * balancer's move is undone by moving the thread back, not all of its
 * memory after it (numa01t: two processes' threads mixed by the load
 * balancer on 2 nodes, 73k pages moved, 75% local at the end).  Under
 * km->lock and the RCU read lock, @t->mm checked to be @km's.
 */
static void knumad_thread_pref(const struct knumad_thread *kt,
			       struct task_struct *t, unsigned long ttl)
{
	bool few;
	int best = knumad_thread_mem(kt, &few);

	if (!ttl || (t->flags & (PF_KTHREAD | PF_USER_WORKER)) ||
	    (!few && best == NUMA_NO_NODE)) {
		WRITE_ONCE(t->knumad_pref_nid, NUMA_NO_NODE);
		return;
	}
	if (few) {
		/* too few samples to tell: what held still holds */
		best = knumad_task_pref(t);
		if (best == NUMA_NO_NODE) {
			/* lapsed: not brought back when jiffies wrap */
			WRITE_ONCE(t->knumad_pref_nid, NUMA_NO_NODE);
			return;
		}
	}
	/* no reader takes a node for the mm it had before */
	WRITE_ONCE(t->knumad_pref_nid, NUMA_NO_NODE);
	WRITE_ONCE(t->knumad_pref_mm, t->mm);
	WRITE_ONCE(t->knumad_pref_until, jiffies + ttl);
	WRITE_ONCE(t->knumad_pref_nid, best);
}

/* No thread of @km's process is kept anywhere by knumad any more. */
static void knumad_prefs_drop(struct knumad_mm *km)
{
	struct task_struct *t;
	struct knumad_thread *kt;
	unsigned long index;

	rcu_read_lock();
	spin_lock(&km->lock);
	xa_for_each(&km->threads, index, kt) {
		t = find_task_by_pid_ns(index, &init_pid_ns);
		if (t && t->mm == km->mm)
			WRITE_ONCE(t->knumad_pref_nid, NUMA_NO_NODE);
	}
	spin_unlock(&km->lock);
	rcu_read_unlock();
	knumad_kept_set(km, NULL);
}

/*
 * Does @kt share memory with its peer, by the margin of its vote against
 * its own visits only?  For the census (struct knumad_census::shared),
 * which has no table to find the peer's entry by low pid bits: of a pair
 * that sweeps in step, the thread behind - few visits, nearly all of them
 * votes for the one ahead (knumad_hint_raced()) - passes this alone, so
 * the process still counts as sharing; knumad_split_sets() judges each
 * pair by the fewer of the two threads' visits (knumad_peer_found()).
 */
static bool knumad_has_peer(const struct knumad_thread *kt)
{
	return knumad_peer_found(kt->peer_votes, kt->visits, kt->visits);
}

/*
 * What the process's active threads (see KNUMAD_ACTIVE_SHIFT) allow: the
 * CPUs all of them may run on (into @cpus), the CPUs all of those that
 * used KNUMAD_KEEP_SHARE may run on (into @keep_cpus), and into @c: the
 * cpuset mems of one of them, the CPU they need, in 1/1024ths, and where
 * they ran and their memory was (see struct knumad_census).  @c->unsure
 * says a thread without a verdict yet looks busy so far (judged over its
 * life until its first window ends).  Into @kept (nr_node_ids entries,
 * zeroed), per node, the active threads in no group that it keeps there.
 * Entries of threads that are gone are freed.  @own: nr_node_ids entries
 * of zeroed scratch, zeroed again on return.  Returns the number of
 * active threads.
 */
static unsigned int knumad_active_threads(struct knumad_mm *km,
					  struct cpumask *cpus,
					  struct cpumask *keep_cpus,
					  struct knumad_census *c,
					  unsigned long *kept,
					  unsigned long *own)
{
	/* until the next census, however long the process backs off */
	unsigned long ttl = KNUMAD_KEPT_TTL();
	unsigned long period =
		msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms));
	struct task_struct *t, *one = NULL;
	u64 now = ktime_get_ns();
	struct knumad_thread *kt;
	unsigned int threads = 0;
	unsigned long index;
	int nid, keep, pull, run_nid;

	c->unsure = false;
	c->moved = false;
	c->verdict_ns = 0;
	c->unseen = false;
	c->apart = false;
	c->shared = false;
	c->demand = 0;
	nodes_clear(c->ran);
	nodes_clear(c->now);
	nodes_clear(c->spurned);
	cpumask_copy(cpus, cpu_online_mask);
	cpumask_copy(keep_cpus, cpu_online_mask);
	rcu_read_lock();
	spin_lock(&km->lock);
	xa_for_each(&km->threads, index, kt) {
		u64 ran, was = kt->runtime, since = kt->seen_ns;
		u64 waited, wwas = kt->waited;

		t = find_task_by_pid_ns(index, &init_pid_ns);
		if (!t || t->mm != km->mm || (t->flags & PF_EXITING)) {
			knumad_thread_del(km, index, kt);
			continue;
		}
		/*
		 * A racy read of another task's runtime: an estimate.  Less
		 * than before means another thread with the same tid.
		 */
		ran = READ_ONCE(t->se.sum_exec_runtime);
		if (ran < was)
			was = ran;
		waited = knumad_waited(t);
		if (waited < wwas)
			wwas = waited;
		if (!since || now - since >= KNUMAD_ACTIVE_WINDOW_NS) {
			/*
			 * Judged over a second at least: since it was last
			 * looked at, or, when first seen, over its life if
			 * that was as long - not a second later: the thread
			 * may hold a CPU at the home of a part it is not in
			 * meanwhile (numa02 on 2 nodes: a thread first seen
			 * after the split kept a thread of the part off its
			 * home for 3 s).
			 */
			u64 from = since ? since : t->start_time;
			u64 base = since ? was : 0;
			u64 wbase = since ? wwas : 0;
			const struct cpumask *mask;

			/*
			 * Not an old thread's life: a thread busy in bursts,
			 * or one forgotten as idle that faults again, gets a
			 * window of its own first.
			 */
			if (!since &&
			    now - from >= 2 * KNUMAD_ACTIVE_WINDOW_NS)
				from = now;
			kt->judged = now - from >= KNUMAD_ACTIVE_WINDOW_NS;
			kt->active = kt->judged &&
				     knumad_busy(ran - base, now - from);
			kt->ran_share = kt->judged ?
					knumad_share(ran - base, now - from) :
					0;
			kt->wait_share = kt->judged ?
					 knumad_share(waited - wbase,
						      now - from) : 0;
			kt->share_nid = knumad_share_node(km, kt, t);
			mask = cpumask_of_node(kt->share_nid);
			kt->share_cpus = cpumask_weight_and(mask, t->cpus_ptr);
			/*
			 * A thread first seen younger than a window is
			 * judged over its life, from its start, at the first
			 * look after it is a window old: not over a new
			 * window from now - first seen at the end of its
			 * process's first pass, it would be judged only a
			 * pass later, not at the first look
			 * (KNUMAD_LOOK_SHIFT).
			 */
			if (kt->judged || from == now) {
				kt->runtime = ran;
				kt->waited = waited;
				kt->seen_ns = now;
			} else {
				kt->runtime = 0;
				kt->waited = 0;
				kt->seen_ns = from;	/* its start */
			}
		}
		/*
		 * No verdict yet: unsure if it was busy so far - since it
		 * was first seen, or over its life when seen just now.
		 */
		if (!kt->judged &&
		    (since ? knumad_busy(ran - was, now - since) :
			     knumad_busy(ran, now - t->start_time))) {
			c->unsure = true;
			/* seen_ns is set by now: when its window began */
			c->verdict_ns = max(c->verdict_ns, kt->seen_ns +
					    KNUMAD_ACTIVE_WINDOW_NS);
		}
		knumad_thread_pref(kt, t, kt->active ? ttl : 0);
		keep = knumad_task_pref(t);
		run_nid = task_node(t);	/* once: the hook may pull it */
		/* back where it is kept: a new time away starts anew */
		if (kt->away && run_nid == keep)
			kt->away = false;
		if (!kt->active)
			continue;
		pull = NUMA_NO_NODE;
		if (keep != NUMA_NO_NODE &&
		    !rcu_access_pointer(t->memsched_group)) {
			kept[keep]++;
			/* as knumad_away_from_keep(): its affinity allows it */
			if (cpumask_intersects(cpumask_of_node(keep),
					       &t->cpus_mask))
				pull = keep;
		}
		threads++;
		own[kt->share_nid] += kt->ran_share;
		/* counted at its keep: moved, for a first look as for others */
		nid = knumad_census_node(kt, run_nid, pull, jiffies, period);
		if (nid != run_nid)
			c->moved = true;
		node_set(nid, c->ran);
		node_set(run_nid, c->now);
		if (knumad_thread_apart(kt->faults + nr_node_ids, nr_node_ids,
					nid))
			c->apart = true;
		knumad_thread_spurns(kt->faults + nr_node_ids, nr_node_ids,
				     nid, &c->spurned);
		if (knumad_has_peer(kt))
			c->shared = true;
		cpumask_and(cpus, cpus, t->cpus_ptr);
		if (kt->ran_share >= KNUMAD_KEEP_SHARE)
			cpumask_and(keep_cpus, keep_cpus, t->cpus_ptr);
		if (!one) {
			one = t;
			get_task_struct(one);
		}
	}
	xa_for_each(&km->threads, index, kt) {
		kt->share = kt->ran_share;
		if (knumad_crowded(own, kt->share_nid, kt->share_cpus))
			kt->share = min(kt->share + kt->wait_share, 1024U);
		if (kt->active)
			c->demand += kt->share;
	}
	if (!nodes_empty(c->now)) {
		km->present = c->now;
		km->present_until = jiffies +
			(msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms)) << 2);
	}
	spin_unlock(&km->lock);
	memset(own, 0, nr_node_ids * sizeof(*own));
	/*
	 * A young busy thread knumad has no entry for yet - none of its
	 * memory was sampled so far - may be the one that tells whether a
	 * process needs a home (knumad_implicit_update(): two
	 * threads on two nodes with private memory: one of them known after
	 * the first pass, and given a home that took the other away).  So
	 * may an older busy thread without an entry: its first samples came
	 * after the census, or its entry was forgotten while it was idle
	 * (swapped_threads_go_back_to_their_memory: two keepers 2-5 s old,
	 * one of them without an entry, the process given a home with one
	 * member).  A young thread is
	 * judged over its life; an older one by its recent use, the
	 * scheduler's decaying average (PELT, about 32 ms half-life), which
	 * needs no state of knumad's: half a CPU or more, not the 1/8 of a
	 * window an entry's verdict asks for - the average reaches 1/8
	 * after 6 ms on a CPU, so a thread that polls would keep the home
	 * away now and then; half a CPU takes 32 ms in a row.  Only while it
	 * is runnable: the average of a thread that sleeps is not updated
	 * (a main thread that first-touched the memory and waits in
	 * pthread_join() would keep the home away as long as it waits).  A
	 * busy thread that never takes a sample (its memory is shmem,
	 * hugetlbfs or a file; it loops in system calls) keeps its process
	 * without a home: its memory follows each thread, as a process's
	 * without a group does.  Not for a process with a home, which does
	 * not use the answer; at most KNUMAD_MAX_THREADS threads looked at.
	 */
	if (one && !km->implicit) {
		unsigned int n = 0;

		for_each_thread(one, t) {
			u64 age = now - t->start_time;
			bool busy;

			if (++n > KNUMAD_MAX_THREADS)
				break;
			if ((t->flags & (PF_EXITING | PF_USER_WORKER)) ||
			    xa_load(&km->threads, t->pid))
				continue;
			if (age < 2 * KNUMAD_ACTIVE_WINDOW_NS)
				busy = knumad_busy(READ_ONCE(t->se.sum_exec_runtime),
						   age);
			else	/* a sleeper's average is as it fell asleep */
				busy = READ_ONCE(t->on_rq) &&
				       READ_ONCE(t->se.avg.util_avg) >=
				       SCHED_CAPACITY_SCALE / 2;
			if (busy)
				c->unseen = true;
		}
	}
	rcu_read_unlock();
	c->mems = node_states[N_MEMORY];
	if (one) {
		nodemask_t allowed = cpuset_mems_allowed(one);

		nodes_and(c->mems, c->mems, allowed);
		put_task_struct(one);
	}
	return threads;
}

/*
 * Per node, the CPUs that threads of other processes than @km's want now,
 * whether knumad placed them or not, into @busy (nr_node_ids entries,
 * zeroed), in 1/SCHED_CAPACITY_SCALE of a CPU: per CPU, its runnable
 * average (memsched_cpu_runnable()) less that of @km's threads on it
 * (memsched_task_runnable(): a sleeper's decayed) and of the caller, at
 * least 0, summed by node.  Not the utilization: it stops at the CPUs'
 * capacity, so where this process's threads crowd a node beside
 * another's busy thread, theirs alone fill it and the other does not
 * show (two threads and a neighbour's on 2 CPUs read 0 CPUs of others'
 * use).  Per CPU, so a thread of @km cannot hide another process's use
 * of another CPU.  Fair tasks only, kernel threads among them; RT and
 * deadline tasks do not count.  O(CPUs + threads, at most
 * KNUMAD_MAX_THREADS of them); false if out of memory.
 */
static bool knumad_others_busy(struct knumad_mm *km, unsigned long *busy)
{
	struct task_struct *t, *one = NULL;
	struct knumad_thread *kt;
	unsigned long index, *cpu_busy;
	unsigned int n = 0;
	int cpu, nid;

	cpu_busy = kvcalloc(nr_cpu_ids, sizeof(*cpu_busy), GFP_KERNEL);
	if (!cpu_busy)
		return false;
	for_each_online_cpu(cpu)
		cpu_busy[cpu] = memsched_cpu_runnable(cpu);
	cpu = task_cpu(current);	/* nor the knumad thread's own */
	cpu_busy[cpu] -= min(cpu_busy[cpu],
			     READ_ONCE(current->se.avg.runnable_avg));
	rcu_read_lock();
	spin_lock(&km->lock);
	xa_for_each(&km->threads, index, kt) {
		t = find_task_by_pid_ns(index, &init_pid_ns);
		if (t && t->mm == km->mm) {
			one = t;
			break;
		}
	}
	spin_unlock(&km->lock);
	/* every thread of it, sampled yet or not */
	if (one) {
		for_each_thread(one, t) {
			if (++n > KNUMAD_MAX_THREADS)
				break;
			cpu = task_cpu(t);
			cpu_busy[cpu] -= min(cpu_busy[cpu],
					     memsched_task_runnable(t));
		}
	}
	rcu_read_unlock();
	for_each_online_cpu(cpu) {
		nid = cpu_to_node(cpu);
		if (nid >= 0 && nid < nr_node_ids)
			busy[nid] += cpu_busy[cpu];
	}
	kvfree(cpu_busy);
	return true;
}

/*
 * Add the member threads of the groups at home on each node to @threads
 * (nr_node_ids entries), @km's own implicit groups left out, and the
 * active threads of other processes that knumad keeps on each node
 * (knumad_kept_nr, @km's own taken out): the CPUs other threads already
 * prefer - and, given @others (nr_node_ids entries, zeroed), where more,
 * the CPUs that other processes' threads want there now
 * (knumad_others_busy(), a whole CPU from half of one: it is noisy, a
 * spinning thread of another process read 0.73-1.53 CPUs in one trace,
 * and counting from 3/4 of a CPU let no_home_where_other_processes_run
 * fail 2 of 6 runs), whether knumad placed them or not, also left in
 * @others.  Without those, numa01t on 2
 * nodes (two processes
 * of two threads, each thread's memory where it runs) gave a process
 * whose threads the load balancer had swapped a home on a node where a
 * thread of the other process ran, which its memory had not made it keep
 * there: one thread was held off the home, and its 40k pages moved there
 * without it - 75% local for good, 1 run in 6 (traced).  Not for a
 * split process's parts (@others NULL): their threads fill every CPU,
 * and others' use read one CPU on a node in some censuses and none in
 * the next (split_process_settles_per_thread failed: 3 threads at one
 * home, 1 at the other).  O(groups + nodes + CPUs + threads); only for a
 * process about to get or rearrange its groups.  In the knumad thread,
 * which alone changes @km's groups.
 */
static void knumad_claimed(struct knumad_mm *km, unsigned long *threads,
			   unsigned long *others)
{
	struct memsched_group *group;
	unsigned long id = 0;
	bool own;
	int i;

	while ((group = memsched_group_next(&id))) {
		unsigned int n = READ_ONCE(group->nr_tasks);

		own = group == km->implicit;
		for (i = 0; km->parts && !own && i < nr_node_ids; i++)
			own = group == km->parts[i];
		/*
		 * The threads of a group made a moment ago join it from
		 * task work: until they did, they count as at home (two
		 * processes given homes in one pass were both sent to one
		 * node, the second seeing the first's group empty) - for
		 * KNUMAD_EXPECT_TICKS at most: a thread that exits or
		 * sleeps first never joins.
		 */
		if (group->nr_expected > n &&
		    time_before(jiffies, READ_ONCE(group->home_since) +
				KNUMAD_EXPECT_TICKS))
			n = group->nr_expected;
		else if (group->nr_expected)
			group->nr_expected = 0;
		if (!own)
			threads[READ_ONCE(group->home_nid)] += n;
		memsched_group_put(group);
	}
	for (i = 0; i < nr_node_ids; i++)
		threads[i] += max_t(long, 0,
				    atomic_long_read(&knumad_kept_nr[i]) -
				    (long)READ_ONCE(knumad_kept(km)[i]));
	if (!others || !knumad_others_busy(km, others))
		return;		/* the placed threads alone */
	for (i = 0; i < nr_node_ids; i++) {
		others[i] = DIV_ROUND_CLOSEST(others[i], SCHED_CAPACITY_SCALE);
		threads[i] = max(threads[i], others[i]);
	}
}

/* May @t run on a CPU of @nid? */
static bool knumad_may_run(struct task_struct *t, int nid)
{
	return cpumask_intersects(cpumask_of_node(nid), t->cpus_ptr);
}

/*
 * The part to put a thread in at @nid: the one at home there, else a new
 * one made there (@want: the home each part without a group is to be
 * made at).  A part's index names it; the group balancer may have moved
 * its home since it was made.  NUMA_NO_NODE if every index is taken.
 */
static int knumad_part_at(struct knumad_mm *km, int *want, int nid)
{
	int part;

	for (part = 0; part < nr_node_ids; part++)
		if (km->parts[part] ? knumad_part_home(km, part) == nid :
				      want[part] == nid)
			return part;
	for (part = 0; part < nr_node_ids; part++) {
		if (!km->parts[part] && want[part] == NUMA_NO_NODE) {
			want[part] = nid;
			return part;
		}
	}
	return NUMA_NO_NODE;
}

/* The node of @v's largest entry that @t may run on and has room, if any. */
static int knumad_split_best(const unsigned long *v, struct task_struct *t,
			     const unsigned long *cap)
{
	int nid, best = NUMA_NO_NODE;

	for (nid = 0; nid < nr_node_ids; nid++) {
		if (!cap[nid] || !v[nid] || !knumad_may_run(t, nid))
			continue;
		if (best == NUMA_NO_NODE || v[nid] > v[best])
			best = nid;
	}
	return best;
}

/* The node @t may run on with the most room left, if any. */
static int knumad_split_roomiest(struct task_struct *t,
				 const unsigned long *load,
				 const unsigned long *cap)
{
	int nid, best = NUMA_NO_NODE;

	for (nid = 0; nid < nr_node_ids; nid++) {
		if (!cap[nid] || !knumad_may_run(t, nid))
			continue;
		if (best == NUMA_NO_NODE ||
		    (long)(cap[nid] - load[nid]) > (long)(cap[best] - load[best]))
			best = nid;
	}
	return best;
}

/* The root of @kt's set, halving the path to it. */
static struct knumad_thread *knumad_set_root(struct knumad_thread *kt)
{
	while (kt->root != kt) {
		kt->root = kt->root->root;
		kt = kt->root;
	}
	return kt;
}

/*
 * Sort the active threads of a split process into sets of threads that
 * share memory: a thread and its peer (knumad_thread_peer()) are in one
 * set if the peer is active and no other active thread has its low pid
 * bits (@tbl: scratch of LAST__PID_MASK + 1 entries; with hundreds of
 * active threads most bits are taken twice and few sets form).  Every
 * member's @root is then its set's root, which gets the list of the
 * members, their CPU share and their number.  Under km->lock; O(threads)
 * finds with path halving.
 */
static void knumad_split_sets(struct knumad_mm *km, struct knumad_thread **tbl)
{
	struct knumad_thread *kt, *peer, *root, **slot;
	unsigned long index;

	memset(tbl, 0, (LAST__PID_MASK + 1) * sizeof(*tbl));
	xa_for_each(&km->threads, index, kt) {
		kt->root = kt;
		kt->set_next = NULL;
		kt->set_share = 0;
		kt->set_size = 0;
		kt->set_nid = NUMA_NO_NODE;
		kt->set_split = false;
		if (!kt->active)
			continue;
		slot = &tbl[index & LAST__PID_MASK];
		*slot = *slot ? ERR_PTR(-EEXIST) : kt;
	}
	xa_for_each(&km->threads, index, kt) {
		if (!kt->active || kt->peer_votes < KNUMAD_PEER_MIN_VOTES)
			continue;
		/*
		 * The peer need not vote back: the thread that shares
		 * a CPU with the knumad thread takes few samples.
		 */
		peer = tbl[kt->peer];
		if (IS_ERR_OR_NULL(peer) ||
		    !knumad_peer_found(kt->peer_votes, kt->visits,
				       peer->visits))
			continue;
		root = knumad_set_root(kt);
		peer = knumad_set_root(peer);
		if (peer != root)
			peer->root = root;
	}
	xa_for_each(&km->threads, index, kt) {
		if (!kt->active)
			continue;
		root = knumad_set_root(kt);
		kt->root = root;
		if (kt != root) {
			kt->set_next = root->set_next;
			root->set_next = kt;
		}
		root->set_share += kt->share;
		root->set_size++;
	}
}

/* Is @root's set of two threads or more, and has some node room for it? */
static bool knumad_set_fits(const struct knumad_thread *root,
			    const unsigned long *cap)
{
	int nid;

	if (root->set_size < 2)
		return false;
	for (nid = 0; nid < nr_node_ids; nid++)
		if (cap[nid] && root->set_share <= cap[nid])
			return true;
	return false;
}

/*
 * The node for the set of @root: one with room for all of it by @load
 * that each member may run on - the one nearly all of their samples were
 * taken on (all but 1/2^KNUMAD_APART_SHIFT, KNUMAD_APART_MIN or more),
 * then the one holding most of the memory they touch, then the one they
 * run on most (their faults summed in @sum, 2 * nr_node_ids entries of
 * scratch), then the one with the most room.  Where they ran comes first
 * because the memory samples lean to what is still away: memory that
 * followed the threads is local and settled, sampled rarely
 * (knumad_region_waits()), so a pair whose memory was half moved to the
 * node it ran on has samples nearly all of the half left behind, and
 * the memory would send it back (vnuma on 2 nodes; see memsched.rst).
 * Only a set without a part, or in two parts, is placed: a set at a home
 * is not asked again, so its samples taken there do not hold it there.
 * The rule goes by @load: a node that has room only once lone threads
 * make way (the caller's second call) does not beat one with room now.
 * NUMA_NO_NODE if no node will do.  Under RCU and km->lock;
 * O(members * nodes).
 */
static int knumad_set_node(struct knumad_thread *root,
			   const unsigned long *load,
			   const unsigned long *cap, unsigned long *sum)
{
	int nid, best = NUMA_NO_NODE, mem = nr_node_ids, ran;
	struct knumad_thread *kt;
	unsigned long room = 0;
	bool few;

	memset(sum, 0, 2 * nr_node_ids * sizeof(*sum));
	for (kt = root; kt; kt = kt->set_next)
		for (nid = 0; nid < 2 * nr_node_ids; nid++)
			sum[nid] += kt->faults[nid];
	/* the CPU side of the samples: where they were taken */
	ran = knumad_mem_node(sum, nr_node_ids, KNUMAD_APART_SHIFT, &few);
	for (nid = 0; nid < nr_node_ids; nid++) {
		unsigned long used = load[nid];

		if (!cap[nid] || used + root->set_share > cap[nid])
			continue;
		for (kt = root; kt; kt = kt->set_next)
			if (!kt->task || !knumad_may_run(kt->task, nid))
				break;
		if (kt)
			continue;
		if (best == NUMA_NO_NODE || nid == ran ||
		    sum[mem + nid] > sum[mem + best] ||
		    (sum[mem + nid] == sum[mem + best] &&
		     (sum[nid] > sum[best] ||
		      (sum[nid] == sum[best] && cap[nid] - used > room)))) {
			best = nid;
			room = cap[nid] - used;
			if (best == ran)
				break;
		}
	}
	return best;
}

/* Put the set of @root in part @part, at home on @nid. */
static void knumad_set_assign(struct knumad_thread *root, int nid, int part,
			      unsigned long *load)
{
	struct knumad_thread *kt;

	for (kt = root; kt; kt = kt->set_next) {
		kt->part = part;
		kt->at_nid = nid;
		load[nid] += kt->share;
	}
	root->set_nid = nid;
}

/*
 * Sharers were put together in one part: the destinations their regions
 * got before give way to its home for a while (knumad_split_home()).
 */
static void knumad_mark_regrouped(struct knumad_mm *km)
{
	km->regrouped = true;
	km->regroup_at = jiffies;
}

/* The members of @root's set that kept a part take their room again. */
static void knumad_set_reload(struct knumad_thread *root, unsigned long *load)
{
	struct knumad_thread *kt;

	for (kt = root; kt; kt = kt->set_next)
		if (kt->at_nid != NUMA_NO_NODE)
			load[kt->at_nid] += kt->share;
}

/*
 * Put the set of @root, whose members have no part, in one part at @nid
 * (NUMA_NO_NODE: nowhere).  Returns false, and assigns nothing, if it
 * cannot.  Under km->lock.
 */
static bool knumad_set_place(struct knumad_mm *km, struct knumad_thread *root,
			     int nid, unsigned long *load, int *want)
{
	int part;

	if (nid == NUMA_NO_NODE)
		return false;
	part = knumad_part_at(km, want, nid);
	if (part == NUMA_NO_NODE)
		return false;
	knumad_set_assign(root, nid, part, load);
	return true;
}

/*
 * Does @kt keep its part at the next assignment: may it run at the part's
 * home, and has the home room for it by @load (@keep over @cap)?  An
 * active thread that keeps it takes its room in @load and marks its set
 * found in two parts.  Returns whether it lost its part.  Under RCU and
 * km->lock.
 */
static bool knumad_split_keep(struct knumad_mm *km, struct knumad_thread *kt,
			      unsigned long *load, const unsigned long *cap,
			      unsigned long keep)
{
	int nid;

	if (kt->part == NUMA_NO_NODE)
		return false;
	nid = knumad_part_home(km, kt->part);
	if (!kt->task || !cap[nid] || !knumad_may_run(kt->task, nid) ||
	    (kt->active && load[nid] + kt->share > cap[nid] + keep)) {
		kt->part = NUMA_NO_NODE;
		return true;
	}
	if (!kt->active)
		return false;
	kt->at_nid = nid;
	load[nid] += kt->share;
	/* is the thread's set in two parts? */
	if (kt->root->set_nid == NUMA_NO_NODE)
		kt->root->set_nid = nid;
	else if (kt->root->set_nid != nid)
		kt->root->set_split = true;
	return false;
}

/*
 * Assign the active threads of a split process to parts, in CPU shares
 * (1/1024ths) against each node's @cap (the CPUs there its threads may
 * use and other groups' threads leave, and KNUMAD_FIT_SLACK; 0 where no
 * home may be); @load receives what each node got.  A thread keeps its
 * part while it may run at the part's home and the home has room (half a
 * CPU more, KNUMAD_KEEP_SLACK, against flapping): assignments are sticky,
 * so a thread and its memory settle; the members of sets that fit a node
 * are asked first (knumad_split_keep()).  Threads that share memory
 * (knumad_split_sets()) go to one part together when a node has room for
 * them all: the sets found in two parts give their room back, and each
 * is placed again if a node will take all of it, threads alone there
 * making way (else it stays as it was), and the members of a set without
 * a part are placed together (the sets in the order of their roots'
 * tids).  The others go, in this order of preference while there is
 * room: to the node holding most of the memory they touch if they run
 * there too, to that node, to the node they run on, and then to the node
 * with the most room.  @tbl and @sum (4 * nr_node_ids entries): scratch.
 * Returns whether a thread changed part.  Under RCU and km->lock: one
 * task lookup per thread, O(nodes) per thread and stage, O(members *
 * nodes) per set, O(threads) per set regrouped.
 */
static bool knumad_split_assign(struct knumad_mm *km, unsigned long *load,
				const unsigned long *cap, int *want,
				struct knumad_thread **tbl, unsigned long *sum)
{
	const unsigned long keep = KNUMAD_KEEP_SLACK - KNUMAD_FIT_SLACK;
	unsigned long *alone = sum + 2 * nr_node_ids;
	unsigned long *avail = alone + nr_node_ids;
	struct knumad_thread *kt, *root, *m;
	unsigned long index, i2;
	struct task_struct *t;
	bool changed = false;
	int stage, nid, part, i;

	lockdep_assert_held(&km->lock);
	knumad_split_sets(km, tbl);
	if (km->regrouped &&
	    !time_before(jiffies, km->regroup_at + KNUMAD_REGROUP_GRACE))
		km->regrouped = false;
	xa_for_each(&km->threads, index, kt) {
		t = find_task_by_pid_ns(index, &init_pid_ns);
		kt->task = t;
		kt->at_nid = NUMA_NO_NODE;
		kt->mem_nid = NUMA_NO_NODE;
		kt->cpu_nid = NUMA_NO_NODE;
		if (t && kt->active) {
			kt->mem_nid = knumad_split_best(kt->faults +
							nr_node_ids, t, cap);
			kt->cpu_nid = knumad_split_best(kt->faults, t, cap);
		}
	}
	/*
	 * The members of sets that fit a node keep their parts first: in
	 * tid order a busy thread alone (QEMU's main thread; the selftest's
	 * own watcher, of the lowest tid) took the room a pair's second
	 * thread needed to stay, which went to the other node, and the
	 * pairs came apart every few seconds.
	 */
	xa_for_each(&km->threads, index, kt)
		if (knumad_set_fits(kt->root, cap))
			changed |= knumad_split_keep(km, kt, load, cap, keep);
	xa_for_each(&km->threads, index, kt)
		if (!knumad_set_fits(kt->root, cap))
			changed |= knumad_split_keep(km, kt, load, cap, keep);
	/*
	 * A set in two parts: all of it to one node, if one will take it.
	 * Every such set gives its room back first - two pairs of vCPUs
	 * split across two nodes each hold the room the other needs - and
	 * a thread alone (in no set that fits a node) makes way for it: it
	 * goes where the set's threads leave room, as a swap.  A set no
	 * node can take even so (its threads pinned apart) takes its room
	 * again before any other set is placed, and stays as it was.
	 */
	memset(alone, 0, nr_node_ids * sizeof(*alone));
	xa_for_each(&km->threads, index, kt) {
		if (kt->at_nid == NUMA_NO_NODE)
			continue;
		if (!knumad_set_fits(kt->root, cap))
			alone[kt->at_nid] += kt->share;
		else if (kt->root->set_split)
			load[kt->at_nid] -= kt->share;
	}
	for (i = 0; i < nr_node_ids; i++)
		avail[i] = load[i] - alone[i];
	xa_for_each(&km->threads, index, kt) {
		if (kt == kt->root && kt->set_split &&
		    knumad_set_fits(kt, cap) &&
		    knumad_set_node(kt, avail, cap, sum) == NUMA_NO_NODE) {
			knumad_set_reload(kt, load);
			kt->set_split = false;
		}
	}
	xa_for_each(&km->threads, index, kt) {
		if (kt != kt->root || !kt->set_split ||
		    !knumad_set_fits(kt, cap))
			continue;
		nid = knumad_set_node(kt, load, cap, sum);
		if (nid == NUMA_NO_NODE) {
			for (i = 0; i < nr_node_ids; i++)
				avail[i] = load[i] - alone[i];
			nid = knumad_set_node(kt, avail, cap, sum);
		}
		part = nid == NUMA_NO_NODE ? NUMA_NO_NODE :
		       knumad_part_at(km, want, nid);
		if (part == NUMA_NO_NODE) {
			knumad_set_reload(kt, load);	/* as it was */
			continue;
		}
		/* the threads alone at @nid that are in the way */
		xa_for_each(&km->threads, i2, m) {
			if (load[nid] + kt->set_share <= cap[nid])
				break;
			if (m->at_nid != nid || knumad_set_fits(m->root, cap))
				continue;
			m->part = NUMA_NO_NODE;
			m->at_nid = NUMA_NO_NODE;
			load[nid] -= m->share;
			alone[nid] -= m->share;
		}
		knumad_set_assign(kt, nid, part, load);
		changed = true;
		knumad_mark_regrouped(km);
	}
	/*
	 * The members of a set without a part: with the others, or
	 * together.  Sharers that ran on another node than the one they
	 * are put on took their memory by turns from two nodes: what that
	 * decided - a region held where it was for the longest flip
	 * back-off (knumad_region_visit()), maybe at another part's home -
	 * gives way to their part's home (@regrouped), as for a set that
	 * was in two parts.  Not for sharers that ran where they go: the
	 * mark turns the hold off for all of the process's regions.
	 */
	xa_for_each(&km->threads, index, kt) {
		if (!kt->active || kt->part != NUMA_NO_NODE)
			continue;
		root = kt->root;
		if (!knumad_set_fits(root, cap))
			continue;
		nid = root->set_nid;
		if (nid == NUMA_NO_NODE) {
			/* once per set: its root tries for all of it */
			if (kt != root)
				continue;
			nid = knumad_set_node(root, load, cap, sum);
			if (knumad_set_place(km, root, nid, load, want)) {
				changed = true;
				for (m = root; m; m = m->set_next)
					if (m->cpu_nid != NUMA_NO_NODE &&
					    m->cpu_nid != nid)
						break;
				if (m)
					knumad_mark_regrouped(km);
			}
			continue;
		}
		if (!kt->task || !knumad_may_run(kt->task, nid) ||
		    load[nid] + kt->share > cap[nid])
			continue;
		part = knumad_part_at(km, want, nid);
		if (part == NUMA_NO_NODE)
			continue;
		kt->part = part;
		load[nid] += kt->share;
		changed = true;
		if (kt->cpu_nid != NUMA_NO_NODE && kt->cpu_nid != nid)
			knumad_mark_regrouped(km);
	}
	for (stage = 0; stage < 4; stage++) {
		xa_for_each(&km->threads, index, kt) {
			if (!kt->active || kt->part != NUMA_NO_NODE)
				continue;
			switch (stage) {
			case 0:
				nid = kt->mem_nid == kt->cpu_nid ?
				      kt->mem_nid : NUMA_NO_NODE;
				break;
			case 1:
				nid = kt->mem_nid;
				break;
			case 2:
				nid = kt->cpu_nid;
				break;
			default:
				nid = kt->task ?
				      knumad_split_roomiest(kt->task, load, cap) :
				      NUMA_NO_NODE;
				break;
			}
			if (nid == NUMA_NO_NODE ||
			    (stage < 3 && load[nid] + kt->share > cap[nid]))
				continue;
			part = knumad_part_at(km, want, nid);
			if (part == NUMA_NO_NODE)
				continue;
			kt->part = part;
			load[nid] += kt->share;
			changed = true;
		}
	}
	/* the tasks were looked up under this RCU read section only */
	xa_for_each(&km->threads, index, kt)
		kt->task = NULL;
	return changed;
}

/*
 * Where a split census sends a thread whose part is at home @nid now
 * (NUMA_NO_NODE: no part), which was at @placed at the last census
 * (NUMA_NO_NODE: none), and whose samples were taken at @cpu_nid
 * (knumad_split_assign()): KNUMAD_SENT_MOVED, its part is at another
 * home than it was - the placement changed (knumad_placed()); _FIRST, its
 * first part is away from where it ran; _NONE otherwise.  Either of the
 * first two asks for a pass out of turn (knumad_resample_queue()).  Pure:
 * tested by KUnit.
 */
enum knumad_sent_kind { KNUMAD_SENT_NONE, KNUMAD_SENT_MOVED, KNUMAD_SENT_FIRST };

static enum knumad_sent_kind knumad_sent(int nid, int placed, int cpu_nid)
{
	if (nid == NUMA_NO_NODE)
		return KNUMAD_SENT_NONE;
	if (placed != NUMA_NO_NODE)
		return nid != placed ? KNUMAD_SENT_MOVED : KNUMAD_SENT_NONE;
	return cpu_nid != NUMA_NO_NODE && cpu_nid != nid ?
	       KNUMAD_SENT_FIRST : KNUMAD_SENT_NONE;
}

/*
 * When a pass out of turn over a process whose threads were placed anew
 * is due, or 0 for none: a step (1/2^KNUMAD_LOOK_SHIFT of a scan period
 * of @period jiffies) from @now - time for the threads to reach their
 * homes, at their next wakeup or tick - if that is a step or more before
 * the next pass (the last began at @pass_at; for an ask, @ask, half a
 * step, knumad_ask_now(): the pass out of turn is the first of the two visits
 * knumad_region_follow() wants, the next pass the second, and the
 * half step is for its samples to fault - a region still armed at the
 * next pass waits) and the passes out of turn have pages left to scan
 * this period (@budget).  Pure: tested by KUnit.
 */
static bool knumad_ask_now(unsigned long now, unsigned long pass_at,
			   unsigned long period, long budget);

static unsigned long knumad_resample_at(unsigned long now,
					unsigned long pass_at,
					unsigned long period, long budget,
					bool ask)
{
	unsigned long step = period >> KNUMAD_LOOK_SHIFT;
	unsigned long at = now + step;

	/* 0 is none: at == 0 (jiffies about to wrap) gives none too */
	if (ask)
		return knumad_ask_now(at, pass_at, period, budget) && at ?
		       at : 0;
	if (!step || budget <= 0 || !time_before(at + step, pass_at + period) ||
	    !at)
		return 0;
	return at;
}

/*
 * Whether the pass out of turn an ask brought may run at @now (a look
 * takes the ask at once: knumad_look(); the walk's comes a step later):
 * half a step, rounded up, before the next pass, with budget left.  Pure:
 * tested by KUnit.
 */
static bool knumad_ask_now(unsigned long now, unsigned long pass_at,
			   unsigned long period, long budget)
{
	unsigned long step = period >> KNUMAD_LOOK_SHIFT;

	return step && budget > 0 &&
	       time_before(now + DIV_ROUND_UP(step, 2), pass_at + period);
}

/*
 * Queue a pass out of turn over @km at @at (knumad_resample()), on the
 * list of looks.  A look waiting for the process becomes that pass; it
 * waits until @at if @later (a placement: the threads need the step to
 * get to their nodes, and the pass keeps the process from backing off),
 * else it keeps its time.  Under knumad_mm_lock; the thread's only.
 */
static void knumad_resample_add(struct knumad_mm *km, unsigned long at,
				bool later)
{
	lockdep_assert_held(&knumad_mm_lock);
	km->resample = true;
	km->resample_placed |= later;
	km->resample_seq = km->seq;
	if (list_empty(&km->look_node)) {
		km->look_at = at;
		list_add_tail(&km->look_node, &knumad_scan.looks);
	} else if (later && time_before(km->look_at, at)) {
		km->look_at = at;	/* a look due first waits for it */
	}
	if (list_is_singular(&knumad_scan.looks) ||
	    time_before(km->look_at, knumad_scan.look_at))
		knumad_scan.look_at = km->look_at;
}

/*
 * The threads of @km's process were placed on other nodes (a new part, a
 * part at another home than at the last census - a thread given another
 * part, a home moved - or a thread's first part away from the node its
 * samples were taken on): their memory is sampled from where they go by a
 * pass out of turn (knumad_resample_at()), not by the next pass, a scan
 * period after the last.  numa02 and vnuma on 2 nodes, traced: in each
 * run the memory of the threads a split sent to the other node started to
 * move 1.0-1.1 s after the split, with the next pass's samples.  Bounded:
 * the passes out of turn scan from knumad_scan.resample_budget,
 * pages_to_scan a scan period for all processes together, so knumad scans
 * at most twice pages_to_scan a period; and one comes only a step or more
 * before the next pass (half a step for one an ask brings,
 * knumad_asks()), a process has one waiting at a time, and walks and
 * looks come a step apart: 2^KNUMAD_LOOK_SHIFT - 1 of them a period at
 * most, where the step divides the period.  They ride on
 * the looks (knumad_look()).  The thread's only.
 */
static void knumad_resample_queue(struct knumad_mm *km)
{
	unsigned long at = knumad_resample_at(jiffies, knumad_scan.pass_at,
			msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms)),
			knumad_scan.resample_budget, false);

	if (!at)
		return;
	spin_lock(&knumad_mm_lock);
	if (!km->exited)
		knumad_resample_add(km, at, true);
	spin_unlock(&knumad_mm_lock);
}

/*
 * Threads changed node, or new threads ran where few of their process's
 * samples were taken, since the last walk (knumad_ask()): a pass out of
 * turn over each such process that a pass sampled before
 * (knumad_resample_at(), as after a placement), so its memory is sampled
 * from where its threads run now a step later, not at the next pass - up
 * to a period later, or up to 2^KNUMAD_MAX_BACKOFF periods for a process
 * backing off (make test: a thread that started on the far node of a
 * process sampled on node 0 only moved nothing in 10 s of 4-s periods).
 * A first look waiting for the process is left to decide the groups, and
 * takes the ask itself when it ran (knumad_look()): a look queued again
 * for a new thread's verdict held it up a step more, twice in a row in
 * make test.  A walk over the processes, under knumad_mm_lock, at most
 * once a step (1/2^KNUMAD_LOOK_SHIFT of a @period), and a wakeup a step
 * after each walk (asks made meanwhile do not wake the thread).  A pass
 * out of turn comes if it is due half a step before the next regular
 * pass, not a step as after a placement: its samples are the first visit
 * from the new node, the regular pass's the second (a first look held
 * back for a new thread's verdict, 1 s, had the ask taken 2 s after a 4-s
 * pass, and dropped then: the memory moved two passes later, 9.3 s, in 3
 * of 8 runs of make test's new_thread tests).  An ask no pass may follow
 * (the next pass is near, or the budget is spent) is dropped: the next
 * pass samples the thread's memory from where it is (@thread_moved).  So
 * is one the walk queued whose look a look for another process pushed
 * past the next pass (looks come a step apart): knumad_resample() finds
 * the pass completed.  The passes out of turn draw from the same budget
 * as those after placements: knumad arms at most twice pages_to_scan a
 * period, however many threads move.  O(processes) a walk, under a
 * spinlock: fine for thousands.
 */
static void knumad_asks(unsigned long period)
{
	unsigned long step = max(period >> KNUMAD_LOOK_SHIFT, 1UL);
	unsigned long at = knumad_resample_at(jiffies, knumad_scan.pass_at,
					      period,
					      knumad_scan.resample_budget,
					      true);
	struct knumad_mm *km;
	bool again = false;

	/* the flag, then the asks: knumad_ask() */
	xchg(&knumad_asked, false);
	knumad_scan.ask_at = jiffies + step;
	spin_lock(&knumad_mm_lock);
	list_for_each_entry(km, &knumad_scan.mms, node) {
		if (!READ_ONCE(km->resample_ask) || km->exited)
			continue;
		/*
		 * Its first look waits: it decides the groups, which a
		 * pass out of turn in its place might not (one that sits
		 * out while the threads move, for one); the ask waits
		 * for the next walk, after the look.
		 */
		if (!list_empty(&km->look_node) && !km->resample) {
			again = true;
			continue;
		}
		/* dropped if none may come: the next pass is near */
		if (!xchg(&km->resample_ask, false) || !at ||
		    test_bit(MMF_NUMA_BALANCING_DISABLE, &km->mm->flags))
			continue;
		knumad_resample_add(km, at, false);
	}
	spin_unlock(&knumad_mm_lock);
	if (again)
		WRITE_ONCE(knumad_asked, true);
}

/*
 * A process whose active threads fit no one node is split: one implicit
 * group per node it needs, each active thread in one (see
 * knumad_split_assign()), threads that share memory in one part when
 * they fit a node.  The scheduler keeps each thread at its part's home,
 * so the regions each thread uses learn one node and move there - what
 * mainline's per-task preferred node, numa_group and task swapping
 * achieve, with the group balancer's rules for moving a home.  Parts
 * nobody is assigned to are dissolved.  @mems: the cpuset mems of the
 * process's threads.
 */
static void knumad_split_update(struct knumad_mm *km, const nodemask_t *mems)
{
	struct memsched_group **parts = km->parts, *group;
	unsigned long *load, *cap, *members, *sum;
	struct knumad_thread *kt, **tbl;
	cpumask_var_t usable;
	struct task_struct *t;
	unsigned long index;
	bool changed, moved, sent, made = false;
	enum knumad_sent_kind kind;
	int nid, *want;

	if (!parts) {
		/* the process makes us hold it: charged to it, as regions */
		struct mem_cgroup *memcg = get_mem_cgroup_from_mm(km->mm);
		struct mem_cgroup *old = set_active_memcg(memcg);

		parts = kcalloc(nr_node_ids, sizeof(*parts),
				GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		set_active_memcg(old);
		mem_cgroup_put(memcg);
		if (!parts)
			return;
		spin_lock(&km->lock);
		km->parts = parts;
		spin_unlock(&km->lock);
	}
	load = kcalloc(7 * nr_node_ids, sizeof(*load), GFP_KERNEL);
	want = kmalloc_array(nr_node_ids, sizeof(*want), GFP_KERNEL);
	tbl = kmalloc_array(LAST__PID_MASK + 1, sizeof(*tbl), GFP_KERNEL);
	if (!load || !want || !tbl ||
	    !zalloc_cpumask_var(&usable, GFP_KERNEL)) {
		kfree(tbl);
		kfree(want);
		kfree(load);
		return;
	}
	cap = load + nr_node_ids;
	members = cap + nr_node_ids;
	sum = members + nr_node_ids;
	for (nid = 0; nid < nr_node_ids; nid++)
		want[nid] = NUMA_NO_NODE;

	/* the CPUs any active thread may use */
	rcu_read_lock();
	spin_lock(&km->lock);
	xa_for_each(&km->threads, index, kt) {
		t = find_task_by_pid_ns(index, &init_pid_ns);
		if (t && kt->active)
			cpumask_or(usable, usable, t->cpus_ptr);
	}
	spin_unlock(&km->lock);
	rcu_read_unlock();
	cpumask_and(usable, usable, cpu_online_mask);

	/* ... there, that other groups' threads do not prefer yet */
	knumad_claimed(km, members, NULL);
	for_each_node_mask(nid, *mems) {
		unsigned int cpus;

		if (nid >= nr_node_ids || !node_state(nid, N_MEMORY))
			continue;
		cpus = cpumask_weight_and(cpumask_of_node(nid), usable);
		if (!cpus)
			continue;
		cap[nid] = (cpus - min_t(unsigned long, cpus, members[nid])) *
			   1024 + KNUMAD_FIT_SLACK;
	}
	memset(members, 0, nr_node_ids * sizeof(*members));

	rcu_read_lock();
	spin_lock(&km->lock);
	changed = knumad_split_assign(km, load, cap, want, tbl, sum);
	/*
	 * A thread whose part is at another home than at the last census
	 * changes the placement; not one that got its first part (the parts
	 * made below do, at a first split), nor one that left.
	 */
	moved = false;
	sent = false;
	xa_for_each(&km->threads, index, kt) {
		nid = NUMA_NO_NODE;
		if (kt->part != NUMA_NO_NODE) {
			members[kt->part]++;
			nid = knumad_part_home_want(km, kt->part, want);
		}
		kind = knumad_sent(nid, kt->placed_nid, kt->cpu_nid);
		if (kind == KNUMAD_SENT_MOVED)
			moved = true;
		if (kind != KNUMAD_SENT_NONE)
			sent = true;
		kt->placed_nid = nid;
	}
	/* threads join their new part at their next fault: sample soon */
	if (changed)
		km->busy = true;
	if (moved)
		knumad_placed(km);
	spin_unlock(&km->lock);
	rcu_read_unlock();

	for (nid = 0; nid < nr_node_ids; nid++) {
		if (members[nid] && !parts[nid]) {
			int home = knumad_part_home_want(km, nid, want);

			group = memsched_group_create_implicit(km->mm, home,
							       mems);
			if (!group)
				continue;	/* the next pass tries again */
			group->nr_expected = members[nid];
			spin_lock(&km->lock);
			parts[nid] = group;
			knumad_placed(km);
			spin_unlock(&km->lock);
			/* its threads count as its parts' members now */
			knumad_kept_set(km, NULL);
			made = true;
			trace_memsched_group_move(group->id, NUMA_NO_NODE, home,
						  members[nid], 0, "knumad");
		} else if (!members[nid] && parts[nid]) {
			spin_lock(&km->lock);
			group = parts[nid];
			parts[nid] = NULL;
			spin_unlock(&km->lock);
			knumad_group_release(group);
		}
	}
	if (changed || made)
		knumad_join_threads(km);
	/*
	 * Threads go to other nodes: a part's home is new or another, or a
	 * thread's first part is away from where it ran.
	 */
	if (made || sent)
		knumad_resample_queue(km);
	free_cpumask_var(usable);
	kfree(tbl);
	kfree(want);
	kfree(load);
}

/*
 * After a pass over the process: give it an implicit group with a home
 * node if it fits one node, or take the group away if it no longer fits
 * its home (the group balancer may have moved the home meanwhile).  A
 * process with two or more active threads that fit no one node's CPUs
 * is split instead (knumad_split_update()).
 * Called without mmap_lock: creating a group takes memsched_mutex.
 * Returns 0, or, when a busy thread without a verdict yet kept a process
 * without a group from getting one, when (ktime) the last such thread
 * will have a verdict - or, when a busy thread without samples yet did,
 * a quarter of a window from now.  A first look (@look: knumad_look()) decides
 * nothing while an active thread runs away from the node its samples
 * came from: it was moved since, and a pass's samples will tell where it
 * stays (numa01t with THP on 4 nodes: a thread moved off the node where
 * it first touched its memory was given a home there by the look, and
 * its memory and a thread of the other process moved for nothing).
 */
static u64 knumad_implicit_update(struct knumad_mm *km, bool look)
{
	unsigned int *cpus, *left, *idle, threads, keep_cpus;
	unsigned long *faults, *room, *claimed, *others, *kept, rss;
	cpumask_var_t allowed, keep_allowed;
	struct memsched_group *group;
	struct knumad_census c;
	int nid, home, off, prev_off = km->off_nid;
	u64 verdict = 0;
	bool split;

	km->update_at = jiffies;
	km->off_nid = NUMA_NO_NODE;	/* at this look, below */
	if (test_bit(MMF_NUMA_BALANCING_DISABLE, &km->mm->flags) ||
	    READ_ONCE(km->explicit)) {
		knumad_implicit_drop(km);
		knumad_prefs_drop(km);
		return 0;
	}
	faults = kcalloc(nr_node_ids, sizeof(*faults), GFP_KERNEL);
	room = kcalloc(nr_node_ids, sizeof(*room), GFP_KERNEL);
	cpus = kcalloc(nr_node_ids, sizeof(*cpus), GFP_KERNEL);
	kept = kcalloc(nr_node_ids, sizeof(*kept), GFP_KERNEL);
	if (!faults || !room || !cpus || !kept ||
	    !zalloc_cpumask_var(&allowed, GFP_KERNEL))
		goto out_free;
	if (!zalloc_cpumask_var(&keep_allowed, GFP_KERNEL))
		goto out_allowed;

	/* @room is filled after: scratch until then */
	threads = knumad_active_threads(km, allowed, keep_allowed, &c, kept,
					room);
	knumad_kept_set(km, kept);
	/*
	 * Where its memory is, then where its threads run: the faults by
	 * both, so a node holding the memory and running some of the
	 * threads wins (the threads are cheaper to move), and memory on a
	 * node without CPUs leaves the choice to the threads.
	 */
	spin_lock(&km->lock);
	for (nid = 0; nid < nr_node_ids; nid++)
		faults[nid] = km->faults[nid] + km->faults[nr_node_ids + nid];
	off = knumad_ran_off_mem(km->faults + nr_node_ids, nr_node_ids,
				 &c.ran, &c.spurned);
	spin_unlock(&km->lock);
	rss = get_mm_rss(km->mm);
	for_each_node_mask(nid, c.mems) {
		struct sysinfo si;

		if (nid >= nr_node_ids)
			continue;
		si_meminfo_node(&si, nid);	/* totalram: managed pages */
		cpus[nid] = cpumask_weight_and(cpumask_of_node(nid), allowed);
		room[nid] = si.totalram / 2;
	}

	group = km->implicit;	/* only this thread changes it */
	if (group) {
		home = READ_ONCE(group->home_nid);
		keep_cpus = cpumask_weight_and(cpumask_of_node(home),
					       keep_allowed);
		if (!knumad_implicit_keeps(keep_cpus, room[home], c.demand,
					   rss))
			knumad_implicit_drop(km);
		goto out;
	}
	/* a new group only once every thread with faults is judged */
	if (c.unsure) {
		verdict = c.verdict_ns;
		goto out;
	}
	if (look && c.moved)
		goto out;
	if (!threads) {
		knumad_parts_drop(km);
		goto out;
	}
	/*
	 * First the nodes whose CPUs other groups' threads leave free: two
	 * processes with their memory on one node are not both sent there
	 * to wait MEMSCHED_MIN_RESIDENCY for the group balancer.
	 */
	claimed = kcalloc(nr_node_ids, sizeof(*claimed), GFP_KERNEL);
	others = kcalloc(nr_node_ids, sizeof(*others), GFP_KERNEL);
	left = kcalloc(nr_node_ids, sizeof(*left), GFP_KERNEL);
	idle = kcalloc(nr_node_ids, sizeof(*idle), GFP_KERNEL);
	if (!claimed || !others || !left || !idle) {
		kfree(claimed);
		kfree(others);
		kfree(left);
		kfree(idle);
		goto out;
	}
	knumad_claimed(km, claimed, others);
	for (nid = 0; nid < nr_node_ids; nid++) {
		left[nid] = cpus[nid] - min_t(unsigned long, cpus[nid],
					      claimed[nid]);
		idle[nid] = cpus[nid] - min_t(unsigned long, cpus[nid],
					      others[nid]);
	}
	/*
	 * A split process that comes to fit a node merges, as sharers do.
	 * Split now, not once (the array of parts stays once made): a
	 * process merged or idle since is judged as any other.
	 */
	split = knumad_split_now(km);
	home = knumad_implicit_pick(faults, left, idle, cpus, room,
				    nr_node_ids, c.demand, rss,
				    nodes_weight(c.ran), c.shared || split);
	kfree(idle);
	kfree(left);
	kfree(others);
	kfree(claimed);
	/* ... but not while a busy thread is unknown: knumad_split_stays() */
	if (split && c.unseen)
		home = NUMA_NO_NODE;
	if (home == NUMA_NO_NODE) {
		bool fits = false;

		for (nid = 0; nid < nr_node_ids; nid++)
			if (c.demand <= cpus[nid] * 1024 + KNUMAD_FIT_SLACK)
				fits = true;
		if (knumad_split_stays(threads, fits, split, c.unseen))
			knumad_split_update(km, &c.mems);
		else
			knumad_parts_drop(km);
		goto out;
	}
	/*
	 * A home brings threads and memory that are apart together (threads
	 * move to their memory at their next wakeup, memory a page at a
	 * time), and keeps threads that share memory together.  Threads that
	 * ran on two or more nodes, none of them apart from its memory, are
	 * neither: a home would move some of them and their memory off their
	 * nodes for nothing (numa01 THREAD_ALLOC: two such processes on two
	 * nodes, one given a home, a thread of each and its memory moved,
	 * locality at 50% for 2-5 s).  Their memory follows each of them,
	 * as a process's without a group does.  Threads on two nodes that
	 * share memory: one of them is apart from it - in samples too when
	 * they write it in step and the one ahead takes nearly all of them
	 * (the one behind takes few, all away).  Not a proof: local memory
	 * that settled is sampled rarely (knumad_region_waits()), so a
	 * thread that runs where its memory is has few samples, and the
	 * one behind on shared memory may have too few to be apart - so
	 * the process's samples count as well: nearly all of them of one
	 * node's memory, a thread ran on another, each that did and has
	 * samples has more than half of them there, and the home is that
	 * node (knumad_ran_off_mem(); not a home elsewhere: all the memory
	 * would move) - at two looks in a row: a thread whose own memory
	 * settled may have no samples at one of them - and only where the
	 * process's samples stand for its memory (knumad_mostly_sampled()):
	 * a thread on a memfd has none of its own, and its memory does not
	 * follow a home.  A busy thread without samples yet may tell: wait
	 * for it.  A split process that comes to fit one node is merged as
	 * before.
	 */
	if (!split && c.unseen) {
		/* its samples come within a pass: a look may see them */
		verdict = ktime_get_ns() +
			  (KNUMAD_ACTIVE_WINDOW_NS >> KNUMAD_LOOK_SHIFT);
		goto out;
	}
	if (!split && nodes_weight(c.ran) > 1 && !c.apart) {
		if (off != home || !knumad_mm_mostly_sampled(km->mm))
			goto out;
		km->off_nid = off;
		if (prev_off != off)
			goto out;
	}
	knumad_parts_drop(km);
	group = memsched_group_create_implicit(km->mm, home, &c.mems);
	if (!group)
		goto out;
	group->nr_expected = threads;
	spin_lock(&km->lock);
	km->implicit = group;
	km->busy = true;	/* its threads and memory move */
	knumad_placed(km);
	spin_unlock(&km->lock);
	/* its threads count as the group's members now (nr_expected) */
	knumad_kept_set(km, NULL);
	knumad_join_threads(km);
	trace_memsched_group_move(group->id, NUMA_NO_NODE, home, threads, rss,
				  "knumad");
out:
	free_cpumask_var(keep_allowed);
out_allowed:
	free_cpumask_var(allowed);
out_free:
	kfree(kept);
	kfree(cpus);
	kfree(room);
	kfree(faults);
	return verdict;
}

/* Whether a first look waits (the thread's check, without the lock). */
static bool knumad_looks_wait(void)
{
	return !list_empty_careful(&knumad_scan.looks);
}

/*
 * After @km's first completed pass that armed samples, while it has no
 * group: queue its first look (KNUMAD_LOOK_SHIFT), or - if @verdict (see
 * knumad_implicit_update()) says its busy threads get their verdicts
 * later - at that time, unless the next pass comes first.  Queued from a
 * pass once in the process's life (@looked is never cleared); a look
 * that a thread without a verdict (or without samples) kept from
 * deciding is queued again for that verdict, within the same bound: the
 * next pass.  Such a thread is one first seen at the look: an
 * old thread gets a window of its own then (knumad_active_threads()), and
 * one whose life so far was busy is unsure until its window ends (make
 * test: a main thread that had first-touched the memory, first sampled
 * after the pass, kept first_look_comes_before_second_pass's process
 * from its group until the second pass, 3.95-4.09 s instead of ~1 s).
 * knumad_scan.look_at and .pass_at are the thread's.
 */
static void knumad_look_queue(struct knumad_mm *km, u64 verdict)
{
	unsigned long period =
		msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms));
	unsigned long at = knumad_scan.pass_at + (period >> KNUMAD_LOOK_SHIFT);
	u64 now = ktime_get_ns();

	if (!READ_ONCE(km->scanned) || km->implicit || km->parts ||
	    READ_ONCE(km->explicit))
		return;
	if (verdict > now) {
		unsigned long v = jiffies + nsecs_to_jiffies(verdict - now) + 1;

		if (time_after(v, at))
			at = v;
	}
	if (!time_before(at, knumad_scan.pass_at + period))
		return;		/* the next pass looks: try after it */
	km->looked = true;
	km->look_at = at;
	spin_lock(&knumad_mm_lock);
	if (!km->exited && list_empty(&km->look_node)) {
		if (list_empty(&knumad_scan.looks) ||
		    time_before(at, knumad_scan.look_at))
			knumad_scan.look_at = at;
		list_add_tail(&km->look_node, &knumad_scan.looks);
	}
	spin_unlock(&knumad_mm_lock);
}

/*
 * Done with @km, which a migration pass or a look worked on as
 * knumad_scan.busy: free it if its process exited meanwhile, unless it is
 * the scan's cursor (the pass frees it then).  Under knumad_mm_lock,
 * which it may drop and take again.
 */
static void knumad_busy_done(struct knumad_mm *km)
{
	lockdep_assert_held(&knumad_mm_lock);
	knumad_scan.busy = NULL;
	if (km->exited && knumad_scan.cursor != km) {
		list_del(&km->node);
		spin_unlock(&knumad_mm_lock);
		knumad_mm_free(km);
		spin_lock(&knumad_mm_lock);
	}
}

static bool knumad_do_mm(struct knumad_mm *km, struct knumad_batch *b,
			 long *budget, bool disarm);
static void knumad_settle_again(struct knumad_mm *km);
static bool knumad_moves_first(struct knumad_mm *km, bool moved);

/*
 * The pass out of turn that knumad_resample_queue() or knumad_asks()
 * asked for, as a look:
 * over @km only, from knumad_scan.resample_budget.  Brought forward as a
 * thread's move brings one (km->early: the regular pass keeps its time,
 * settled regions wait for it but those of threads that changed node) -
 * unless a regular pass over the process is under way (@scan_addr): that
 * one goes on, and completes as itself; and a pass out of turn that does
 * not complete leaves the flag as it was.  A placement that asked for it
 * keeps the process from backing off (@busy; not a thread's change of
 * node: a process whose threads the load balancer moves about would
 * never back off - nor does such a pass back it off further, unless it
 * completed a regular pass).  Not once a regular pass completed since it
 * was asked for (@resample_seq: the thread came late to the look), and
 * not while the threads move what they learned (knumad_moves_first(), as
 * for a regular pass).
 */
static void knumad_resample(struct knumad_mm *km)
{
	struct knumad_batch b = { .folios = LIST_HEAD_INIT(b.folios) };
	long budget = knumad_scan.resample_budget;
	bool moved = READ_ONCE(km->thread_moved), was;
	bool placed = km->resample_placed, regular = km->scan_addr;
	unsigned long scanned = km->scanned;
	unsigned int backoff = km->backoff;

	km->resample_placed = false;
	/*
	 * A regular pass completed since it was asked for (the thread was
	 * late to the look): that one sampled where the threads went.
	 */
	if (km->seq != km->resample_seq && !km->scan_addr)
		return;
	if (budget <= 0 || knumad_moves_first(km, moved))
		return;
	if (moved)
		knumad_settle_again(km);
	was = km->early;
	if (!km->scan_addr)
		km->early = true;
	if (placed) {
		spin_lock(&km->lock);
		km->busy = true;
		spin_unlock(&km->lock);
	}
	if (!knumad_do_mm(km, &b, &budget, false))
		km->early = was;
	/* not a regular pass under way that it went on with */
	if (!regular)
		WRITE_ONCE(km->scanned_early,
			   km->scanned_early + km->scanned - scanned);
	/*
	 * Nor does one that a change of node asked for back the process
	 * off further when it found nothing to move: a process whose
	 * threads the load balancer moves about would back off faster.
	 */
	if (!placed && !regular && km->backoff > backoff) {
		km->backoff = backoff;
		km->skip = min(km->skip, (1U << backoff) - 1);
	}
	knumad_scan.resample_budget = budget;
	if (b.isolate_failed)
		lru_add_drain_all();
}

/*
 * The first looks that are due (knumad_look_queue()): decide the groups
 * of those processes from the faults their first samples took, as the
 * end of their next pass would, without the pass.  The slots come off
 * the list one at a time; knumad_scan.busy keeps each from being freed
 * meanwhile, as in knumad_migrate_pass().  Those not due go back, and
 * the next look comes when the earliest of them is due, but not before
 * 1/2^KNUMAD_LOOK_SHIFT of @period from now (a pass may queue one
 * sooner): looks wake the thread 2^KNUMAD_LOOK_SHIFT + 1 times a period
 * at most, however many processes start.  A look walks no memory but
 * for a pass out of turn (knumad_resample_queue(): @resample), within its
 * budget; the list holds the processes whose first pass ended in the
 * last period and those placed anew since the last pass, at most.
 */
static void knumad_look(unsigned long period)
{
	unsigned long now = jiffies;
	unsigned long soonest = now + (period >> KNUMAD_LOOK_SHIFT), next = 0;
	struct knumad_mm *km;
	LIST_HEAD(later);
	bool first = true;

	spin_lock(&knumad_mm_lock);
	while ((km = list_first_entry_or_null(&knumad_scan.looks,
					      struct knumad_mm, look_node))) {
		if (time_before(now, km->look_at)) {
			if (first || time_before(km->look_at, next))
				next = km->look_at;
			first = false;
			/* knumad_exit() takes it off this list, as off any */
			list_move_tail(&km->look_node, &later);
			continue;
		}
		list_del_init(&km->look_node);
		knumad_scan.busy = km;
		spin_unlock(&knumad_mm_lock);
		if (km->resample) {
			km->resample = false;
			knumad_resample(km);
		} else if (mmget_not_zero(km->mm)) {
			struct knumad_batch b = {};
			u64 verdict;

			/* the process's CPU, as its passes' (scan_ns) */
			knumad_charge_start(&b);
			verdict = knumad_implicit_update(km, true);
			knumad_charge(km, &b, true);
			/*
			 * A busy thread without a verdict kept the look from
			 * deciding: look again when it has one, if that is
			 * before the next pass (knumad_look_queue()).
			 */
			if (verdict)
				knumad_look_queue(km, verdict);
			/*
			 * An ask that waited for this look (knumad_asks()):
			 * its pass out of turn now - not a walk later, when
			 * the look, queued again for a verdict, would hold
			 * it up once more.  Not if the look placed the
			 * threads (that pass is queued, and the walk adds
			 * the ask to it), nor if a regular pass sampled
			 * where the threads went since (@thread_moved
			 * cleared).
			 */
			if (!km->resample && READ_ONCE(km->resample_ask) &&
			    READ_ONCE(km->thread_moved) &&
			    knumad_ask_now(jiffies, knumad_scan.pass_at,
					   period,
					   knumad_scan.resample_budget) &&
			    !test_bit(MMF_NUMA_BALANCING_DISABLE,
				      &km->mm->flags) &&
			    xchg(&km->resample_ask, false)) {
				km->resample_seq = km->seq;
				knumad_resample(km);
			}
			mmput_async(km->mm);	/* see knumad_do_mm() */
		}
		spin_lock(&knumad_mm_lock);
		knumad_busy_done(km);
	}
	/*
	 * Only this thread queues looks (knumad_look_queue(),
	 * knumad_resample_queue()); one that exited since leaves @next
	 * early, which costs a wakeup, no more.
	 */
	list_splice(&later, &knumad_scan.looks);
	if (!first)
		knumad_scan.look_at = time_before(next, soonest) ? soonest :
				      next;
	spin_unlock(&knumad_mm_lock);
}

/* knumad was disabled: the looks waiting are dropped, not kept for later. */
static void knumad_looks_drop(void)
{
	struct knumad_mm *km;

	spin_lock(&knumad_mm_lock);
	while ((km = list_first_entry_or_null(&knumad_scan.looks,
					      struct knumad_mm, look_node))) {
		list_del_init(&km->look_node);
		km->resample = false;
		km->resample_placed = false;
	}
	WRITE_ONCE(knumad_asked, false);	/* asks made before are moot */
	spin_unlock(&knumad_mm_lock);
}

/* After a completed pass: how many passes @km sits out now. */
static void knumad_backoff(struct knumad_mm *km)
{
	bool busy;

	spin_lock(&km->lock);
	busy = km->busy;
	km->busy = false;
	spin_unlock(&km->lock);
	if (busy)
		km->backoff = 0;
	else if (km->backoff < KNUMAD_MAX_BACKOFF)
		km->backoff++;
	km->skip = (1U << km->backoff) - 1;
}

/*
 * When @km's next regular pass is due: 2^backoff scan periods after its
 * last one completed.
 */
static unsigned long knumad_regular_due(struct knumad_mm *km)
{
	return km->regular_at +
	       (msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms)) <<
		km->backoff);
}

/*
 * A pass a thread's move brought forward completed: the regular pass,
 * due at @due, stays where it was - not 2^backoff periods from now (a
 * move just before it would put the samples it owes off by a whole
 * back-off).  A pass that started early and became regular on the way
 * was not one: @due has passed, and the next visit is.
 */
static void knumad_keep_schedule(struct knumad_mm *km, unsigned long due)
{
	unsigned long period =
		max(msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms)), 1UL);
	unsigned int skip = 0;

	if (time_before(jiffies, due))
		skip = DIV_ROUND_UP(due - jiffies, period) - 1;
	km->skip = min(km->skip, skip);
}

/* Work for one process: migrate what is due, then arm the next sample. */
static bool knumad_do_mm(struct knumad_mm *km, struct knumad_batch *b,
			 long *budget, bool disarm)
{
	struct mm_struct *mm = km->mm;
	bool done = true;
	u64 verdict;

	if (!mmget_not_zero(mm))
		return true;
	/* The disabling wins: a mover in flight ends its batch (2 MiB). */
	while (disarm && atomic_read(&km->task_movers))
		schedule_timeout_uninterruptible(1);
	mmap_read_lock(mm);
	knumad_charge_start(b);
	if (disarm) {
		if (km->scanned)
			knumad_disarm_mm(mm);
		knumad_drop_work(km);
		goto out;
	}
	if (test_bit(MMF_NUMA_BALANCING_DISABLE, &mm->flags)) {
		knumad_drop_work(km);	/* opted out: nothing moves */
		goto out;
	}
	if (!knumad_threads_move(km)) {
		/* the budget is taken for the move only: movers share it */
		b->budget = knumad_tokens_take(KNUMAD_THREAD_MOVE_PAGES,
					       false);
		if (b->budget)
			knumad_migrate(km, b);
		knumad_tokens_put(b->budget);
		b->budget = 0;
	}
	knumad_charge(km, b, false);
	/*
	 * Held no more once the pass it sat out for is due: moves that keep
	 * coming do not keep its settled regions from their samples.
	 */
	km->hold = km->early && time_before(jiffies, knumad_regular_due(km));
	done = knumad_scan_mm(km, b, budget);
out:
	mmap_read_unlock(mm);
	if (disarm) {
		knumad_implicit_drop(km);
		knumad_prefs_drop(km);
	} else if (done) {
		unsigned long due = knumad_regular_due(km);
		bool early = km->early;

		km->early = false;
		if (!early)
			km->regular_at = jiffies;
		km->pass_anon = get_mm_counter(mm, MM_ANONPAGES);
		verdict = knumad_implicit_update(km, false);
		knumad_decay_faults(km);
		knumad_backoff(km);
		if (early)
			knumad_keep_schedule(km, due);
		if (!km->looked)
			knumad_look_queue(km, verdict);
	}
	knumad_charge(km, b, true);
	/*
	 * Not mmput(): if the process exited meanwhile, ours is the last
	 * reference, and tearing its address space down here would stall
	 * every other process's pass (as MGLRU's walker, mm/vmscan.c).
	 */
	mmput_async(mm);
	return done;
}

/*
 * Has @mm less anonymous memory than one region?  get_mm_counter() reads
 * only the percpu counter's global count, which lags the pages each CPU
 * has not folded in yet, up to percpu_counter_batch - 1 a CPU: a process
 * of 528 pages whose last ones were touched on two CPUs read as 479, and
 * for good (its threads wrote the memory they had, and nothing folded the
 * counts in), so it was not sampled unless something else asked for a
 * visit (knumad.anon_count_behind_is_sampled);
 * on a machine of 128 CPUs a process of 120 MiB could read as none.
 * percpu_counter_compare() sums the count (O(CPUs), under the counter's
 * lock) only when the global count is that close to the threshold: once
 * a visit at most, for a process that ran since the last one.  The tick's
 * test (knumad_note_ran()) stays the cheap read: such a process wakes a
 * dozing thread only at the end of the doze, KNUMAD_QUIET_PASSES - 1
 * periods at most.
 */
static bool knumad_mm_small(struct mm_struct *mm)
{
	return percpu_counter_compare(&mm->rss_stat[MM_ANONPAGES],
				      KNUMAD_MIN_ANON_PAGES) < 0;
}

/*
 * Has some of @km's memory told nothing yet: a thread took a tick on a
 * new node since the knumad thread's last visit (@moved: wherever the
 * move came from - the load balancer, or the home a split gave it), or a
 * region's worth of anonymous memory appeared since its last completed
 * pass, which could not see it?  Then its pass does not wait for its
 * threads' moves: a pass that ran while the process was still
 * first-touching its memory sampled only what was there, and a thread
 * that reached its home had its memory's samples from before; both
 * waited for the other threads' moves and the next period (numa02 on 4
 * nodes: a thread's slice moved 1-2 s after the others').  The process
 * gets passes it used to sit out while moving (while its threads hop
 * between nodes, most of them) - still at most one visit a scan period,
 * within pages_to_scan.  MM_ANONPAGES is read without summing the
 * per-CPU counts (see knumad_mm_small()): their error may start a pass
 * early or late, by up to percpu_counter_batch - 1 pages a CPU.
 */
static bool knumad_unsampled(struct knumad_mm *km, bool moved)
{
	return moved || get_mm_counter(km->mm, MM_ANONPAGES) >=
			km->pass_anon + KNUMAD_MIN_ANON_PAGES;
}

/*
 * Its threads are moving what it learned: new samples would tell nothing
 * yet, and a scan would take CPU from the moves - the pass, regular or
 * out of turn (knumad_resample()), waits.  A pass under way goes on,
 * though: the regions it has not armed yet have told nothing (numa02 with
 * THP on 4 nodes: a pass that stopped at a contended mmap_lock left three
 * threads' memory unsampled until the fourth thread's moves were done,
 * 2 s); so does one when memory told nothing yet for another reason
 * (knumad_unsampled(); @moved: a thread changed node).
 */
static bool knumad_moves_first(struct knumad_mm *km, bool moved)
{
	return knumad_threads_move(km) && !km->scan_addr &&
	       !knumad_unsampled(km, moved);
}

/*
 * A process whose threads are moving its memory is not scanned, but its
 * groups are still decided once a scan period, from the faults and CPU
 * time it has: threads the scheduler keeps moving between nodes keep
 * moving their memory after them (numa02: its four threads moved memory
 * for 8 s before the first pass over the process completed and split it
 * into two groups).  No decay of the fault counts: no samples were armed.
 */
static void knumad_update_moving(struct knumad_mm *km)
{
	unsigned long period =
		msecs_to_jiffies(READ_ONCE(knumad_scan_sleep_ms));
	struct knumad_batch b = {};

	if (time_before(jiffies, km->update_at + period) ||
	    !mmget_not_zero(km->mm))
		return;
	knumad_charge_start(&b);
	knumad_implicit_update(km, false);
	knumad_charge(km, &b, true);
	mmput_async(km->mm);
}

/*
 * Threads of @km's process changed node: their settled regions are
 * sampled again - from the next pass if one is under way (it armed some
 * before the change) - and the process does not sit passes out for
 * having had nothing to move.  The threads of an earlier change whose
 * pass has not completed yet stay in the set.  A tick that sets the
 * flag again before it is cleared loses nothing: its pid is taken after
 * the clearing (or its flag stays set), and what it asks for is done
 * after.  Each such thread (low pid bits: an alias too) starts a new
 * time away from its kept node.  A new thread that ran where few of the
 * process's samples were taken (@few_pids) and has fewer than
 * KNUMAD_APART_MIN recent samples of its own has every thread's settled
 * regions sampled again: its own are not known (a thread that started
 * on the far node of memory settled as the main thread's moved nothing
 * for 10 s of 4-s periods).  O(threads), once a pass with moves.
 */
static void knumad_settle_again(struct knumad_mm *km)
{
	unsigned int seq = km->seq + !!km->scan_addr;
	DECLARE_BITMAP(moved, LAST__PID_MASK + 1);
	DECLARE_BITMAP(few, LAST__PID_MASK + 1);
	struct knumad_thread *kt;
	unsigned long index, sum;
	int i, nid;

	WRITE_ONCE(km->thread_moved, false);
	smp_mb();	/* the flag cleared before the pids are taken */
	for (i = 0; i < BITS_TO_LONGS(LAST__PID_MASK + 1); i++) {
		moved[i] = xchg(&km->moved_pids[i], 0);
		few[i] = xchg(&km->few_pids[i], 0);
	}
	/* under the lock, as the scan reads them */
	spin_lock(&km->lock);
	/* the last change's pass completed: its threads are done */
	if ((int)(km->seq - km->settle_seq) > 0)
		bitmap_zero(km->settle_pids, LAST__PID_MASK + 1);
	bitmap_or(km->settle_pids, km->settle_pids, moved, LAST__PID_MASK + 1);
	km->settle_seq = seq;
	/*
	 * A thread that changed node starts a new time away from the node
	 * it is kept on (knumad_away_from_keep()): it may have been back.
	 * O(threads), once a pass with moves.
	 */
	xa_for_each(&km->threads, index, kt) {
		if (test_bit(index & LAST__PID_MASK, moved))
			kt->away = false;
		if (!test_bit(index & LAST__PID_MASK, few))
			continue;
		for (sum = 0, nid = 0; nid < nr_node_ids; nid++)
			sum += kt->faults[nid];
		if (sum >= KNUMAD_APART_MIN)
			__clear_bit(index & LAST__PID_MASK, few);
	}
	/* a thread whose memory is not known: every thread's regions */
	if (!bitmap_empty(few, LAST__PID_MASK + 1))
		bitmap_fill(km->settle_pids, LAST__PID_MASK + 1);
	spin_unlock(&km->lock);
	/* it was sitting passes out, not busy: this one is brought forward */
	if (km->skip && !READ_ONCE(km->busy))
		km->early = true;
	km->skip = 0;
}

/*
 * One pass: visit the processes round-robin from where the last pass
 * stopped until pages_to_scan pages are spent or every process was
 * visited once.  The next pass starts with the process after the last
 * one visited.  Returns whether it went over every process, from the
 * first, and found each asleep (or too small to sample): the thread may
 * doze through the next passes (KNUMAD_QUIET_PASSES).
 */
static bool knumad_pass(bool disarm)
{
	long budget = READ_ONCE(knumad_pages_to_scan);
	struct knumad_batch b = { .folios = LIST_HEAD_INIT(b.folios) };
	unsigned int passes = knumad_scan.sat_out + 1;
	struct knumad_mm *km, *first = NULL;
	bool from_first = false, idle = true, whole = false;

	if (!disarm) {
		/* those slept through were counted as the doze ended */
		WRITE_ONCE(knumad_scan.periods, knumad_scan.periods + 1);
	} else {
		/* Visit every process, from the first. */
		spin_lock(&knumad_mm_lock);
		km = knumad_scan.cursor;
		knumad_scan.cursor = NULL;
		if (km && km->exited)
			list_del(&km->node);
		else
			km = NULL;
		spin_unlock(&knumad_mm_lock);
		if (km)
			knumad_mm_free(km);
	}
	for (;;) {
		bool done, quiet, slept, moved, wrapped = false;

		spin_lock(&knumad_mm_lock);
		km = knumad_scan.cursor;
		if (!km || km->exited) {
			if (km) {
				list_del(&km->node);
				knumad_scan.cursor = NULL;
				spin_unlock(&knumad_mm_lock);
				knumad_mm_free(km);
				spin_lock(&knumad_mm_lock);
			}
			km = list_first_entry_or_null(&knumad_scan.mms,
						      struct knumad_mm, node);
			knumad_scan.cursor = km;
			if (!first)
				from_first = true;
		}
		spin_unlock(&knumad_mm_lock);
		if (!km) {
			whole = !first;		/* no process at all */
			break;
		}
		if (km == first || (budget <= 0 && !disarm))
			break;
		if (!first)
			first = km;

		moved = READ_ONCE(km->thread_moved);
		if (moved)
			knumad_settle_again(km);
		/* no census lately (a pass too long, a process too small) */
		if (time_after(jiffies, km->update_at + KNUMAD_KEPT_TTL()))
			knumad_kept_set(km, NULL);
		/*
		 * Nothing asks for a visit: no disarming, no remote fault
		 * or group change since its last pass, no pass under way.
		 */
		quiet = !disarm && !READ_ONCE(km->busy) && !km->scan_addr;
		slept = quiet && !READ_ONCE(km->ticked);
		if (slept)
			km->asleep += passes;	/* those dozed through too */
		if (slept && km->asleep < KNUMAD_ASLEEP_PASSES) {
			/*
			 * None of its threads took a tick since its last
			 * visit: it used (almost) no CPU, so it touched
			 * (almost) no memory, and new samples would only
			 * cost.  The scan follows the CPU a process uses,
			 * not its size (1 GiB resident and asleep cost a
			 * walk of 512 regions every 8 passes before).  Its
			 * threads hold no CPU where they are kept.
			 */
			knumad_kept_set(km, NULL);
			done = true;
		} else if (quiet && knumad_mm_small(km->mm)) {
			/*
			 * Less anonymous memory than one region: nothing a
			 * move would pay for (the 100 small processes of
			 * make bench's idle workload cost most of the
			 * knumad thread's CPU there).
			 */
			done = true;
		} else if (km->skip && !READ_ONCE(km->busy) && !disarm) {
			/* it had nothing to move lately: sit this one out */
			km->skip--;
			idle = false;
			done = true;
		} else if (!disarm && knumad_moves_first(km, moved)) {
			knumad_update_moving(km);
			idle = false;
			done = true;
		} else {
			/* ticks from now on ask for the next visit */
			WRITE_ONCE(km->ticked, false);
			km->asleep = 0;
			idle = false;
			done = knumad_do_mm(km, &b, &budget, disarm);
		}

		/*
		 * The next process goes next, whether this one's pass
		 * completed or not (it continues where it stopped when its
		 * turn comes again): a process with a large address space
		 * does not keep the others waiting until its pass ends.
		 */
		spin_lock(&knumad_mm_lock);
		if (list_is_last(&km->node, &knumad_scan.mms)) {
			knumad_scan.cursor = NULL;
			wrapped = true;
		} else {
			knumad_scan.cursor = list_next_entry(km, node);
		}
		if (km->exited) {
			/* It exited while we held it: ours to free. */
			list_del(&km->node);
			spin_unlock(&knumad_mm_lock);
			knumad_mm_free(km);
			if (first == km)
				first = NULL;
			done = true;
		} else {
			spin_unlock(&knumad_mm_lock);
		}
		if (wrapped) {
			if (!disarm)
				atomic_long_inc(&knumad_full_scans);
			whole = from_first;
			break;
		}
		if (!done)
			break;
	}
	if (b.isolate_failed)
		lru_add_drain_all();	/* fresh folios still in LRU batches */
	return !disarm && whole && idle;
}

/*
 * Between two scans: migrate what the faults asked for, in every process
 * that has work pending, within the rate limit, oldest first.  The slots
 * come off the pending list one at a time (O(1) under the locks); at most
 * as many as were on it when the pass began, so a slot that still has
 * work waits for the next pass.  knumad_scan.busy keeps the slot from
 * being freed meanwhile.  Each visit takes KNUMAD_THREAD_MOVE_PAGES of
 * the budget at most.  Returns whether a visit spent a whole share and
 * left work while the bucket holds another share: the next pass should
 * come at once.
 */
static bool knumad_migrate_pass(void)
{
	struct knumad_batch b = { .folios = LIST_HEAD_INIT(b.folios) };
	struct knumad_mm *km;
	unsigned long left;
	bool stop = false, more = false;

	spin_lock(&knumad_pending_lock);
	left = knumad_scan.nr_pending;
	spin_unlock(&knumad_pending_lock);
	spin_lock(&knumad_mm_lock);
	while (left-- && !stop) {
		unsigned long share = KNUMAD_THREAD_MOVE_PAGES;

		spin_lock(&knumad_pending_lock);
		km = list_first_entry_or_null(&knumad_scan.pending,
					      struct knumad_mm, pending_node);
		if (km) {
			list_del_init(&km->pending_node);
			knumad_scan.nr_pending--;
		}
		spin_unlock(&knumad_pending_lock);
		if (!km)
			break;
		if (km->exited)
			continue;	/* whoever holds it frees it */
		if (knumad_threads_move(km) || knumad_ticks_due(km)) {
			/* still pending: for its threads, or a later pass */
			knumad_pending_requeue(km);
			continue;
		}
		knumad_scan.busy = km;
		spin_unlock(&knumad_mm_lock);

		if (mmget_not_zero(km->mm)) {
			mmap_read_lock(km->mm);
			knumad_charge_start(&b);
			if (test_bit(MMF_NUMA_BALANCING_DISABLE,
				     &km->mm->flags)) {
				knumad_drop_work(km);
			} else {
				/* taken for the move only: movers share it */
				share = knumad_tokens_take(share, false);
				b.budget = share;
				if (b.budget) {
					knumad_migrate(km, &b);
					/* a whole share spent: more may be due */
					if (share == KNUMAD_THREAD_MOVE_PAGES &&
					    !b.budget && READ_ONCE(km->pending))
						more = true;
				} else {
					/* spent: it waits for more */
					knumad_pending_requeue(km);
					stop = true;
				}
				knumad_tokens_put(b.budget);
				b.budget = 0;
			}
			knumad_charge(km, &b, false);
			mmap_read_unlock(km->mm);
			mmput_async(km->mm);	/* see knumad_do_mm() */
		}

		spin_lock(&knumad_mm_lock);
		knumad_busy_done(km);
	}
	spin_unlock(&knumad_mm_lock);
	if (b.isolate_failed)
		lru_add_drain_all();
	/*
	 * Back at the next jiffy only while the bucket holds another share
	 * and a thread's step besides: a pass a jiffy on a bucket run dry
	 * would take each jiffy's earnings at a visit's full cost, and no
	 * thread's step (all of 2 MiB or nothing) would be paid again.
	 */
	return more && !stop &&
	       knumad_tokens_ready(KNUMAD_THREAD_MOVE_PAGES +
				   KNUMAD_TASK_MOVE_PAGES);
}

static bool knumad_disarm_pending(void)
{
	return READ_ONCE(knumad_disarm_req) != READ_ONCE(knumad_disarm_done);
}

static bool knumad_wait_done(void)
{
	return kthread_should_stop() || knumad_disarm_pending() ||
	       READ_ONCE(knumad_enabled);
}

/* Whether a process still has migration work waiting. */
static bool knumad_pending_slots(void)
{
	return !list_empty_careful(&knumad_scan.pending);
}

static void knumad_doze_end(struct irq_work *work)
{
	wake_up_interruptible(&knumad_wait);
}

/*
 * A pass; returns whether the thread dozes now: the pass found every
 * process asleep, no migration work waits, and no process that would be
 * sampled ran since the pass began (knumad_ran).
 */
static bool knumad_doze(void)
{
	bool quiet;

	/* a run from now on asks for the pass after this one */
	WRITE_ONCE(knumad_ran, false);
	smp_mb();	/* knumad_ran before each knumad_mm::ticked */
	quiet = knumad_pass(false);
	knumad_scan.sat_out = 0;
	if (!quiet || knumad_pending_slots())
		return false;
	WRITE_ONCE(knumad_dozing, true);
	smp_mb();	/* knumad_dozing before knumad_ran */
	if (READ_ONCE(knumad_ran)) {
		WRITE_ONCE(knumad_dozing, false);
		return false;
	}
	return true;
}

/*
 * The doze that began at @from ended at @now: the passes it slept
 * through (scan periods of @period jiffies) count in quiet_scans and in
 * knumad_scan.periods at once, and in the next pass as passes every
 * process sat out.  Not in full_scans: none of them looked at anything.
 * Returns the jiffies they took.
 */
static unsigned long knumad_doze_done(unsigned long from, unsigned long now,
				      unsigned long period)
{
	unsigned long n = period ? (now - from) / period : 0;

	WRITE_ONCE(knumad_dozing, false);
	n = min_t(unsigned long, n, KNUMAD_QUIET_PASSES - 1);
	knumad_scan.sat_out = n;
	/* now, not at the next pass: one out of turn may arm before it */
	WRITE_ONCE(knumad_scan.periods, knumad_scan.periods + n);
	atomic_long_add(n, &knumad_quiet_scans);
	return n * period;
}

/*
 * Between passes: stop, disarm, a new scan_sleep_millisecs, (@work)
 * migration work left by a fault, (@doze) the end of a doze, or (@asks)
 * an ask for a pass out of turn (knumad_ask()).
 */
static bool knumad_wake(unsigned int sleep, bool work, bool doze, bool asks)
{
	return kthread_should_stop() || knumad_disarm_pending() ||
	       sleep != READ_ONCE(knumad_scan_sleep_ms) ||
	       (work && READ_ONCE(knumad_work_pending)) ||
	       (doze && !READ_ONCE(knumad_dozing)) ||
	       (asks && READ_ONCE(knumad_asked));
}

static int knumad_fn(void *unused)
{
	unsigned long last_scan = jiffies;
	bool doze = false;

	knumad_scan.ask_at = last_scan;	/* not 0: jiffies may start below */

	/*
	 * Nice 0 (no set_user_nice()): at nice 19 it starved when every
	 * CPU was busy.  Its work is bounded in pages by pages_to_scan and
	 * migrate_rate_limit_mbps; see "Answering AutoNUMA's critics" in
	 * Documentation/vm/memsched.rst.
	 */
	set_freezable();

	while (!kthread_should_stop()) {
		unsigned int sleep = READ_ONCE(knumad_scan_sleep_ms);
		unsigned long now = jiffies;

		if (knumad_disarm_pending()) {
			unsigned long req = READ_ONCE(knumad_disarm_req);

			if (!READ_ONCE(knumad_enabled)) {
				knumad_pass(true);
				knumad_looks_drop();
			}
			WRITE_ONCE(knumad_disarm_done, req);
			wake_up_all(&knumad_disarm_wait);
		}
		if (READ_ONCE(knumad_enabled)) {
			/* from the current knob: a new value applies at once */
			unsigned long next_scan = last_scan +
						  msecs_to_jiffies(sleep);
			unsigned long period;
			bool more = false, asks;
			long timeout;

			if (time_after_eq(now, next_scan)) {
				WRITE_ONCE(knumad_work_pending, false);
				knumad_scan.pass_at = jiffies;
				knumad_scan.resample_budget =
					READ_ONCE(knumad_pages_to_scan);
				doze = knumad_doze();
				last_scan = jiffies;
				next_scan = last_scan + msecs_to_jiffies(sleep) *
					    (doze ? KNUMAD_QUIET_PASSES : 1);
			} else if (xchg(&knumad_work_pending, false) ||
				   knumad_pending_slots()) {
				more = knumad_migrate_pass();
			}
			/* at most a walk a step: see knumad_asks() */
			asks = !time_before(jiffies, knumad_scan.ask_at);
			/* kept recent: no wrap turns a stale one around */
			if (asks && !READ_ONCE(knumad_asked))
				knumad_scan.ask_at = jiffies;
			if (asks && READ_ONCE(knumad_asked)) {
				knumad_asks(msecs_to_jiffies(sleep));
				asks = false;
			}
			if (knumad_looks_wait() &&
			    !time_before(jiffies, knumad_scan.look_at))
				knumad_look(msecs_to_jiffies(sleep));
			timeout = max_t(long, next_scan - jiffies, 1);
			/*
			 * Asks after a walk wait for the next one: back a
			 * step after it (once a walk; asks made meanwhile
			 * do not wake the thread).
			 */
			if (!asks && !doze)
				timeout = min_t(long, timeout,
						max_t(long, knumad_scan.ask_at -
							    jiffies, 1));
			/* a look comes before the next pass */
			if (knumad_looks_wait())
				timeout = min_t(long, timeout,
						max_t(long, knumad_scan.look_at -
							    jiffies, 1));
			/*
			 * Work left by the rate limit: back when some is
			 * earned; by a visit's share: at the next jiffy.
			 */
			if (knumad_pending_slots())
				timeout = min_t(long, timeout,
						more ? 1 : HZ / 10);
			wait_event_freezable_timeout(knumad_wait,
						     knumad_wake(sleep, true,
								 doze, asks),
						     timeout);
			if (doze) {
				unsigned long slept;

				/* the next pass comes at its usual time */
				period = msecs_to_jiffies(sleep);
				slept = knumad_doze_done(last_scan, jiffies,
							 period);
				last_scan += slept;
				/*
				 * Looks, asks and placements count from the
				 * last pass the doze slept through (@slept
				 * jiffies), as the next pass does: a pass
				 * out of turn may come before it
				 * (knumad_resample_at()), with the budget
				 * that pass would have given.
				 */
				if (slept) {
					knumad_scan.pass_at += slept;
					knumad_scan.resample_budget =
						READ_ONCE(knumad_pages_to_scan);
				}
				doze = false;
			}
		} else {
			knumad_tokens_reset();
			knumad_scan.sat_out = 0;
			last_scan = jiffies - msecs_to_jiffies(sleep);
			wait_event_freezable(knumad_wait, knumad_wait_done());
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* /proc/<pid>/memsched */

/*
 * The tid (in the initial pid namespace) of the thread that @kt, an
 * active thread, shares memory with, as knumad_split_sets() judges it, or
 * 0: @ids maps low pid bits to the tid of the one active thread of @km
 * that has them (0: none, ULONG_MAX: two or more).  Under km->lock.
 */
static unsigned long knumad_peer_tid(struct knumad_mm *km,
				     const struct knumad_thread *kt,
				     const unsigned long *ids)
{
	const struct knumad_thread *peer;
	unsigned long tid;

	if (kt->peer_votes < KNUMAD_PEER_MIN_VOTES)
		return 0;
	tid = ids[kt->peer];
	if (!tid || tid == ULONG_MAX)
		return 0;
	peer = xa_load(&km->threads, tid);
	if (!peer || !knumad_peer_found(kt->peer_votes, kt->visits,
					peer->visits))
		return 0;
	return tid;
}

void knumad_show(struct seq_file *m, struct pid_namespace *ns,
		 struct mm_struct *mm)
{
	struct knumad_mm *km = READ_ONCE(mm->knumad);
	unsigned long index, *ids, peer;
	struct knumad_thread *kt;
	struct task_struct *t;
	pid_t tid;
	int nid;

	if (!km)
		return;
	ids = kcalloc(LAST__PID_MASK + 1, sizeof(*ids), GFP_KERNEL);
	rcu_read_lock();
	spin_lock(&km->lock);
	/* a transient table of 2 KiB: nothing is held past the read */
	xa_for_each(&km->threads, index, kt) {
		if (ids && kt->active)
			ids[index & LAST__PID_MASK] =
				ids[index & LAST__PID_MASK] ? ULONG_MAX : index;
	}
	xa_for_each(&km->threads, index, kt) {
		tid = pid_nr_ns(find_pid_ns(index, &init_pid_ns), ns);
		if (!tid)
			continue;
		seq_printf(m, "knumad thread %d faults", tid);
		for_each_node_state(nid, N_MEMORY)
			seq_printf(m, " N%d=%lu", nid, kt->faults[nid]);
		seq_printf(m, " busy %s cpu %u", !kt->judged ? "unknown" :
			   kt->active ? "yes" : "no", kt->share);
		t = find_task_by_pid_ns(index, &init_pid_ns);
		nid = NUMA_NO_NODE;
		if (t && t->mm == mm && !rcu_access_pointer(t->memsched_group))
			nid = knumad_task_pref(t);
		if (nid == NUMA_NO_NODE)
			seq_puts(m, " keep -");
		else
			seq_printf(m, " keep %d", nid);
		peer = ids && kt->active ? knumad_peer_tid(km, kt, ids) : 0;
		tid = peer ? pid_nr_ns(find_pid_ns(peer, &init_pid_ns), ns) : 0;
		if (tid)
			seq_printf(m, " shares %d", tid);
		else
			seq_puts(m, " shares -");
		/* the vote behind it, whether or not it found a peer */
		peer = ids && kt->peer_votes ? ids[kt->peer] : 0;
		tid = peer && peer != ULONG_MAX ?
			pid_nr_ns(find_pid_ns(peer, &init_pid_ns), ns) : 0;
		if (tid)
			seq_printf(m, " vote %d", tid);
		else
			seq_puts(m, " vote -");
		seq_printf(m, " margin %u visits %u\n", kt->peer_votes,
			   kt->visits);
	}
	spin_unlock(&km->lock);
	rcu_read_unlock();
	kfree(ids);
	seq_printf(m, "knumad regions %lu max %lu\n",
		   READ_ONCE(km->nr_regions), KNUMAD_MAX_REGIONS);
	seq_printf(m, "knumad scanned %lu hint_faults %lu local %lu migrated %lu thp %lu failed %lu scan_ns %llu migrate_ns %llu opt_out %d task_migrate_ns %llu scanned_early %lu faults",
		   READ_ONCE(km->scanned), READ_ONCE(km->hint_faults),
		   READ_ONCE(km->hint_faults_local),
		   READ_ONCE(km->pages_migrated), READ_ONCE(km->thp_migrated),
		   READ_ONCE(km->migrate_failed), READ_ONCE(km->scan_ns),
		   READ_ONCE(km->migrate_ns),
		   test_bit(MMF_NUMA_BALANCING_DISABLE, &mm->flags),
		   READ_ONCE(km->task_migrate_ns),
		   READ_ONCE(km->scanned_early));
	for_each_node_state(nid, N_MEMORY)
		seq_printf(m, " N%d=%lu", nid, READ_ONCE(km->faults[nid]));
	seq_putc(m, '\n');
}

/* ---------------------------------------------------------------------- */
/* /sys/kernel/mm/knumad/ */

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(knumad_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	unsigned long req = 0;
	unsigned int val;
	int err;

	err = kstrtouint(buf, 10, &val);
	if (err || val > 1)
		return -EINVAL;
	if (val && !knumad_thread)
		return -ENODEV;
	mutex_lock(&knumad_knob_mutex);
	if (READ_ONCE(knumad_enabled) && !val) {
		req = knumad_disarm_req + 1;
		WRITE_ONCE(knumad_disarm_req, req);
	}
	WRITE_ONCE(knumad_enabled, val);
	wake_up_interruptible(&knumad_wait);
	/*
	 * Disabling returns once nothing knumad armed is left armed, so
	 * no hinting fault follows "echo 0 > enabled".
	 */
	if (req)
		wait_event_killable(knumad_disarm_wait,
				    READ_ONCE(knumad_disarm_done) == req);
	mutex_unlock(&knumad_knob_mutex);
	return count;
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);

/* A tunable: an unsigned int with an inclusive range. */
struct knumad_knob {
	struct kobj_attribute attr;
	unsigned int *val;
	unsigned int min;
	unsigned int max;
};

static ssize_t knumad_knob_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct knumad_knob *k = container_of(attr, struct knumad_knob, attr);

	return sysfs_emit(buf, "%u\n", READ_ONCE(*k->val));
}

static ssize_t knumad_knob_store(struct kobject *kobj,
				 struct kobj_attribute *attr,
				 const char *buf, size_t count)
{
	struct knumad_knob *k = container_of(attr, struct knumad_knob, attr);
	unsigned int v;

	if (kstrtouint(buf, 10, &v) || v < k->min || v > k->max)
		return -EINVAL;
	WRITE_ONCE(*k->val, v);
	/* a new scan_sleep_millisecs ends the current sleep */
	wake_up_interruptible(&knumad_wait);
	return count;
}

#define KNUMAD_KNOB(_name, _var, _min, _max)				\
static struct knumad_knob _name##_knob = {				\
	.attr = __ATTR(_name, 0644, knumad_knob_show, knumad_knob_store),\
	.val = &(_var), .min = (_min), .max = (_max),			\
}

KNUMAD_KNOB(scan_sleep_millisecs, knumad_scan_sleep_ms, 1, 3600000);
KNUMAD_KNOB(pages_to_scan, knumad_pages_to_scan, 1, 1U << 24);
KNUMAD_KNOB(migrate_rate_limit_mbps, knumad_rate_limit_mbps, 1, 1U << 20);

#define KNUMAD_COUNTER(name)						\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%ld\n",					\
			  atomic_long_read(&knumad_##name));		\
}									\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

KNUMAD_COUNTER(full_scans);
KNUMAD_COUNTER(quiet_scans);
KNUMAD_COUNTER(pages_scanned);
KNUMAD_COUNTER(hint_faults);
KNUMAD_COUNTER(hint_faults_local);
KNUMAD_COUNTER(pages_migrated);
KNUMAD_COUNTER(thp_migrated);
KNUMAD_COUNTER(migrate_failed);

static struct attribute *knumad_attrs[] = {
	&enabled_attr.attr,
	&scan_sleep_millisecs_knob.attr.attr,
	&pages_to_scan_knob.attr.attr,
	&migrate_rate_limit_mbps_knob.attr.attr,
	&full_scans_attr.attr,
	&quiet_scans_attr.attr,
	&pages_scanned_attr.attr,
	&hint_faults_attr.attr,
	&hint_faults_local_attr.attr,
	&pages_migrated_attr.attr,
	&thp_migrated_attr.attr,
	&migrate_failed_attr.attr,
	NULL,
};

static const struct attribute_group knumad_attr_group = {
	.attrs = knumad_attrs,
	.name = "knumad",
};

static int __init knumad_init(void)
{
	size_t size = struct_size_t(struct knumad_mm, faults, 3 * nr_node_ids);
	int err;

	knumad_mm_cache = kmem_cache_create("knumad_mm", size, 0, SLAB_PANIC,
					    NULL);
	err = sysfs_create_group(mm_kobj, &knumad_attr_group);
	if (err)
		pr_err("cannot create sysfs files: %d\n", err);

	if (num_node_state(N_MEMORY) < 2) {
		knumad_enabled = false;
		pr_info("one node with memory: inactive\n");
		return 0;
	}
	knumad_tokens_reset();
	knumad_thread = kthread_run(knumad_fn, NULL, "knumad");
	if (IS_ERR(knumad_thread)) {
		pr_err("cannot start the thread: %ld\n",
		       PTR_ERR(knumad_thread));
		knumad_thread = NULL;
		knumad_enabled = false;
		return 0;
	}
	/* Only now: processes registered earlier would never be freed. */
	knumad_possible = true;
	return 0;
}
subsys_initcall(knumad_init);

#ifdef CONFIG_KNUMAD_KUNIT_TEST
#include "tests/knumad-kunit.h"
#endif
