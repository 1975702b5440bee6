// SPDX-License-Identifier: GPL-2.0
/*
 * What happens to groups and bound ranges across clone, fork, execve and
 * exit, and under munmap, mremap, mprotect, madvise(MADV_DONTNEED), THP
 * collapse, mbind() and set_mempolicy().
 */
#include <pthread.h>
#include <sys/wait.h>
#include "../kselftest_harness.h"
#include "memsched_util.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

static char *self_exe;

static void *report_group(void *arg)
{
	return (void *)ms_tbind(0, MS_ID_GET, 0);
}

TEST(clone_thread_inherits_group)
{
	long id = ms_tbind(0, MS_ID_NEW, 0);
	pthread_t t;
	void *got;

	ASSERT_GT(id, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, report_group, NULL));
	ASSERT_EQ(0, pthread_join(t, &got));
	EXPECT_EQ(id, (long)got);
	ms_tbind(0, MS_ID_NONE, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, report_group, NULL));
	ASSERT_EQ(0, pthread_join(t, &got));
	EXPECT_EQ(0, (long)got);
}

TEST(fork_child_keeps_group_and_ranges)
{
	long pg = page_size(), id = ms_tbind(0, MS_ID_NEW, 0);
	char *p = map_guarded(8 * pg);
	int status;
	pid_t pid;

	ASSERT_GT(id, 0);
	ASSERT_EQ(0, ms_mbind(p, 8 * pg, id, 0));
	pid = fork();
	if (pid == 0) {
		/* The child's copy of the range is still bound. */
		if (ms_tbind(0, MS_ID_GET, 0) != id)
			_exit(1);
		if (memsched_lines("range", id) != 1)
			_exit(2);
		/* Leaving in the child leaves the parent alone. */
		ms_tbind(0, MS_ID_NONE, 0);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(id, ms_tbind(0, MS_ID_GET, 0));
	ms_tbind(0, MS_ID_NONE, 0);
}

TEST(execve_keeps_group)
{
	long id = ms_tbind(0, MS_ID_NEW, 0);
	char idstr[32];
	int status;
	pid_t pid;

	ASSERT_GT(id, 0);
	snprintf(idstr, sizeof(idstr), "%ld", id);
	pid = fork();
	if (pid == 0) {
		execl(self_exe, self_exe, "--expect-group", idstr, NULL);
		_exit(99);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ms_tbind(0, MS_ID_NONE, 0);
}

TEST(exit_of_last_member_frees_group)
{
	long id;
	int status, i;
	pid_t pid;
	int fds[2];

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	if (pid == 0) {
		id = ms_tbind(0, MS_ID_NEW, 0);
		write(fds[1], &id, sizeof(id));
		_exit(0);
	}
	ASSERT_EQ(sizeof(id), read(fds[0], &id, sizeof(id)));
	ASSERT_GT(id, 0);
	waitpid(pid, &status, 0);
	/* Released from a workqueue: give it a moment. */
	for (i = 0; i < 100; i++) {
		if (ms_tbind(0, id, 0) == -1 && errno == EINVAL)
			break;
		ms_tbind(0, MS_ID_NONE, 0);
		usleep(10000);
	}
	EXPECT_EQ(-1, ms_tbind(0, id, 0));
	EXPECT_EQ(EINVAL, errno);
}

TEST(range_keeps_group_alive)
{
	long pg = page_size(), id = ms_tbind(0, MS_ID_NEW, 0);
	char *p = map_guarded(4 * pg);

	ASSERT_GT(id, 0);
	ASSERT_EQ(0, ms_mbind(p, 4 * pg, id, 0));
	ASSERT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	usleep(50000);
	/* No member thread, but a range: the group lives. */
	EXPECT_EQ(0, ms_tbind(0, id, 0));
	EXPECT_EQ(0, ms_tbind(0, MS_ID_NONE, 0));
	munmap(p, 4 * pg);
	EXPECT_EQ(0, memsched_lines("range", id));
}

FIXTURE(bound) {
	char *p;
	long pg, id;
	int home;
};

FIXTURE_SETUP(bound)
{
	self->pg = page_size();
	self->p = map_guarded(16 * self->pg);
	ASSERT_NE(NULL, self->p);
	self->id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(self->id, 0);
	ASSERT_EQ(0, ms_mbind(self->p, 16 * self->pg, self->id, 0));
	self->home = group_home(self->id, NULL, 0);
	ASSERT_GE(self->home, 0);
}

FIXTURE_TEARDOWN(bound)
{
	munmap(self->p - self->pg, 18 * self->pg);
	ms_tbind(0, MS_ID_NONE, 0);
}

TEST_F(bound, munmap_part_and_all)
{
	char *p = self->p;
	long pg = self->pg;

	ASSERT_EQ(0, munmap(p + 4 * pg, 4 * pg));
	EXPECT_EQ(2, memsched_lines("range", self->id));
	ASSERT_EQ(0, munmap(p, 16 * pg));
	EXPECT_EQ(0, memsched_lines("range", self->id));
}

TEST_F(bound, mremap_moves_binding)
{
	long pg = self->pg;
	char *q;

	q = mremap(self->p, 16 * pg, 32 * pg, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q);
	self->p = q;
	/* The moved range is still bound; the grown tail is too. */
	EXPECT_EQ(1, memsched_lines("range", self->id));
	touch(q, 32 * pg);
	EXPECT_EQ(32, pages_on_node(q, 32, self->home));
	munmap(q, 32 * pg);
	self->p = map_guarded(16 * pg);
}

TEST_F(bound, mprotect_splits_but_stays_bound)
{
	char *p = self->p;
	long pg = self->pg;

	ASSERT_EQ(0, mprotect(p + 4 * pg, 4 * pg, PROT_READ));
	EXPECT_EQ(3, vmas_in(p, p + 16 * pg));
	EXPECT_EQ(3, memsched_lines("range", self->id));
	ASSERT_EQ(0, mprotect(p + 4 * pg, 4 * pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(1, vmas_in(p, p + 16 * pg));
	EXPECT_EQ(1, memsched_lines("range", self->id));
}

TEST_F(bound, dontneed_refaults_at_home)
{
	char *p = self->p;
	long pg = self->pg;

	touch(p, 16 * pg);
	EXPECT_EQ(16, pages_on_node(p, 16, self->home));
	ASSERT_EQ(0, madvise(p, 16 * pg, MADV_DONTNEED));
	EXPECT_EQ(1, memsched_lines("range", self->id));
	touch(p, 16 * pg);
	EXPECT_EQ(16, pages_on_node(p, 16, self->home));
}

TEST_F(bound, mbind_replaces_binding)
{
	char *p = self->p;
	long pg = self->pg;
	unsigned long nodes = 1;

	/* mbind() on a bound range wins: the last call sets the policy. */
	ASSERT_EQ(0, sys_mbind(p, 4 * pg, MPOL_BIND, &nodes, 64, 0));
	EXPECT_EQ(2, vmas_in(p, p + 16 * pg));
	EXPECT_EQ(1, memsched_lines("range", self->id));
	/* And ms_mbind() takes it back. */
	ASSERT_EQ(0, ms_mbind(p, 4 * pg, self->id, 0));
	EXPECT_EQ(1, vmas_in(p, p + 16 * pg));
}

TEST_F(bound, binding_beats_task_policy)
{
	char *p = self->p;
	long pg = self->pg;
	unsigned long other;

	if (nr_nodes() < 2)
		SKIP(return, "needs 2 nodes");
	other = 1UL << (self->home == 0 ? 1 : 0);
	/* A VMA policy overrides set_mempolicy(), as for mbind(). */
	ASSERT_EQ(0, sys_set_mempolicy(MPOL_BIND, &other, 64));
	touch(p, 16 * pg);
	ASSERT_EQ(0, sys_set_mempolicy(MPOL_DEFAULT, NULL, 0));
	EXPECT_EQ(16, pages_on_node(p, 16, self->home));
}

TEST(thp_collapse_stays_bound)
{
	long huge = 2 << 20, id = ms_tbind(0, MS_ID_NEW, 0);
	char *raw, *p;
	long pages[64] = {0}, n;
	int home;

	ASSERT_GT(id, 0);
	raw = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	p = (char *)(((unsigned long)raw + huge - 1) & ~(huge - 1));
	ASSERT_EQ(0, madvise(p, huge, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, ms_mbind(p, huge, id, 0));
	touch(p, huge);
	ASSERT_EQ(0, madvise(p, huge, MADV_HUGEPAGE));
	if (madvise(p, huge, MADV_COLLAPSE))
		SKIP(goto out, "MADV_COLLAPSE failed: %s", strerror(errno));
	EXPECT_EQ(1, memsched_lines("range", id));
	home = group_home(id, pages, 64);
	ASSERT_GE(home, 0);
	n = pages_on_node(p, huge / page_size(), home);
	EXPECT_EQ(huge / page_size(), n);
out:
	munmap(raw, 2 * huge);
	ms_tbind(0, MS_ID_NONE, 0);
}

/* "mms <n>" of group @id in /proc/self/memsched, or -1. */
static long group_mms(long id)
{
	char line[768], *p;
	FILE *f = fopen("/proc/self/memsched", "r");
	long n = -1;
	int gid;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "group %d home", &gid) == 1 && gid == id &&
		    (p = strstr(line, " mms ")))
			n = strtol(p + 5, NULL, 10);
	if (f)
		fclose(f);
	return n;
}

/*
 * A group remembers the address spaces that bound ranges to it, for home
 * changes.  200 short-lived children each bind a page and exit: their
 * links go (the group kept, and pinned, every mm_struct that ever bound
 * memory).
 */
TEST(group_forgets_exited_address_spaces)
{
	long pg = page_size(), id;
	char *p, *q;
	int i, status;

	id = ms_tbind(0, MS_ID_NEW, 0);
	ASSERT_GT(id, 0);
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, ms_mbind(p, pg, id, 0));
	EXPECT_EQ(1, group_mms(id));
	for (i = 0; i < 200; i++) {
		pid_t pid = fork();

		ASSERT_GE(pid, 0);
		if (pid == 0) {
			q = mmap(NULL, pg, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			_exit(q == MAP_FAILED || ms_mbind(q, pg, id, 0));
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	/* one more binding here drops the links of the exited */
	ASSERT_EQ(0, ms_mbind(p + pg, pg, id, 0));
	TH_LOG("links after 200 children bound a page and exited: %ld",
	       group_mms(id));
	EXPECT_EQ(1, group_mms(id));
	munmap(p, 2 * pg);
	ms_tbind(0, MS_ID_NONE, 0);
}

int main(int argc, char **argv)
{
	self_exe = "/proc/self/exe";
	if (argc == 3 && !strcmp(argv[1], "--expect-group"))
		return ms_tbind(0, MS_ID_GET, 0) == atol(argv[2]) ? 0 : 1;
	return test_harness_run(argc, argv);
}
