#!/usr/bin/env python3
"""bench-report.py RESULTS_DIR RAW...: the tables and plots of `make bench`.

Reads the guests' raw output (scripts/bench-guest.sh: a "run" line, the
workload's lines, numabench's "json" line per run) and writes into
RESULTS_DIR: bench.json (every run, every sample), bench.md (the tables)
and one PNG per workload and node count (locality over time, one line per
mode: the mean of the repetitions at each sample).
"""
import json
import math
import os
import re
import statistics
import subprocess
import sys

MODES = ["none", "mainline", "numad", "knumad", "memsched", "hardbind"]
ORDER = ["misplaced", "numa02", "numa01t", "shared", "vnuma", "perf", "idle"]
# perf bench numa mem's summary lines: " main,      0.962, secs,    NUMA-convergence-latency"
PERF_RE = re.compile(r"^\s*\S+,\s+(-?[\d.]+),\s+(\S+?),?\s+(\S+)\s*$")


def parse(paths):
    runs = []
    for path in paths:
        cur = last = None   # last: the run whose json line came last
        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\r\n")
                if line.startswith("regions "):
                    # after its run's json line; not another run's
                    if last is not None and last["workload"] == "scale":
                        f_ = line.split()
                        last["regions"] = int(f_[1])
                        # "slab -": memory.stat could not be read
                        if len(f_) >= 4 and f_[2] == "slab" and f_[3].isdigit():
                            last["slab"] = int(f_[3])
                    last = None
                elif line.startswith("run "):
                    last = None
                    w, thp, mode, rep, nodes = line.split()[1:6]
                    cur = {"workload": w, "thp": int(thp), "mode": mode,
                           "rep": int(rep), "nodes": int(nodes), "perf": {}}
                elif cur and line.startswith("json "):
                    try:
                        data = json.loads(line[5:])
                    except ValueError:
                        print(f"bench-report: {path}: a broken json line", file=sys.stderr)
                        cur = None
                        continue
                    data.pop("label", None)
                    for key in ("workload", "thp", "nodes", "mode"):
                        data.pop(key, None)
                    cur.update(data)
                    cost = (7 * cur["pte_updates"] + 5000 * cur["hint_faults"]
                            + 19 * cur["numa_pages_migrated"]) / 1e6
                    cur["cost"] = round(cost, 3)
                    cur["kernel_cpu"] = round(cur["sys_cpu"] + cur["knumad_cpu"]
                                              + cur["numad_cpu"], 3)
                    # ping-pong: pages moved per page misplaced at the start
                    # (undefined when under 1% of the pages were); moved:
                    # pages moved per page of the workload
                    cur["pingpong"] = (round(cur["pgmigrate_success"] / cur["misplaced"], 3)
                                       if cur["pages"] and cur["misplaced"] >= 0.01 * cur["pages"]
                                       else None)
                    cur["moved"] = (round(cur["pgmigrate_success"] / cur["pages"], 3)
                                    if cur["pages"] else None)
                    runs.append(cur)
                    last, cur = cur, None
                elif cur and cur["workload"] == "perf":
                    m = PERF_RE.match(line)
                    if m:
                        cur["perf"][m.group(3)] = float(m.group(1))
    return runs


def variant(r):
    return r["workload"] + (" thp" if r["thp"] else "")


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def t95_of(r):
    return r["t95"] if r.get("t95", -1) >= 0 else math.inf


def fmt_t(v):
    if v is None:
        return "-"
    return "never" if v == math.inf else f"{v:.1f}"


