// SPDX-License-Identifier: GPL-2.0
/*
 * Where a group's memory goes: new pages on the home node, present pages
 * moved home before ms_mbind() returns (MS_MBIND_MOVE) or in the
 * background, homes of new groups spread over the nodes, and what
 * /proc/self/memsched reports of it all.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/io_uring.h>
#include <sys/wait.h>
#include "../kselftest_harness.h"
#include "memsched_util.h"

#define NPAGES 2048	/* 8 MiB */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Populate @p on a node other than @home, through the task policy. */
static int populate_away(char *p, long len, int home)
{
	unsigned long other = 1UL << (home == 0 ? 1 : 0);

	if (sys_set_mempolicy(MPOL_BIND, &other, 64))
		return -1;
	touch(p, len);
	return sys_set_mempolicy(MPOL_DEFAULT, NULL, 0);
}

FIXTURE(placement) {
	char *p;
	long len, id;
	int home;
};

FIXTURE_SETUP(placement)
{
	if (nr_nodes() < 2)
		SKIP(return, "needs 2 nodes");
	self->len = NPAGES * page_size();
	self->p = map_guarded(self->len);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, madvise(self->p, self->len, MADV_NOHUGEPAGE));
	self->id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(self->id, 0);
	/* The home is known once something is bound. */
	ASSERT_EQ(0, ms_mbind(self->p, page_size(), self->id, 0));
	self->home = group_home(self->id, NULL, 0);
	ASSERT_GE(self->home, 0);
	ASSERT_LT(self->home, nr_nodes());
	ASSERT_EQ(0, ms_mbind(self->p, page_size(), MS_ID_NONE, 0));
}

FIXTURE_TEARDOWN(placement)
{
	if (self->p)
		munmap(self->p, self->len);
	ms_tbind(0, MS_ID_NONE, 0);
}

TEST_F(placement, new_pages_on_home)
{
	ASSERT_EQ(0, ms_mbind(self->p, self->len, self->id, 0));
	touch(self->p, self->len);
	EXPECT_EQ(NPAGES, pages_on_node(self->p, NPAGES, self->home));
}

TEST_F(placement, move_flag_moves_before_return)
{
	ASSERT_EQ(0, populate_away(self->p, self->len, self->home));
	ASSERT_EQ(0, pages_on_node(self->p, NPAGES, self->home));
	ASSERT_EQ(0, ms_mbind(self->p, self->len, self->id, MS_MBIND_MOVE));
	EXPECT_EQ(NPAGES, pages_on_node(self->p, NPAGES, self->home));
}

TEST_F(placement, background_move)
{
	double t0;
	long n = 0;

	ASSERT_EQ(0, populate_away(self->p, self->len, self->home));
	ASSERT_EQ(0, pages_on_node(self->p, NPAGES, self->home));
	t0 = now();
	ASSERT_EQ(0, ms_mbind(self->p, self->len, self->id, 0));
	while (now() - t0 < 20) {
		n = pages_on_node(self->p, NPAGES, self->home);
		if (n == NPAGES)
			break;
		usleep(10000);
	}
	EXPECT_EQ(NPAGES, n);
	TH_LOG("background move of %d pages took %.3f s", NPAGES, now() - t0);
}

TEST_F(placement, unbound_range_is_not_moved)
{
	int other = self->home == 0 ? 1 : 0;
	long left;

	ASSERT_EQ(0, write_str("/sys/kernel/mm/memsched/move_interval_ms", "100"));
	ASSERT_EQ(0, populate_away(self->p, self->len, self->home));
	/*
	 * Bind and unbind at once: the mover may finish the 2 MiB step it
	 * had started, but must skip the rest of the range.
	 */
	ASSERT_EQ(0, ms_mbind(self->p, self->len, self->id, 0));
	ASSERT_EQ(0, ms_mbind(self->p, self->len, MS_ID_NONE, 0));
	usleep(100000);
	left = pages_on_node(self->p, NPAGES, other);
	usleep(500000);
	write_str("/sys/kernel/mm/memsched/move_interval_ms", "10");
	EXPECT_EQ(left, pages_on_node(self->p, NPAGES, other));
	EXPECT_GE(left, NPAGES - 512);
}

