#!/usr/bin/env python3
# Runs inside the project's guest (the "host" here): a QEMU with one guest
# NUMA node per backend (four by default) and a real inner guest (a small
# kernel, configs/inner.config, or Debian's; its /init is
# tools/memsched/vcpu-touch.c: every vCPU keeps writing its own guest node's
# memory).  QEMU starts confined by a cpuset to host node 0, so the inner
# guest's RAM is first touched there - by its boot, or with --snapshot by
# QEMU's loader restoring a guest saved after its boot (--make-snapshot,
# on the build machine); once every vCPU has written its
# memory the cpuset is widened to every host node and the script measures
# how long each guest node's memory takes to reach the host node its vCPU
# is kept on.
#
# --mode memsched: our QEMU with -numa node,...,memsched=on.  Asserts: each
#   guest node's vCPU threads are in one group (/proc/<pid>/memsched), the
#   groups get distinct homes, and >= 95% of each backend's pages are at
#   their group's home within --limit seconds.  --hotplug also plugs a vCPU
#   and a pc-dimm and checks that they join their node's group.
# --mode knumad|mainline|none: an unmodified QEMU (Debian's), no memsched;
#   knumad on, mainline NUMA balancing on, or neither.  Reports how far
#   automatic placement gets (a guest node's "home" is the host node its
#   vCPU thread runs on at that moment); asserts nothing.
#
# Backends, one per guest node (--backends KIND,KIND): ram, memfd-share
# (memory-backend-memfd,share=on; --vhost maps it from a second process as
# a vhost-user back end would), memfd-huge (memfd,hugetlb=on), file-huge
# (memory-backend-file on a hugetlbfs mount).
#
# Output: one "e2e: ..." line per fact; the last line is "e2e: PASS ..." or
# "e2e: FAIL ...".  Exit status 0 only on PASS.
import argparse
import ctypes
import json
import mmap
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

CG = '/sys/fs/cgroup'
HUGE_DIR = '/run/e2e-hugetlbfs'
failures = []


def say(*a):
    print('e2e:', *a, flush=True)


def check(ok, what):
    say(('ok   ' if ok else 'FAIL ') + what)
    if not ok:
        failures.append(what)
    return ok


def wr(path, val):
    with open(path, 'w') as f:
        f.write(str(val))


def rd(path):
    with open(path) as f:
        return f.read()


def host_nodes():
    return sorted(int(d[4:]) for d in os.listdir('/sys/devices/system/node')
                  if re.fullmatch(r'node\d+', d))


def node_cpulist(n):
    return rd(f'/sys/devices/system/node/node{n}/cpulist').strip()


def cpu_node(cpu):
    for n in host_nodes():
        if os.path.exists(f'/sys/devices/system/node/node{n}/cpu{cpu}'):
            return n
    return -1


def setup_cgroup():
    if not os.path.exists(CG + '/cgroup.controllers'):
        subprocess.run(['mount', '-t', 'cgroup2', 'none', CG], check=True)
    wr(CG + '/cgroup.subtree_control', '+cpuset')
    d = CG + '/e2e-qemu'
    os.makedirs(d, exist_ok=True)
    wr(d + '/cpuset.cpus', node_cpulist(0))
    wr(d + '/cpuset.mems', '0')
    return d


def setup_hugetlb(node0, others):
    for n in host_nodes():
        want = node0 if n == 0 else others
        p = (f'/sys/devices/system/node/node{n}/hugepages/'
             'hugepages-2048kB/nr_hugepages')
        wr(p, want)
        got = int(rd(p))
        if got < want:
            say(f'FAIL only {got} of {want} huge pages on node {n}')
            sys.exit(1)
        say(f'{want} huge pages reserved on host node {n}')
    os.makedirs(HUGE_DIR, exist_ok=True)
    subprocess.run(['mount', '-t', 'hugetlbfs', '-o', 'pagesize=2M', 'none',
                    HUGE_DIR], check=True)


def backend_arg(kind, i, mib):
    common = f'id=m{i},size={mib}M'
    if kind == 'ram':
        return f'memory-backend-ram,{common}'
    if kind == 'memfd-share':
        return f'memory-backend-memfd,{common},share=on'
    if kind == 'memfd-huge':
        return f'memory-backend-memfd,{common},hugetlb=on,hugetlbsize=2M'
    if kind == 'file-huge':
        return (f'memory-backend-file,{common},mem-path={HUGE_DIR}/m{i},'
                'share=on')
    raise SystemExit(f'unknown backend {kind}')