def fmt_n(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return f"{v / 1e6:.1f}M"
    if v >= 1e4:
        return f"{v / 1e3:.0f}k"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def spread(vals, f):
    vals = [v for v in vals if v is not None]
    if len(vals) < 2:
        return ""
    return f" ({f(min(vals))}-{f(max(vals))})"


def ratio(a, b):
    if a is None or b is None:
        return "-"
    if a == math.inf and b == math.inf:
        return "both never"
    if a == math.inf:
        return "never vs " + fmt_t(b)
    if b == math.inf:
        return fmt_t(a) + " vs never"
    if b == 0:
        return "-" if a == 0 else "inf"
    return f"{a / b:.2f}"


def groups(runs):
    out = {}
    for r in runs:
        out.setdefault((variant(r), r["nodes"]), {}).setdefault(r["mode"], []).append(r)
    key = lambda k: (ORDER.index(k[0].split()[0]), k[0], k[1])
    return {k: out[k] for k in sorted(out, key=key)}


def best_mode(var, modes):
    """The best mode other than hardbind: the highest final locality (2
    points count as a tie), then the lowest t95, then the least kernel CPU;
    on the shared workload, where moving is the wrong answer, the fewest
    pages moved, then the least kernel CPU."""
    cand = {m: rs for m, rs in modes.items() if m != "hardbind"}
    if not cand:
        return None
    if var.startswith("shared"):
        return min(cand, key=lambda m: (med([r["moved"] for r in cand[m]]),
                                        med([r["kernel_cpu"] for r in cand[m]])))
    top = max(med([r["final"] for r in rs]) for rs in cand.values())
    near = [m for m, rs in cand.items() if med([r["final"] for r in rs]) >= top - 0.02]
    return min(near, key=lambda m: (med([t95_of(r) for r in cand[m]]),
                                    med([r["kernel_cpu"] for r in cand[m]])))


def main_table(g):
    lines = ["| workload | nodes | " + " | ".join(MODES) + " |",
             "|---|---|" + "---|" * len(MODES)]
    for (var, nodes), modes in g.items():
        if var.startswith(("perf", "idle")):
            continue
        best = best_mode(var, modes)
        cells = []
        for m in MODES:
            rs = modes.get(m)
            if not rs:
                cells.append("")
                continue
            t = [t95_of(r) for r in rs]
            fin = [r["final"] * 100 for r in rs]
            cell = (f"{fmt_t(med(t))}{spread(t, fmt_t)} s / "
                    f"{med(fin):.0f}%{spread(fin, lambda v: f'{v:.0f}')} / "
                    f"{fmt_n(med([r['hint_faults'] for r in rs]))} / "
                    f"{med([r['kernel_cpu'] for r in rs]):.2f} s")
            cells.append(f"**{cell}**" if m == best else cell)
        lines.append(f"| {var} | {nodes} | " + " | ".join(cells) + " |")
    return lines


def knumad_table(g):
    lines = ["| workload | nodes | t95 knumad/mainline | t95 knumad/numad | "
             "hint faults knumad/mainline | cost knumad/mainline | "
             "kernel CPU knumad/mainline | final knumad/hardbind | "
             "ping-pong knumad, mainline, numad | throughput knumad/none |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (var, nodes), modes in g.items():
        if var.startswith(("perf", "idle")) or "knumad" not in modes:
            continue
        k = modes["knumad"]
        mm = lambda m, f: med([f(r) for r in modes[m]]) if m in modes else None
        hf = lambda m: mm(m, lambda r: r["hint_faults"])
        cost = lambda m: mm(m, lambda r: r["cost"])
        pp = [mm(m, lambda r: r["pingpong"]) for m in ("knumad", "mainline", "numad")]
        fin_k, fin_h = mm("knumad", lambda r: r["final"]), mm("hardbind", lambda r: r["final"])
        thr_k, thr_n = mm("knumad", lambda r: r["ops"]), mm("none", lambda r: r["ops"])
        lines.append(
            f"| {var} | {nodes} | {ratio(mm('knumad', t95_of), mm('mainline', t95_of))} | "
            f"{ratio(mm('knumad', t95_of), mm('numad', t95_of))} | "
            f"{ratio(hf('knumad'), hf('mainline'))} ({fmt_n(hf('knumad'))} vs {fmt_n(hf('mainline'))}) | "
            f"{ratio(cost('knumad'), cost('mainline'))} | "
            f"{ratio(mm('knumad', lambda r: r['kernel_cpu']), mm('mainline', lambda r: r['kernel_cpu']))} | "
            f"{ratio(fin_k, fin_h)} | "
            + ", ".join("-" if v is None else f"{v:.2f}" for v in pp)
            + f" | {ratio(thr_k, thr_n)} |")
        del k
    return lines


def perf_table(g):
    names = []
    for (var, nodes), modes in g.items():
        for rs in modes.values():
            for r in rs:
                for n in r["perf"]:
                    if n not in names and ("convergence" in n or "GB" in n or "speed" in n):
                        names.append(n)
    lines = ["| nodes | mode | n | " + " | ".join(names) + " | hint faults | kernel CPU s |",
             "|---|---|---|" + "---|" * (len(names) + 2)]
    for (var, nodes), modes in g.items():
        if not var.startswith("perf"):
            continue
        for m in MODES:
            if m not in modes:
                continue
            rs = modes[m]
            vals = [med([r["perf"].get(n) for r in rs]) for n in names]
            lines.append(f"| {nodes} | {m} | {len(rs)} | "
                         + " | ".join("-" if v is None else f"{v:.3f}" for v in vals)
                         + f" | {fmt_n(med([r['hint_faults'] for r in rs]))}"
                         + f" | {med([r['kernel_cpu'] for r in rs]):.2f} |")
    return lines if len(lines) > 2 else []


def detail_table(g):
    cols = ["n", "t90 s", "t95 s", "final %", "near %", "misplaced at start", "pages moved",
            "moved/pages", "ping-pong", "PTE updates", "hint faults", "cost", "knumad CPU s",
            "numad CPU s", "workload sys s", "machine sys s", "Mops/s"]
    lines = ["| workload | nodes | mode | " + " | ".join(cols) + " |",
             "|---|---|---|" + "---|" * len(cols)]
    for (var, nodes), modes in g.items():
        if var.startswith(("perf", "idle")):
            continue
        for m in MODES:
            rs = modes.get(m)
            if not rs:
                continue
            md = lambda f: med([f(r) for r in rs])
            tt = lambda key: med([math.inf if r[key] < 0 else r[key] for r in rs])
            pp = md(lambda r: r["pingpong"])
            vals = [str(len(rs)), fmt_t(tt("t90")), fmt_t(tt("t95")),
                    f"{md(lambda r: r['final']) * 100:.1f}", f"{md(lambda r: r['near']) * 100:.0f}",
                    fmt_n(md(lambda r: r["misplaced"])), fmt_n(md(lambda r: r["pgmigrate_success"])),
                    f"{md(lambda r: r['moved']):.2f}", "-" if pp is None else f"{pp:.2f}",
                    fmt_n(md(lambda r: r["pte_updates"])), fmt_n(md(lambda r: r["hint_faults"])),
                    f"{md(lambda r: r['cost']):.2f}", f"{md(lambda r: r['knumad_cpu']):.2f}",
                    f"{md(lambda r: r['numad_cpu']):.2f}", f"{md(lambda r: r['sys_cpu']):.2f}",
                    f"{md(lambda r: r['machine_sys']):.2f}",
                    f"{md(lambda r: r['ops'] / r['secs']) / 1e6:.1f}"]
            lines.append(f"| {var} | {nodes} | {m} | " + " | ".join(vals) + " |")
    return lines


VARIANCE_MODES = ["mainline", "numad", "knumad", "memsched"]
VARIANCE_MAX = 0.25  # issue 13: spread (max-min) of t95 <= 25% of the median


def had_to_move(r):
    """The run had something to move: 1% of its pages or more off their
    threads' node at the first sample after the threads started (about
    0.25 s in; the mode may have begun by then) - the runs parse() gives a
    ping-pong figure."""
    return r.get("pingpong") is not None


def t95_spread(t):
    """(max-min)/median of finite t95s, or a reason there is none."""
    if len(t) < 2:
        return None, "fewer than 2 runs"
    if math.inf in t:
        return None, "never"
    m = med(t)
    if not m:
        return None, "median 0"
    return (max(t) - min(t)) / m, None


def fmt_spread(v, why):
    """One decimal: 24.6% is within 25%, 25.4% is not."""
    return f"- ({why})" if v is None else f"{v * 100:.1f}%"


def variance_table(g):
    """Per workload, node count and adaptive mode: every run's t95 in the
    order run, its spread against the median, and the same over only the
    runs that started with something to move (a run the scheduler started
    already placed reaches 95% at once, whatever the mode does)."""
    lines = ["| workload | nodes | mode | t95 each (s) | spread/median | "
             "runs that had to move | their spread/median |",
             "|---|---|---|---|---|---|---|"]
    within, rows, apart = {}, {}, {}
    for (var, nodes), modes in g.items():
        if var.startswith(("perf", "idle")):
            continue
        for m in VARIANCE_MODES:
            rs = sorted(modes.get(m, []), key=lambda r: r["rep"])
            if len(rs) < 2:
                continue
            t = [t95_of(r) for r in rs]
            each = " ".join(fmt_t(v) + ("" if had_to_move(r) else "*")
                            for v, r in zip(t, rs))
            sp, why = t95_spread(t)
            mv = [t95_of(r) for r in rs if had_to_move(r)]
            msp, mwhy = t95_spread(mv)
            lines.append(f"| {var} | {nodes} | {m} | {each} | {fmt_spread(sp, why)} | "
                         f"{len(mv)} of {len(rs)} | {fmt_spread(msp, mwhy)} |")
            if sp is None:
                apart[m] = apart.get(m, 0) + 1
                continue
            rows[m] = rows.get(m, 0) + 1
            within[m] = within.get(m, 0) + (sp <= VARIANCE_MAX)
    summary = ", ".join(f"{m} {within.get(m, 0)} of {rows.get(m, 0)} with one"
                        f" ({apart.get(m, 0)} rows without)"
                        for m in VARIANCE_MODES if m in rows or m in apart)
    return lines, summary


def idle_table(g):
    lines = ["| nodes | mode | window s | knumad CPU ms/s | knumad CPU ms/s, first 8 s | "
             "numad CPU ms/s | workload sys CPU ms/s | "
             "hint faults/s | hint faults/s, first 8 s | PTE updates/s | pages migrated |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (var, nodes), modes in g.items():
        if var != "idle":
            continue
        for m in MODES:
            if m not in modes:
                continue
            rs = modes[m]
            per_s = lambda f: med([f(r) / r["secs"] for r in rs])
            ers = [r["early"] for r in rs if r.get("early")]
            early = lambda k, scale, fmt: (
                fmt.format(med([e[k] / e["secs"] for e in ers]) * scale) if ers else "-")
            lines.append(
                f"| {nodes} | {m} | {med([r['secs'] for r in rs]):.0f} | "
                f"{per_s(lambda r: r['knumad_cpu']) * 1000:.2f} | "
                f"{early('knumad_cpu', 1000, '{:.2f}')} | "
                f"{per_s(lambda r: r['numad_cpu']) * 1000:.1f} | "
                f"{per_s(lambda r: r['sys_cpu']) * 1000:.1f} | "
                f"{per_s(lambda r: r['hint_faults']):.1f} | "
                f"{early('hint_faults', 1, '{:.1f}')} | "
                f"{per_s(lambda r: r['pte_updates']):.0f} | "
                f"{fmt_n(med([r['pgmigrate_success'] for r in rs]))} |")
    return lines


def plots(g, outdir):
    made = []
    for (var, nodes), modes in g.items():
        if var.startswith(("perf", "idle")):
            continue
        name = f"{var.replace(' ', '-')}-{nodes}nodes"
        dat = os.path.join(outdir, name + ".dat")
        series = []
        with open(dat, "w") as f:
            for m in MODES:
                rs = modes.get(m)
                if not rs:
                    continue
                n = min(len(r["samples"]) for r in rs)
                f.write(f"# {m}\n")
                for i in range(n):
                    t = statistics.mean(r["samples"][i][0] for r in rs)
                    loc = statistics.mean(r["samples"][i][1] for r in rs)
                    f.write(f"{t:.2f} {loc * 100:.1f}\n")
                f.write("\n\n")
                series.append(m)
        png = os.path.join(outdir, name + ".png")
        plot = ", ".join(f"'{dat}' index {i} with lines lw 2 title '{m}'"
                         for i, m in enumerate(series))
        script = (f"set terminal png size 720,420\nset output '{png}'\n"
                  f"set title \"{var}, {nodes} nodes: share of pages on the node of their user\"\n"
                  "set xlabel 'seconds'\nset ylabel 'locality %'\n"
                  "set yrange [0:105]\nset key bottom right\nset grid\n"
                  f"plot {plot}\n")
        try:
            subprocess.run(["gnuplot"], input=script, text=True, check=True,
                           capture_output=True)
            made.append(os.path.basename(png))
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"bench-report: no plot {png}: {e}", file=sys.stderr)
    return made


def qemu_section(outdir, modes):
    """The real-VMM runs (scripts/qemu-e2e-guest.py output) as a table."""
    rows = []
    for m in modes:
        path = os.path.join(outdir, f"raw-qemu-{m}.txt")
        try:
            with open(path, errors="replace") as f:
                lines = [l.rstrip("\r\n") for l in f]
        except OSError:
            continue
        t95, boot, vm = "never", "?", ""
        for l in lines:
            r = re.search(r"t95=([0-9.]+)s", l)
            if r:
                t95 = r.group(1) + " s"
            r = re.search(r"^e2e: [a-z]+: 95% reached in ([0-9.]+) s", l)
            if r:
                t95 = r.group(1) + " s"
            r = re.search(r"\(([0-9]+) s\)$", l)
            if r and ("inner guest booted" in l or
                      "inner guest restored" in l):
                boot = r.group(1) + " s"
            r = re.search(r"vmstat (.*)", l)
            if r:
                vm = r.group(1)
        cells = []
        for l in lines:
            r = re.match(r"e2e: final: guest node (\d+) \(([a-z-]+)\) "
                         r"home/vCPU node (-?\d+) pages (\{.*?\}) at home "
                         r"([0-9.]+)%", l)
            if r:
                cells.append(f"{r.group(2)}: {r.group(5)}% on {r.group(3)}")
        if not cells:
            cells = ["no result (see " + os.path.basename(path) + ")"]
        rows.append(f"| {m} | {boot} | {t95} | " + "<br>".join(cells)
                    + f" | {vm} |")
    return ["", "## QEMU: a real inner guest, 2 host nodes", "",
            "scripts/qemu-e2e.sh: four guest nodes, one per backend "
            "(memfd hugetlb, memfd share=on, file on hugetlbfs, ram), "
            "RAM first touched while QEMU was confined to host node 0 (by "
            "QEMU's loader: the guest is restored from a snapshot taken "
            "after its boot, unless E2E_SNAPSHOT=0), then "
            "the cpuset widened. memsched = the patched QEMU with "
            "memsched=on; the other modes run Debian's unmodified QEMU. "
            "NUMA balancing and knumad are off except in their own mode. "
            "Home = the group's home (memsched) or the node the guest "
            "node's vCPU thread ran on at the end (the others); t95 = "
            "every backend 95% at home and the homes spread, within "
            "120 s.", "",
            "| mode | inner boot or restore | t95 | final locality per guest node "
            "| vmstat at the end |",
            "|---|---|---|---|---|"] + rows


def kmalloc_bucket(n):
    """The kmalloc cache a kzalloc() of n bytes comes from (SLUB)."""
    for b in (8, 16, 32, 64, 96, 128, 192, 256, 512, 1024):
        if n <= b:
            return b
    return n


def scale_section(raws):
    """misplaced at growing sizes (scripts/bench-guest.sh scale)."""
    runs = [r for r in parse(raws) if r["workload"] == "scale"]
    rows = []
    # mainline's charged slab at the same size: the workload's own
    base = {}
    for r in runs:
        if r["mode"] == "mainline" and "slab" in r:
            base.setdefault((r["nodes"], r["mib"]), []).append(r["slab"])
    for r in sorted(runs, key=lambda r: (r["nodes"], r["mib"], r["mode"], r["rep"])):
        gib = r["mib"] / 1024
        reg = r.get("regions")
        # struct knumad_region: 48 bytes and 4 a node, kzalloc()ed; the
        # xarray that indexes it, a 576-byte node per 64 regions
        meta = (reg * (kmalloc_bucket(48 + 4 * r["nodes"]) + 576 / 64)
                if reg is not None and r["mode"] == "knumad" else None)
        b = base.get((r["nodes"], r["mib"]))
        measured = (r["slab"] - statistics.median(b)
                    if r["mode"] == "knumad" and "slab" in r and b else None)
        cpu = r["knumad_cpu"] + r["sys_cpu"]
        rows.append(f"| {r['nodes']} | {r['mib']} MiB | {r['mode']} | {r['rep']} | "
                    f"{fmt_t(t95_of(r))} | {r['final']:.3f} | {fmt_n(r['hint_faults'])} | "
                    f"{fmt_n(r['numa_pages_migrated'])} | {r['knumad_cpu']:.2f} s | "
                    f"{r['sys_cpu']:.2f} s | {cpu / gib:.2f} s | "
                    + (f"{reg} | {meta / gib / 1024:.1f} KiB | " if meta is not None
                       else "- | - | ")
                    + (f"{r['slab'] / 1024:.0f} KiB | " if "slab" in r else "- | ")
                    + (f"{measured / gib / 1024:.1f} KiB |" if measured is not None
                       else "- |"))
    if not runs:
        rows = ["| no runs | | | | | | | | | | | | | | |"]
    secs = max((r["secs"] for r in runs), default=0)
    return ["", "## Scale: misplaced at growing sizes, and on 8 nodes", "",
            f"One process, first touched on node 0, used by two threads on the last "
            f"node, {secs:.0f} s a run (BENCH_SCALE_SECS), default knobs; 2 nodes in a "
            "12 GiB guest, 8 nodes (8 CPUs) in a 4 GiB one. knumad CPU = its thread's; "
            "sys = the workload's system time, where mainline's scanning and "
            "migration run and knumad's moves made in the faulting thread; per GiB = "
            "(knumad + sys) / the size, over the run (touching the memory first is "
            "not in it). "
            "regions = the most knumad regions the process had; metadata = regions x "
            "(the kmalloc bucket of 48 + 4 x nodes bytes, + 9 bytes of xarray), per "
            "GiB of the process: a lower bound - the xarray is counted as if the "
            "regions were contiguous (a process's heap, stacks and libraries are "
            "apart, a few KiB more), memcg's object accounting is not counted "
            "(AutoNUMA's page-flag proposal: 24 bytes a 4 KiB page, 6 MiB a GiB). "
            "slab = the most slab memory charged to the run's memory cgroup "
            "(memory.stat, sampled each second; the process's VMAs, its threads "
            "and knumad's regions, their xarray and its per-process state); "
            "measured per GiB = knumad's slab less mainline's (median) at the "
            "same size, per GiB: what knumad made the process hold, give or take a "
            "few KiB (memcg batches slab statistics per CPU, up to a page each), "
            "so meaningful at 1 GiB and more.", "",
            "| nodes | size | mode | rep | t95 | final | hint faults | pages migrated "
            "| knumad CPU | sys | kernel CPU per GiB | regions | metadata per GiB "
            "(estimate) | slab | metadata per GiB (measured) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"] + rows


def append_section(outdir, md):
    """Replaces section md[1] of bench.md (an earlier run's), keeps the rest."""
    path = os.path.join(outdir, "bench.md")
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        old = "# make bench\n"
    head, sep, tail = old.partition("\n" + md[1] + "\n")
    # the sections after the replaced one stay
    rest = tail[tail.index("\n## ") + 1:] if sep and "\n## " in tail else ""
    with open(path, "w") as f:
        f.write(head.rstrip("\n") + "\n" + "\n".join(md) + "\n"
                + ("\n" + rest if rest else ""))
    print("\n".join(md))


def main():
    if sys.argv[1] == "--scale":
        append_section(sys.argv[2], scale_section(sys.argv[3:]))
        return
    if sys.argv[1] == "--qemu":
        append_section(sys.argv[2], qemu_section(sys.argv[2], sys.argv[3:]))
        return
    outdir, raws = sys.argv[1], sys.argv[2:]
    runs = parse(raws)
    if not runs:
        sys.exit("bench-report: no runs in " + " ".join(raws))
    meta = []
    for path in raws:
        with open(path, errors="replace") as f:
            meta += [l.rstrip("\r\n") for l in f if l.startswith("bench: ")]
    with open(os.path.join(outdir, "bench.json"), "w") as f:
        json.dump({"meta": meta, "runs": runs}, f, indent=1)
    g = groups(runs)
    pngs = plots(g, outdir)
    reps = max(r["rep"] for r in runs)
    md = ["# make bench", "",
          "Generated by scripts/bench-report.py from " + ", ".join(os.path.basename(p) for p in raws)
          + f"; {len(runs)} runs, up to {reps} repetitions per mode.", ""]
    md += ["```"] + [m for m in meta if not m.startswith("bench: [")] + ["```", ""]
    md += ["Under TCG a remote access costs no more than a local one: throughput",
           "shows overhead, not the NUMA penalty. Compare placement, faults and CPU.", "",
           "## Locality", "",
           "Cell: time to 95% locality (median, min-max over repetitions; "
           "'never' = not within the run) / final locality (median of the last 2 s) / "
           "NUMA hint faults / kernel-side CPU (workload system time + knumad thread + "
           "numad daemon, over the measured window). t95 is the time from which locality "
           "stays at 95% or more to the end of the run. Bold: the best mode other than "
           "hardbind - the highest final locality (within 2 points), then the lowest t95, "
           "then the least CPU; on `shared`, the fewest pages moved, then the least CPU.", ""]
    md += main_table(g)
    md += ["", "## knumad against the others", "",
           "Ratios of medians (below 1: knumad faster / fewer). cost = mmtests' "
           "(7*numa_pte_updates + 5000*numa_hint_faults + 19*numa_pages_migrated)/1e6. "
           "Ping-pong = pages migrated / pages misplaced when the run started.", ""]
    md += knumad_table(g)
    md += ["", "## Every mode in detail (medians)", "",
           "near = share of the samples in which a thread ran on the node holding most "
           "of its memory; pages moved = pgmigrate_success (every migration: balancing, "
           "numad's and memsched's moves, compaction); machine sys = system + softirq "
           "time of all CPUs (kworkers included) over the window.", ""]
    md += detail_table(g)
    vt, vsum = variance_table(g)
    md += ["", "## Variance of t95 across repetitions", "",
           "spread = (max - min) / median of a row's t95s (every run of the row); a row "
           "has one when every run reached 95% and the median is above 0. *: less than "
           "1% of the run's pages were misplaced at the first sample after its threads "
           "started (about 0.25 s in) - nothing to move. Rows with the spread at most "
           f"{VARIANCE_MAX * 100:.0f}% of the median: {vsum or 'none'}.", ""]
    md += vt
    pt = perf_table(g)
    if pt:
        md += ["", "## perf bench numa mem (its own figures, medians)", ""] + pt
    it = idle_table(g)
    if len(it) > 2:
        md += ["", "## Idle and many-process cost", "",
               "1 GiB resident and never touched again, plus 100 processes of 1 MiB "
               "that wake every 100 ms; per second of the measured window (BENCH_IDLE_SECS), "
               "and of its first 8 s apart: they hold knumad's first look at the memory "
               "just touched.  CPU = the scheduler's runtime of the knumad thread and the "
               "numad daemon (/proc/PID/schedstat, ns).", ""] + it
    if pngs:
        md += ["", "## Plots", ""] + [f"![{p}]({p})" for p in pngs]
    with open(os.path.join(outdir, "bench.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
