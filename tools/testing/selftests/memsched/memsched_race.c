// SPDX-License-Identifier: GPL-2.0
/*
 * Races for a bounded time: threads that bind themselves, bind and unbind
 * ranges, unmap and remap them, fork children that exit at once, and exit
 * while another thread moves them between groups.  It passes when it ends
 * and the kernel said nothing (scripts/vm-run checks the console).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include "../kselftest_harness.h"
#include "memsched_util.h"

#define SECONDS 8
#define SLOTS 8
#define SLOT_PAGES 64

static char *area;
static long ids[4];
static volatile int stop;
static volatile pid_t victims[SLOTS];

/* Touching a part another thread just unmapped is expected: skip it. */
static __thread sigjmp_buf touch_env;

static void on_segv(int sig)
{
	siglongjmp(touch_env, 1);
}

static void safe_touch(char *p, long len)
{
	if (sigsetjmp(touch_env, 1) == 0)
		touch(p, len);
}

static unsigned int rnd(unsigned int *s)
{
	*s = *s * 1103515245 + 12345;
	return *s >> 8;
}

static void *binder(void *arg)
{
	unsigned int s = (unsigned long)arg;
	long pg = page_size();

	while (!stop) {
		int slot = rnd(&s) % SLOTS;
		char *p = area + slot * SLOT_PAGES * pg;
		long off = rnd(&s) % SLOT_PAGES, len = 1 + rnd(&s) % (SLOT_PAGES - off);

		switch (rnd(&s) % 6) {
		case 0:
			ms_mbind(p + off * pg, len * pg, ids[rnd(&s) % 4],
				 rnd(&s) % 2 ? MS_MBIND_MOVE : 0);
			break;
		case 1:
			ms_mbind(p + off * pg, len * pg, MS_ID_NONE, 0);
			break;
		case 2:
			munmap(p + off * pg, len * pg);
			break;
		case 3:
			mmap(p + off * pg, len * pg, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 4:
			safe_touch(p + off * pg, len * pg);
			break;
		case 5:
			ms_tbind(0, ids[rnd(&s) % 4], 0);
			break;
		}
	}
	return NULL;
}

/* Short-lived threads that another thread keeps moving between groups. */
static void *short_lived(void *arg)
{
	ms_tbind(0, ids[(unsigned long)arg % 4], 0);
	usleep(100);
	return NULL;
}

static void *spawner(void *arg)
{
	unsigned long i = 0;

	while (!stop) {
		pthread_t t;

		if (pthread_create(&t, NULL, short_lived, (void *)i++))
			continue;
		pthread_join(t, NULL);
		if (i % 16 == 0) {
			pid_t pid = fork();

			if (pid == 0) {
				ms_tbind(0, MS_ID_NEW, 0);
				_exit(0);
			}
			victims[i / 16 % SLOTS] = pid;
			waitpid(pid, NULL, 0);
		}
	}
	return NULL;
}

static void *mover(void *arg)
{
	unsigned int s = 7;

	while (!stop) {
		pid_t v = victims[rnd(&s) % SLOTS];

		/* May be gone already: ESRCH is fine, a splat is not. */
		if (v)
			ms_tbind(v, ids[rnd(&s) % 4], 0);
		ms_tbind(0, MS_ID_GET, 0);
	}
	return NULL;
}

TEST(tbind_mbind_munmap_fork_exit)
{
	pthread_t th[6];
	long pg = page_size();
	int i;

	signal(SIGSEGV, on_segv);
	area = mmap(NULL, SLOTS * SLOT_PAGES * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	for (i = 0; i < 4; i++) {
		ids[i] = ms_tbind(0, MS_ID_NEW, 0);
		ASSERT_GT(ids[i], 0);
		/* Keep each group alive through a range of its own. */
		ASSERT_EQ(0, ms_mbind(area + i * pg, pg, ids[i], 0));
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, binder,
					    (void *)(unsigned long)(i + 1)));
	ASSERT_EQ(0, pthread_create(&th[4], NULL, spawner, NULL));
	ASSERT_EQ(0, pthread_create(&th[5], NULL, mover, NULL));
	sleep(SECONDS);
	stop = 1;
	for (i = 0; i < 6; i++)
		pthread_join(th[i], NULL);
	munmap(area, SLOTS * SLOT_PAGES * pg);
	ms_tbind(0, MS_ID_NONE, 0);
	/* Every group the test made is released once nothing holds it. */
	for (i = 0; i < 4; i++) {
		long id = ids[i], ret;
		int tries;

		/* Released from a workqueue after pending moves drain. */
		for (tries = 0; tries < 300; tries++) {
			ret = ms_tbind(0, id, 0);
			if (ret == -1)
				break;
			ms_tbind(0, MS_ID_NONE, 0);
			usleep(10000);
		}
		EXPECT_EQ(-1, ret) TH_LOG("group %ld still alive", id);
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_HARNESS_MAIN
