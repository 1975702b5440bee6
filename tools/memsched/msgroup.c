// SPDX-License-Identifier: GPL-2.0
/*
 * msgroup: run a command in a new memsched group.  Its threads and child
 * processes inherit the group (ms_tbind(2)), so every task of the command
 * takes memsched's scheduler paths: the worst case for their cost.
 *
 *   msgroup command [args...]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/memsched.h>

#ifndef __NR_ms_tbind
#define __NR_ms_tbind 600
#endif

int main(int argc, char **argv)
{
	long id;

	if (argc < 2) {
		fprintf(stderr, "usage: msgroup command [args...]\n");
		return 2;
	}
	id = syscall(__NR_ms_tbind, 0, MS_ID_NEW, 0);
	if (id < 0) {
		perror("ms_tbind");
		return 1;
	}
	fprintf(stderr, "msgroup: group %ld\n", id);
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
