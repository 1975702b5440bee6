// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's first test: the guest has exactly the NUMA topology that
 * scripts/vm-run asked QEMU for (vmrun.nodes, vmrun.cpus, vmrun.mem_mb on
 * the kernel command line): nodes, CPUs per node and memory per node.
 */
#include <stdio.h>
#include <string.h>
#include "../kselftest_harness.h"
#include "memsched_util.h"

static long cmdline_param(const char *name)
{
	char buf[4096], *p;
	FILE *f = fopen("/proc/cmdline", "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strstr(buf, name);
	return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

static int cpus_in_list(const char *path)
{
	char buf[256], *s, *tok;
	int n = 0, a, b;
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, sizeof(buf), f))
		return -1;
	fclose(f);
	for (s = buf; (tok = strsep(&s, ",\n"));) {
		if (sscanf(tok, "%d-%d", &a, &b) == 2)
			n += b - a + 1;
		else if (sscanf(tok, "%d", &a) == 1)
			n++;
	}
	return n;
}

/*
 * Pages of node @nid that exist (/proc/zoneinfo "present"), in kB: what
 * QEMU gave the node, less firmware holes, before the kernel reserves any.
 */
static long node_present_kb(int nid)
{
	char line[256];
	long present, kb = 0;
	int node = -1;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone", &node) == 1)
			continue;
		if (node == nid && sscanf(line, " present %ld", &present) == 1)
			kb += present * (getpagesize() / 1024);
	}
	fclose(f);
	return kb;
}

TEST(topology_matches_request)
{
	long nodes = cmdline_param("vmrun.nodes=");
	long cpus = cmdline_param("vmrun.cpus=");
	long mem_mb = cmdline_param("vmrun.mem_mb=");
	char path[96];
	int nid;

	if (nodes < 0 || cpus < 0 || mem_mb < 0)
		SKIP(return, "not booted by scripts/vm-run");
	ASSERT_EQ(nodes, nr_nodes());
	ASSERT_EQ(cpus, sysconf(_SC_NPROCESSORS_ONLN));
	for (nid = 0; nid < nodes; nid++) {
		long kb = node_present_kb(nid), want = mem_mb * 1024 / nodes;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/cpulist", nid);
		EXPECT_EQ(cpus / nodes, cpus_in_list(path)) {
			TH_LOG("node %d cpulist", nid);
		}
		/* The firmware keeps a little of the first node. */
		EXPECT_LE(kb, want) TH_LOG("node %d: %ld kB > %ld kB", nid, kb, want);
		EXPECT_GE(kb, want * 95 / 100)
			TH_LOG("node %d: %ld kB < 95%% of %ld kB", nid, kb, want);
	}
}

TEST(distances_are_symmetric_and_remote)
{
	char path[96];
	int nid, other, n = nr_nodes();

	for (nid = 0; nid < n; nid++) {
		FILE *f;
		int d[16] = {0};

		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/distance", nid);
		f = fopen(path, "r");
		ASSERT_NE(NULL, f);
		for (other = 0; other < n && other < 16; other++)
			ASSERT_EQ(1, fscanf(f, "%d", &d[other]));
		fclose(f);
		for (other = 0; other < n && other < 16; other++) {
			if (other == nid) {
				EXPECT_EQ(10, d[other]);
			} else {
				EXPECT_GT(d[other], 10);
			}
		}
	}
}

TEST_HARNESS_MAIN
