// SPDX-License-Identifier: GPL-2.0
/*
 * forkcost: what a short-lived process costs - fork(), exit and wait, and
 * fork() + execve("/bin/true") - with N other processes alive, and how
 * many of the short-lived ones knumad registered (a "knumad" line in
 * /proc/self/memsched before they exit).
 *
 *   forkcost [loops] [background processes]
 *
 * Prints one line: ns per fork+exit, ns per fork+exec, registered/loops.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Does knumad know this process?  Its /proc/self/memsched says so. */
static int registered(void)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/self/memsched", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "knumad ", 7))
			found = 1;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	int loops = argc > 1 ? atoi(argv[1]) : 2000;
	int bg = argc > 2 ? atoi(argv[2]) : 0;
	pid_t *kids = calloc(bg ? bg : 1, sizeof(*kids));
	int i, status, reg = 0;
	double t0, fork_ns, exec_ns;

	for (i = 0; i < bg; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			pause();
			_exit(0);
		}
	}
	t0 = now_ns();
	for (i = 0; i < loops; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(registered());
		waitpid(pid, &status, 0);
		reg += WIFEXITED(status) && WEXITSTATUS(status) == 1;
	}
	fork_ns = (now_ns() - t0) / loops;
	t0 = now_ns();
	for (i = 0; i < loops; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, &status, 0);
	}
	exec_ns = (now_ns() - t0) / loops;
	for (i = 0; i < bg; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], &status, 0);
	}
	printf("fork+exit %.0f ns, fork+exec %.0f ns, registered %d/%d, background %d\n",
	       fork_ns, exec_ns, reg, loops, bg);
	return 0;
}