TEST_F(placement, proc_reports_pages_per_node)
{
	long pages[64] = {0};

	ASSERT_EQ(0, ms_mbind(self->p, self->len, self->id, 0));
	touch(self->p, self->len);
	ASSERT_EQ(self->home, group_home(self->id, pages, 64));
	EXPECT_EQ(NPAGES, pages[self->home]);
	EXPECT_EQ(1, memsched_lines("range", self->id));
	EXPECT_EQ(1, memsched_lines("thread", self->id));
}

/*
 * Shared memory (memfd, shmem): a binding is the range's shared policy,
 * so new pages go home for every process that maps the file, and pages
 * already present are moved home with MS_MBIND_MOVE.
 */
TEST_F(placement, memfd_range_goes_home)
{
	long n = 256, i, sum = 0;
	int fd, status;
	char *a, *b;
	pid_t pid;

	fd = memfd_create("memsched", 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 2 * n * page_size()));
	a = mmap(NULL, 2 * n * page_size(), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	/* first half: present before the binding, away from home */
	ASSERT_EQ(0, populate_away(a, n * page_size(), self->home));
	ASSERT_EQ(0, pages_on_node(a, n, self->home));
	ASSERT_EQ(0, ms_mbind(a, 2 * n * page_size(), self->id,
			      MS_MBIND_MOVE));
	EXPECT_EQ(n, pages_on_node(a, n, self->home));
	/* second half: allocated after it, by another process */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		b = mmap(NULL, 2 * n * page_size(), PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		if (b == MAP_FAILED)
			_exit(1);
		ms_tbind(0, MS_ID_NONE, 0);
		touch(b + n * page_size(), n * page_size());
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* map the child's pages here too, so move_pages() can see them */
	for (i = 0; i < n; i++)
		sum += ((volatile char *)a)[(n + i) * page_size()];
	EXPECT_EQ(n, sum);	/* the child wrote 1 to each */
	EXPECT_EQ(n, pages_on_node(a + n * page_size(), n, self->home));
	EXPECT_EQ(1, memsched_lines("range", self->id));
	munmap(a, 2 * n * page_size());
	close(fd);
}

/*
 * A shared file mapping that another process maps too - a vhost-user back
 * end's view of a VMM's memfd guest RAM - moves home whole, in the
 * background (MS_MBIND_MOVE queues what others map too to the mover).
 * Before, MPOL_MF_MOVE's rule left every page mapped twice where it was.
 */
static void shared_file_moves(struct __test_metadata *_metadata, int fd,
			      long len, long npages, long stride, int home,
			      int id, bool sync)
{
	int tochild[2], fromchild[2], status;
	double t0;
	long n = 0;
	char *a, c;
	pid_t pid;

	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	ASSERT_EQ(0, populate_away(a, len, home));
	ASSERT_EQ(0, pages_on_node_stride(a, npages, stride, home));
	ASSERT_EQ(0, pipe(tochild));
	ASSERT_EQ(0, pipe(fromchild));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* the second mapper: maps and reads every page, then waits */
		char *b = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		long i, sum = 0;

		if (b == MAP_FAILED)
			_exit(1);
		for (i = 0; i < len; i += page_size())
			sum += ((volatile char *)b)[i];
		if (write(fromchild[1], "r", 1) != 1 ||
		    read(tochild[0], &c, 1) != 1)
			_exit(2);
		_exit(sum == len / page_size() ? 0 : 3);
	}
	ASSERT_EQ(1, read(fromchild[0], &c, 1));
	t0 = now();
	ASSERT_EQ(0, ms_mbind(a, len, id, sync ? MS_MBIND_MOVE : 0));
	while (now() - t0 < 20) {
		n = pages_on_node_stride(a, npages, stride, home);
		if (n == npages)
			break;
		usleep(10000);
	}
	EXPECT_EQ(npages, n);
	TH_LOG("%s: %ld of %ld pages mapped by two processes home after %.3f s",
	       sync ? "MS_MBIND_MOVE" : "background", n, npages, now() - t0);
	ASSERT_EQ(1, write(tochild[1], "x", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	munmap(a, len);
}

TEST_F(placement, memfd_shared_with_another_process_moves)
{
	long n = 512, len = n * page_size();
	int fd;

	fd = memfd_create("vhost", 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, len));
	/* every mapper writes 1 to each page it populates */
	shared_file_moves(_metadata, fd, len, n, page_size(), self->home,
			  self->id, true);
	close(fd);
	fd = memfd_create("vhost-bg", 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, len));
	shared_file_moves(_metadata, fd, len, n, page_size(), self->home,
			  self->id, false);
	close(fd);
}