def unix_connect(path):
    """A socket connected to QEMU's monitor at @path, once QEMU listens."""
    for _ in range(100):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            time.sleep(0.1)
    raise OSError(f'cannot connect to {path}')


class Hmp:
    def __init__(self, path):
        self.s = unix_connect(path)
        self.read_prompt()

    def read_prompt(self):
        buf = b''
        while not buf.endswith(b'(qemu) '):
            chunk = self.s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf.decode(errors='replace')

    def cmd(self, c):
        self.s.sendall(c.encode() + b'\n')
        out = self.read_prompt()
        # drop the echo of the command and the prompt
        lines = [l for l in out.replace('\r', '').split('\n')
                 if l and not l.startswith('(qemu)') and c not in l]
        return '\n'.join(lines)


class Qmp:
    """The QMP wire protocol, as a management tool (libvirt) speaks it."""

    def __init__(self, path):
        self.s = unix_connect(path)
        self.f = self.s.makefile('rb')
        self.greeting = self.read()
        self.cmd('qmp_capabilities')

    def read(self):
        while True:
            msg = json.loads(self.f.readline())
            if 'event' not in msg:
                return msg

    def cmd(self, name, **args):
        req = {'execute': name}
        if args:
            req['arguments'] = args
        self.s.sendall(json.dumps(req).encode() + b'\n')
        return self.read()


def memsched_state(pid):
    """groups: id -> (home, {node: pages}); threads: tid -> group."""
    groups, threads = {}, {}
    try:
        text = rd(f'/proc/{pid}/memsched')
    except OSError:
        return groups, threads
    for line in text.splitlines():
        m = re.match(r'group (\d+) home (-?\d+) .*pages(.*)', line)
        if m:
            pages = {int(a): int(b) for a, b in
                     re.findall(r'N(\d+)=(\d+)', m.group(3))}
            groups[int(m.group(1))] = (int(m.group(2)), pages)
        m = re.match(r'thread (\d+) group (\d+)', line)
        if m:
            threads[int(m.group(1))] = int(m.group(2))
    return groups, threads


def vma_pages(pid, size):
    """Pages per host node of the VMAs of exactly @size bytes (numa_maps)."""
    sizes = {}
    for line in rd(f'/proc/{pid}/maps').splitlines():
        a, b = (int(x, 16) for x in line.split()[0].split('-'))
        sizes[a] = b - a
    pages = {}
    for line in rd(f'/proc/{pid}/numa_maps').splitlines():
        f = line.split()
        if sizes.get(int(f[0], 16)) != size:
            continue
        kp = 1
        m = re.search(r'kernelpagesize_kB=(\d+)', line)
        if m:
            kp = int(m.group(1)) // 4
        for n, c in re.findall(r' N(\d+)=(\d+)', line):
            pages[int(n)] = pages.get(int(n), 0) + int(c) * kp
    return pages


def off_home(pid, size, home):
    """Offsets into the VMA of exactly @size bytes of the pages that are
    present and not on @home, and their nodes (move_pages(2) queries, one
    per kernel page)."""
    start, kp = None, 4096
    for line in rd(f'/proc/{pid}/maps').splitlines():
        a, b = (int(x, 16) for x in line.split()[0].split('-'))
        if b - a == size:
            start = a
    if start is None:
        return []
    for line in rd(f'/proc/{pid}/numa_maps').splitlines():
        m = re.search(r'kernelpagesize_kB=(\d+)', line)
        if int(line.split()[0], 16) == start and m:
            kp = int(m.group(1)) * 1024
    n = size // kp
    addrs = (ctypes.c_void_p * n)(*[start + i * kp for i in range(n)])
    status = (ctypes.c_int * n)()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(279, pid, ctypes.c_ulong(n), addrs, None, status, 0):
        return []
    return [(i * kp, status[i]) for i in range(n)
            if status[i] >= 0 and status[i] != home]


def vcpu_threads(pid):
    """cpu index -> tid, from the thread names ("CPU 1/TCG")."""
    out = {}
    for t in os.listdir(f'/proc/{pid}/task'):
        try:
            comm = rd(f'/proc/{pid}/task/{t}/comm').strip()
        except OSError:
            continue
        m = re.match(r'CPU (\d+)/', comm)
        if m:
            out[int(m.group(1))] = int(t)
    return out


