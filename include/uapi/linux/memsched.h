/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * memsched: groups of threads and memory kept together on one NUMA node.
 * See ms_tbind(2), ms_mbind(2) and Documentation/vm/memsched.rst.
 */
#ifndef _UAPI_LINUX_MEMSCHED_H
#define _UAPI_LINUX_MEMSCHED_H

#include <linux/const.h>

/* Group ids for ms_tbind() and ms_mbind(); real groups have ids > 0. */
#define MS_ID_NONE	0	/* leave the group / unbind the range */
#define MS_ID_NEW	(-1)	/* ms_tbind: create a group and join it */
#define MS_ID_GET	(-2)	/* ms_tbind: return the thread's group id */

/* ms_mbind() flags */
#define MS_MBIND_MOVE	_BITUL(0)	/* move present pages before returning */

#endif /* _UAPI_LINUX_MEMSCHED_H */