/* Reserve @per huge pages on every node; returns 0 or -1. */
static int hugetlb_pool(int per)
{
	char path[128], val[16];
	int nid;

	snprintf(val, sizeof(val), "%d", per);
	for (nid = 0; nid < nr_nodes(); nid++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/hugepages/hugepages-2048kB/nr_hugepages",
			 nid);
		if (write_str(path, val))
			return -1;
	}
	return 0;
}

/*
 * hugetlb: a bound range's huge pages are allocated at home, and present
 * ones move home whole, from the home node's pool: with MS_MBIND_MOVE,
 * in the background, and for a shared hugetlbfs file (memfd
 * MFD_HUGETLB, as QEMU's memory-backend-memfd,hugetlb=on) that another
 * process maps too.  Before, ms_mbind() refused hugetlb (EOPNOTSUPP).
 */
TEST_F(placement, hugetlb_range_goes_home)
{
	long huge = 2 << 20, n = 4, len = n * huge, pages[64] = {0};
	double t0;
	char *h;
	int fd;

	if (hugetlb_pool(3 * n))
		SKIP(return, "cannot reserve huge pages");
	h = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (h == MAP_FAILED) {
		hugetlb_pool(0);
		SKIP(return, "no hugetlb pages");
	}
	/* MS_MBIND_MOVE on the first half, the mover on the second */
	ASSERT_EQ(0, populate_away(h, len, self->home));
	ASSERT_EQ(0, pages_on_node_stride(h, n, huge, self->home));
	ASSERT_EQ(0, ms_mbind(h, len / 2, self->id, MS_MBIND_MOVE));
	EXPECT_EQ(n / 2, pages_on_node_stride(h, n / 2, huge, self->home));
	t0 = now();
	ASSERT_EQ(0, ms_mbind(h + len / 2, len / 2, self->id, 0));
	while (now() - t0 < 20 &&
	       pages_on_node_stride(h, n, huge, self->home) != n)
		usleep(10000);
	EXPECT_EQ(n, pages_on_node_stride(h, n, huge, self->home));
	/* /proc/self/memsched counts them, in base pages */
	EXPECT_EQ(self->home, group_home(self->id, pages, 64));
	EXPECT_EQ(n * (huge / page_size()), pages[self->home]);
	/* new huge pages of a bound range are allocated at home */
	ASSERT_EQ(0, munmap(h, len));
	h = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, h);
	ASSERT_EQ(0, ms_mbind(h, len, self->id, 0));
	touch(h, len);
	EXPECT_EQ(n, pages_on_node_stride(h, n, huge, self->home));
	ASSERT_EQ(0, munmap(h, len));
	/* a hugetlbfs file that a second process maps */
	fd = memfd_create("vhost-huge", MFD_HUGETLB);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, len));
	shared_file_moves(_metadata, fd, len, n, huge, self->home, self->id,
			  true);
	close(fd);
	EXPECT_EQ(0, hugetlb_pool(0));
}

/*
 * A hugetlb page pinned for DMA (here by io_uring's registered buffers,
 * FOLL_LONGTERM, as VFIO pins a guest's RAM) stays where it is, and the
 * mover puts it back cleanly.  It used to be taken off the isolation list
 * twice (list_del(), then folio_putback_active_hugetlb()'s own
 * list_move_tail()): list corruption, an oops without CONFIG_DEBUG_LIST.
 */
TEST_F(placement, pinned_hugetlb_page_stays)
{
	struct io_uring_params params = { 0 };
	long huge = 2 << 20;
	struct iovec iov;
	int ring;
	char *h;

	if (hugetlb_pool(2))
		SKIP(return, "cannot reserve huge pages");
	h = mmap(NULL, huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (h == MAP_FAILED) {
		hugetlb_pool(0);
		SKIP(return, "no hugetlb pages");
	}
	ASSERT_EQ(0, populate_away(h, huge, self->home));
	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0) {
		munmap(h, huge);
		hugetlb_pool(0);
		SKIP(return, "no io_uring");
	}
	iov.iov_base = h;
	iov.iov_len = huge;
	ASSERT_EQ(0, syscall(__NR_io_uring_register, ring,
			     IORING_REGISTER_BUFFERS, &iov, 1));
	/* the mover meets the pinned huge page and leaves it */
	ASSERT_EQ(0, ms_mbind(h, huge, self->id, 0));
	usleep(2500000);	/* the pass and its 3 retries, 500 ms apart */
	EXPECT_EQ(0, pages_on_node_stride(h, 1, huge, self->home));
	/* unpinned, the next binding moves it */
	ASSERT_EQ(0, syscall(__NR_io_uring_register, ring,
			     IORING_UNREGISTER_BUFFERS, NULL, 0));
	close(ring);
	ASSERT_EQ(0, ms_mbind(h, huge, self->id, 0));
	usleep(1000000);
	EXPECT_EQ(1, pages_on_node_stride(h, 1, huge, self->home));
	munmap(h, huge);
	EXPECT_EQ(0, hugetlb_pool(0));
}