def thread_node(pid, tid):
    try:
        stat = rd(f'/proc/{pid}/task/{tid}/stat')
    except OSError:
        return -1
    return cpu_node(int(stat.rsplit(')', 1)[1].split()[36]))


def vhost_mapper(pid, size):
    """A second process that maps QEMU's memfd and reads its present pages,
    as a vhost-user back end maps guest RAM (SCM_RIGHTS there, /proc here)."""
    fd = None
    for f in os.listdir(f'/proc/{pid}/fd'):
        try:
            if os.readlink(f'/proc/{pid}/fd/{f}').startswith('/memfd:'):
                if os.stat(f'/proc/{pid}/fd/{f}').st_size == size:
                    fd = f
        except OSError:
            pass
    if fd is None:
        return None
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        libc = ctypes.CDLL(None, use_errno=True)
        mfd = os.open(f'/proc/{pid}/fd/{fd}', os.O_RDONLY)
        pg = mmap.PAGESIZE
        vec = (ctypes.c_ubyte * (size // pg))()
        mmap_fn = libc.mmap
        mmap_fn.restype = ctypes.c_void_p
        mmap_fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                            ctypes.c_int, ctypes.c_int, ctypes.c_long]
        p = mmap_fn(None, size, mmap.PROT_READ, mmap.MAP_SHARED, mfd, 0)
        libc.mincore(ctypes.c_void_p(p), ctypes.c_size_t(size), vec)
        n = 0
        for i in range(size // pg):
            if vec[i] & 1:
                ctypes.c_char.from_address(p + i * pg).value
                n += 1
        os.write(w, f'{n}\n'.encode())
        os.close(w)
        signal.pause()
        os._exit(0)
    os.close(w)
    n = int(os.read(r, 64).decode().strip() or 0)
    os.close(r)
    return child, n


def check_qmp(qmp, pid, nn, node_groups, kinds):
    """query-memsched on the wire says what /proc/<pid>/memsched says."""
    say('qmp greeting: ' + json.dumps(qmp.greeting.get('QMP', {})
                                      .get('version', {}).get('qemu')))
    bad = qmp.cmd('query-memsched', node=0)
    check('error' in bad and bad['error'].get('class') == 'GenericError',
          'QMP query-memsched with an unknown argument is an error: '
          + json.dumps(bad.get('error', bad)))
    # pages may still move while the vCPUs write: /proc is read before and
    # after the query, and QMP's figure must lie between (1% margin, or
    # for a hugetlb-backed node one huge page, if more: a huge page being
    # migrated during the query is counted on no node - a make test run
    # of 2026-12-06: QMP's total for a memfd-huge guest node 512 pages
    # (one 2 MiB page) short of /proc's, all of it on the node it left)
    groups0 = memsched_state(pid)[0]
    r = qmp.cmd('query-memsched')
    groups, threads = memsched_state(pid)
    vt = vcpu_threads(pid)
    say('QMP query-memsched: ' + json.dumps(r))
    ret = r.get('return')
    if not check(isinstance(ret, list) and len(ret) == nn,
                 f'QMP query-memsched returns {nn} guest nodes'):
        return
    for e in ret:
        i = e['node']
        home, pages = groups.get(e['group'], (-1, {}))
        home0, pages0 = groups0.get(e['group'], (-1, {}))
        qpages = {p['host-node']: p['pages'] for p in e['pages']}
        tot = sum(pages.values()) or 1
        margin = tot // 100
        if i < len(kinds) and kinds[i] in ('memfd-huge', 'file-huge'):
            margin = max(margin, (2 << 20) // os.sysconf('SC_PAGE_SIZE'))
        outside = 0
        for n in set(qpages) | set(pages) | set(pages0):
            lo = min(pages.get(n, 0), pages0.get(n, 0))
            hi = max(pages.get(n, 0), pages0.get(n, 0))
            q = qpages.get(n, 0)
            outside += max(lo - q, q - hi, 0)
        check(e['group'] == node_groups.get(i) and
              e['home'] in (home, home0) and
              vt.get(i) in e['vcpu-threads'] and
              all(threads.get(t) == e['group'] for t in e['vcpu-threads'])
              and outside <= margin,
              f'QMP guest node {i}: group {e["group"]} home {e["home"]} '
              f'vCPU threads {e["vcpu-threads"]} pages {qpages} agree with '
              f'/proc (home {home}, pages {pages})')


def qemu_cmd(a, kinds, sizes, memsched, serial, mon, qmp_path):
    """The QEMU command line: one guest node per backend, two vCPU slots
    per node (one present, one for hot-plug)."""
    nn = len(kinds)
    # Debian's firmware (seabios, option ROMs); a build tree looks only in
    # its own pc-bios/, which the Debian source ships without blobs.
    cmd = [a.qemu, '-L', '/usr/share/seabios', '-L', '/usr/share/qemu',
           '-accel', 'tcg,thread=multi,tb-size=128', '-nodefaults',
           '-name', 'e2e,debug-threads=on',
           '-display', 'none', '-no-reboot', '-net', 'none',
           '-serial', f'file:{serial}',
           '-monitor', f'unix:{mon},server=on,wait=off',
           '-qmp', f'unix:{qmp_path},server=on,wait=off',
           '-smp', f'{nn},sockets={2 * nn},cores=1,threads=1,'
           f'maxcpus={2 * nn}',
           '-m', f'{sum(sizes)}M,slots=2,maxmem={sum(sizes) + 256}M',
           '-kernel', a.kernel, '-initrd', a.initrd,
           # boot time under nested TCG: no crypto self-tests (0.85 s of
           # 4.4 s at one level of TCG), no kprobe trace set-up (0.2 s), no
           # TSC checks
           '-append', f'console=ttyS0 quiet panic=-1 cryptomgr.notests '
           'initcall_blacklist=init_kprobe_trace tsc=reliable no_timer_check '
           f'vcpu_touch_mib={a.touch_mib}']
    for i, k in enumerate(kinds):
        cmd += ['-object', backend_arg(k, i, sizes[i])]
        node = f'node,nodeid={i},cpus={i},cpus={i + nn},memdev=m{i}'
        if memsched:
            node += ',memsched=on'
        cmd += ['-numa', node]
    return cmd


def wait_serial(serial, what, limit, q):
    """Seconds until @what (a function of the serial log's text) holds,
    or None after @limit seconds or once QEMU has exited."""
    t0 = time.time()
    while time.time() - t0 < limit:
        if q.poll() is not None:
            return None
        try:
            if what(rd(serial)):
                return time.time() - t0
        except (OSError, ValueError):	# not there yet; not UTF-8
            pass
        time.sleep(0.5)
    return None


def heartbeats(text):
    """The pass counts of vcpu-touch's "passes" lines, oldest first; a
    line a kernel message broke into is left out."""
    return [[int(x) for x in m.group(1).split()] for m in
            re.finditer(r'^vcpu-touch: passes((?: \d+)+)$', text, re.M)]


def make_snapshot(a, kinds, sizes, out):
    """On the build machine, at one level of TCG: boot the inner guest (a
    RAM backend per guest node, no memsched: neither is in the migration
    stream), let every vCPU write its memory, stop it and save its state
    to @out, which the test restores with -incoming instead of booting
    the guest again under two levels of TCG."""
    tmp = out + '.tmp'
    d = os.path.dirname(out) or '.'
    os.makedirs(d, exist_ok=True)
    serial = os.path.join(d, 'snapshot-serial.log')
    # sockets in a short directory of their own (108 bytes at most)
    sockdir = tempfile.mkdtemp(prefix='e2e-snap-')
    mon = os.path.join(sockdir, 'mon.sock')
    qmp_path = os.path.join(sockdir, 'qmp.sock')
    for f in (serial, tmp, out):
        if os.path.exists(f):
            os.unlink(f)
    cmd = qemu_cmd(a, ['ram'] * len(kinds), sizes, False, serial, mon,
                   qmp_path)
    # the guest is stopped to be saved; without the run state in the
    # stream the restoring QEMU runs it once loaded (autostart)
    cmd += ['-global', 'migration.store-global-state=off']
    say('snapshot: command line:', ' '.join(cmd))
    err = open(os.path.join(d, 'snapshot-qemu.log'), 'w')
    q = subprocess.Popen(cmd, stderr=err)
    try:
        t = wait_serial(serial, lambda s: f'all {len(kinds)} cpus done' in s,
                        a.boot_limit, q)
        if t is None:
            say('FAIL snapshot: the inner guest did not boot: ' +
                (rd(serial)[-1500:] if os.path.exists(serial) else ''))
            return 1
        say(f'snapshot: inner guest booted, every vCPU wrote its memory '
            f'({t:.1f} s)')
        hmp = Hmp(mon)
        hmp.cmd('stop')
        hmp.cmd('migrate_set_parameter max-bandwidth 4096')
        # the file is renamed by the shell once cat has written it all:
        # QEMU says "completed" once the pipe has the last of the data
        hmp.cmd(f'migrate -d "exec:cat > {shlex.quote(tmp)} && '
                f'mv {shlex.quote(tmp)} {shlex.quote(out)}"')
        t0 = time.time()
        status = ''
        while time.time() - t0 < 120:
            status = hmp.cmd('info migrate')
            if re.search(r'Migration status: (completed|failed|cancelled)',
                         status):
                break
            time.sleep(0.2)
        while 'completed' in status and time.time() - t0 < 120 and \
                not os.path.exists(out):
            time.sleep(0.2)
        if 'Migration status: completed' not in status or \
                not os.path.exists(out):
            say('FAIL snapshot: migration did not complete: ' + status)
            return 1
    finally:
        q.kill()
        q.wait()
        err.close()
        for f in (mon, qmp_path):
            if os.path.exists(f):
                os.unlink(f)
        os.rmdir(sockdir)
        if os.path.exists(tmp):
            os.unlink(tmp)
        if q.returncode not in (-signal.SIGKILL, 0):
            say('snapshot: QEMU said: ' +
                rd(os.path.join(d, 'snapshot-qemu.log'))[-1500:])
    say(f'snapshot: {out}: {os.path.getsize(out) >> 20} MiB')
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--qemu', required=True)
    ap.add_argument('--kernel', required=True)
    ap.add_argument('--initrd', required=True)
    ap.add_argument('--mode', choices=['memsched', 'knumad', 'mainline',
                                       'none'], required=True)
    ap.add_argument('--backends', default='memfd-huge,memfd-share,file-huge,ram')
    ap.add_argument('--mib', type=int, default=64,
                    help='MiB of the smallest guest node (+32 per node)')
    ap.add_argument('--touch-mib', type=int, default=16)
    ap.add_argument('--limit', type=int, default=120)
    ap.add_argument('--restore-limit', type=int, default=300,
                    help='seconds for the restored guest to run again '
                    '(26-34 s here)')
    ap.add_argument('--boot-limit', type=int, default=900,
                    help='seconds for the inner guest to boot and write its '
                    'memory (183 s on 2 and 316 s on 4 host nodes here)')
    ap.add_argument('--hotplug', action='store_true')
    ap.add_argument('--vhost', action='store_true')
    ap.add_argument('--workdir', default='.')
    ap.add_argument('--snapshot', metavar='FILE',
                    help='restore the inner guest from FILE (made by '
                    '--make-snapshot with the same options) instead of '
                    'booting it')
    ap.add_argument('--make-snapshot', metavar='FILE',
                    help='on the build machine: boot the inner guest, save '
                    'it to FILE once every vCPU has written its memory, '
                    'and exit')
    a = ap.parse_args()

    kinds = a.backends.split(',')
    nn = len(kinds)
    # distinct sizes, so that numa_maps tells the backends apart; node 0,
    # where the inner kernel lives, the largest
    sizes = [a.mib + 32 * (nn - 1 - i) for i in range(nn)]
    if a.make_snapshot:
        return make_snapshot(a, kinds, sizes, a.make_snapshot)
    hp = [s // 2 for s, k in zip(sizes, kinds) if k.endswith('huge')]
    if hp:
        # all on node 0 while confined; elsewhere, the largest that can
        # end up sharing a home (at most ceil(guest/host nodes) groups)
        per = -(-nn // len(host_nodes()))
        setup_hugetlb(sum(hp) + 16, sum(sorted(hp)[::-1][:per]) + 16)
    cg = setup_cgroup()
    # one mechanism at a time: memsched mode runs with neither NUMA
    # balancing nor knumad, so what moves is memsched's doing
    wr('/proc/sys/kernel/numa_balancing', int(a.mode == 'mainline'))
    if os.path.exists('/sys/kernel/mm/knumad/enabled'):
        wr('/sys/kernel/mm/knumad/enabled', int(a.mode == 'knumad'))

    serial = os.path.join(a.workdir, 'e2e-serial.log')
    if os.path.exists(serial):
        os.unlink(serial)
    mon = f'/run/e2e-mon-{os.getpid()}.sock'
    qmp_path = f'/run/e2e-qmp-{os.getpid()}.sock'
    cmd = qemu_cmd(a, kinds, sizes, a.mode == 'memsched', serial, mon,
                   qmp_path)
    if a.snapshot:
        cmd += ['-incoming', f'exec:cat {shlex.quote(a.snapshot)}']
    say('command line:', ' '.join(cmd))

    def confine():
        wr(cg + '/cgroup.procs', os.getpid())

    q = subprocess.Popen(cmd, preexec_fn=confine, stderr=subprocess.PIPE)
    pid = q.pid
    if a.snapshot:
        # the guest's RAM is written by QEMU's loader, confined to host
        # node 0 as a boot's first touch is; its vCPUs then write on:
        # two heartbeats in which every vCPU made passes
        def resumed(text):
            hb = heartbeats(text)
            return len(hb) >= 2 and len(hb[-1]) == nn and \
                all(x > y for x, y in zip(hb[-1], hb[0]))
        t_boot = wait_serial(serial, resumed, a.restore_limit, q)
        what = (f'inner guest restored from {os.path.basename(a.snapshot)}'
                f' (taken once all {nn} vCPUs had written {a.touch_mib} '
                'MiB) and every vCPU writing again')
    else:
        # the inner guest boots and every vCPU writes its node's memory
        t_boot = wait_serial(serial, lambda t: f'all {nn} cpus done' in t,
                             a.boot_limit, q)
        what = (f'inner guest booted and its {nn} vCPUs wrote '
                f'{a.touch_mib} MiB each')
    if q.poll() is not None:
        say('FAIL QEMU exited', q.returncode, q.stderr.read().decode())
        return 1
    if not check(t_boot is not None, what + (f' ({t_boot:.0f} s)'
                                             if t_boot is not None
                                             else ' (timed out)')):
        say(rd(serial)[-2000:] if os.path.exists(serial) else 'no console')
        q.kill()
        return 1
    for line in rd(serial).splitlines():
        if 'vcpu-touch: cpu' in line or 'vcpu-touch: passes' in line:
            say('inner:', line.strip())
    hmp = Hmp(mon)

    def backend_pages(groups, node_groups):
        res = []
        for i in range(nn):
            if a.mode == 'memsched':
                home, pages = groups.get(node_groups[i], (-1, {}))
            else:
                pages = vma_pages(pid, sizes[i] << 20)
                home = thread_node(pid, vcpu_threads(pid).get(i, -1))
            tot = sum(pages.values()) or 1
            res.append((home, pages, pages.get(home, 0) / tot))
        return res

    node_groups = {}
    if a.mode == 'memsched':
        info = hmp.cmd('info memsched')
        say('info memsched (confined to host node 0):')
        for l in info.splitlines():
            say('  ' + l)
            m = re.match(r'node (\d+): group (\d+)', l)
            if m:
                node_groups[int(m.group(1))] = int(m.group(2))
        check(len(node_groups) == nn, f'{nn} guest nodes have a group')
    groups, threads = memsched_state(pid)
    before = backend_pages(groups, node_groups)
    for i, (home, pages, frac) in enumerate(before):
        say(f'before: guest node {i} ({kinds[i]}) pages {pages}')

    mapper = None
    if a.vhost and 'memfd-share' in kinds:
        i = kinds.index('memfd-share')
        mapper = vhost_mapper(pid, sizes[i] << 20)
        check(mapper is not None and mapper[1] > 0,
              f'a second process maps guest node {i}\'s memfd '
              f'({mapper[1] if mapper else 0} pages present)')

    # widen the cpuset: the kernel may now spread the guest nodes
    wr(cg + '/cpuset.mems', ','.join(str(n) for n in host_nodes()))
    wr(cg + '/cpuset.cpus', '0-%d' % (os.cpu_count() - 1))
    t0 = time.time()
    t95 = None
    # as even as the host allows: no host node with more groups than
    # ceil(guest nodes / host nodes)
    per = -(-nn // len(host_nodes()))

    def spread(homes):
        return min(homes) >= 0 and max(homes.count(h) for h in homes) <= per
    while time.time() - t0 < a.limit:
        time.sleep(1)
        groups, threads = memsched_state(pid)
        now = backend_pages(groups, node_groups)
        homes = [h for h, _, _ in now]
        say(f't={time.time() - t0:5.1f}s ' + '  '.join(
            f'node{i}@{h}:{f * 100:5.1f}%' for i, (h, _, f) in enumerate(now)))
        if (spread(homes) and all(f >= 0.95 for _, _, f in now)):
            t95 = time.time() - t0
            break
    final = backend_pages(*memsched_state(pid)[:1], node_groups)
    for i, (home, pages, frac) in enumerate(final):
        say(f'final: guest node {i} ({kinds[i]}) home/vCPU node {home} '
            f'pages {pages} at home {frac * 100:.1f}% '
            f'(moved: {before[i][1].get(0, 0) and home != 0})')
        if a.mode == 'memsched' and frac < 1:
            off = off_home(pid, sizes[i] << 20, home)
            say(f'final: guest node {i}: {len(off)} pages away from home, '
                'at offsets (node) ' + ', '.join(
                    f'{o:#x} ({n})' for o, n in off[:8]))
    if a.mode == 'memsched':
        info = hmp.cmd('info memsched')
        say('info memsched (after):')
        for l in info.splitlines():
            say('  ' + l)
        groups, threads = memsched_state(pid)
        vt = vcpu_threads(pid)
        for i in range(nn):
            g = node_groups.get(i)
            tids = [vt.get(c) for c in (i,)]
            check(all(threads.get(t) == g for t in tids),
                  f'guest node {i}: vCPU thread(s) {tids} in group {g}')
        homes = [groups.get(node_groups.get(i), (-1, {}))[0]
                 for i in range(nn)]
        check(spread(homes), f'group homes {homes} spread over the host '
              f'nodes (at most {per} per node)')
        check(t95 is not None,
              f'>= 95% of every backend at its group\'s home: '
              + (f'{t95:.1f} s' if t95 is not None else
                 f'not within {a.limit} s'))
        try:
            check_qmp(Qmp(qmp_path), pid, nn, node_groups, kinds)
        except (OSError, ValueError, KeyError, TypeError) as e:
            check(False, f'QMP query-memsched: {e!r}')
        if mapper:
            i = kinds.index('memfd-share')
            check(final[i][2] >= 0.95, f'memfd pages mapped by a second '
                  f'process too are home ({final[i][2] * 100:.1f}%)')
    say(f'{a.mode}: ' + (f'95% reached in {t95:.1f} s' if t95 is not None
                        else f'95% not reached in {a.limit} s') +
        '; vmstat ' + ' '.join(
            l.strip() for l in rd('/proc/vmstat').splitlines()
            if l.startswith(('knumad', 'numa_pages_migrated',
                             'numa_hint_faults ', 'pgmigrate_success'))))
    if mapper:
        os.kill(mapper[0], signal.SIGKILL)
        os.waitpid(mapper[0], 0)

    if a.mode == 'memsched' and a.hotplug:
        # vCPU hot-plug: cpu index nn sits on guest node 0 (cpus=0,cpus=nn)
        out = hmp.cmd(f'device_add qemu64-x86_64-cpu,id=hcpu,'
                      f'socket-id={nn},core-id=0,thread-id=0')
        time.sleep(1)
        vt = vcpu_threads(pid)
        tid = vt.get(nn)
        groups, threads = memsched_state(pid)
        check(tid is not None and threads.get(tid) == node_groups[0],
              f'hot-plugged vCPU {nn} (thread {tid}) joined guest node 0\'s '
              f'group {node_groups[0]} {out.strip()}')
        g1 = node_groups[1]
        out = hmp.cmd('object_add memory-backend-ram,id=dimm1m,size=64M')
        out += hmp.cmd('device_add pc-dimm,id=dimm1,memdev=dimm1m,node=1')
        time.sleep(0.5)
        ranges = [l for l in rd(f'/proc/{pid}/memsched').splitlines()
                  if l.startswith('range') and f' group {g1} ' in l]
        check(len(ranges) >= 2, f'hot-plugged pc-dimm on guest node 1 is '
              f'bound to its group {g1}: {len(ranges)} ranges '
              f'{out.strip()}')
        info = hmp.cmd('info memsched')
        say('info memsched (after hot-plug):')
        for l in info.splitlines():
            say('  ' + l)

    q.kill()
    q.wait()
    if failures:
        say(f'FAIL {len(failures)} checks: ' + '; '.join(failures))
        return 1
    say('PASS', f'mode={a.mode} backends={a.backends} '
        f'{"restore" if a.snapshot else "boot"}={t_boot:.0f}s '
        't95=' + (f'{t95:.1f}s' if t95 is not None else 'never'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