TEST(new_groups_spread_over_nodes)
{
	long pg = page_size(), ids[2];
	char *p = map_guarded(2 * pg);
	int homes[2], i;

	if (nr_nodes() < 2)
		SKIP(return, "needs 2 nodes");
	/* With no other groups, two groups in a row land on two nodes. */
	for (i = 0; i < 2; i++) {
		ids[i] = ms_tbind(0, MS_ID_NEW, 0);
		ASSERT_GT(ids[i], 0);
		ASSERT_EQ(0, ms_mbind(p + i * pg, pg, ids[i], 0));
		homes[i] = group_home(ids[i], NULL, 0);
	}
	EXPECT_NE(homes[0], homes[1]);
	munmap(p, 2 * pg);
	ms_tbind(0, MS_ID_NONE, 0);
}

static atomic_int spin_stop;
static atomic_int spin_tid;

static void *spin(void *arg)
{
	volatile unsigned long n = 0;

	atomic_store(&spin_tid, syscall(SYS_gettid));
	while (!atomic_load_explicit(&spin_stop, memory_order_relaxed))
		n++;
	return NULL;
}

/* System time of thread @tid of this process, in ms; -1 on error. */
static long thread_stime_ms(int tid)
{
	unsigned long utime, stime;
	char path[64], buf[1024], *p;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	if (!p)
		return -1;
	/* after "comm)": state is field 3, utime 14, stime 15 */
	n = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &utime, &stime);
	if (n != 2)
		return -1;
	return stime * 1000 / sysconf(_SC_CLK_TCK);
}

/*
 * A background move is taken by a member thread running in the process,
 * so its CPU is the process's, not a kworker's (review finding 5): a
 * member that only spins in user space gains the move's system time.
 */
TEST(background_move_charged_to_owner)
{
	unsigned long len = 64UL << 20, n = len / page_size();
	long id, st0, st1, on = 0;
	pthread_t th;
	double t0;
	char *p;
	int home;

	if (nr_nodes() < 2)
		SKIP(return, "needs 2 nodes");
	ASSERT_EQ(0, write_str("/sys/kernel/mm/memsched/move_interval_ms",
			       "10"));
	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	p = map_guarded(len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, ms_mbind(p, page_size(), id, 0));
	home = group_home(id, NULL, 0);
	ASSERT_GE(home, 0);
	ASSERT_EQ(0, ms_mbind(p, page_size(), MS_ID_NONE, 0));
	ASSERT_EQ(0, populate_away(p, len, home));
	ASSERT_EQ(0, pages_on_node(p, n, home));

	/* the spinner joins the group; this thread leaves it and sleeps */
	atomic_store(&spin_stop, 0);
	atomic_store(&spin_tid, 0);
	ASSERT_EQ(0, pthread_create(&th, NULL, spin, NULL));
	while (!atomic_load(&spin_tid))
		usleep(1000);
	ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	usleep(200000);
	st0 = thread_stime_ms(atomic_load(&spin_tid));

	t0 = now();
	ASSERT_EQ(0, ms_mbind(p, len, id, 0));
	while (now() - t0 < 60) {
		usleep(200000);
		on = pages_on_node(p, n, home);
		if (on >= (long)n * 99 / 100)
			break;
	}
	st1 = thread_stime_ms(atomic_load(&spin_tid));
	atomic_store(&spin_stop, 1);
	pthread_join(th, NULL);
	TH_LOG("%ld of %lu pages home after %.2f s; the spinning member's system time %ld -> %ld ms",
	       on, n, now() - t0, st0, st1);
	EXPECT_GE(on, (long)n * 99 / 100);
	ASSERT_GE(st0, 0);
	/* a user-space spinner gains system time only by taking the steps */
	EXPECT_GE(st1 - st0, 100);
	munmap(p, len);
}

TEST_HARNESS_MAIN
