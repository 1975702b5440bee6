#!/usr/bin/env python3
"""Count the leaf test results in a TAP or KTAP log: tap-count.py LOG KIND.

KIND is "kunit" (KTAP on a kernel console) or "kselftest" (the output of
run_kselftest.sh).  A result line that has subtests is a summary of them, so
only leaves are counted; a SKIP counts as passed.  Prints "PASSED FAILED",
and lists the failures on stderr, each with the last lines its test printed
(its TH_LOG and "Expected" lines), so that a failure in CI, where only the
summary is kept, can be read.
"""
import re
import sys

RESULT = re.compile(r'^(?P<indent>(?:# |\s)*)(?P<not>not )?ok (?P<n>\d+) ?-? ?(?P<name>.*)$')
MAX_SAID = 12                                 # lines shown for a failure
PREFIX = re.compile(r'^\[\s*\d+\.\d+\]\s?')   # printk timestamp


def main():
    path, kind = sys.argv[1], sys.argv[2]
    lines = []
    with open(path, errors='replace') as f:
        for line in f:
            line = PREFIX.sub('', line.rstrip('\n'))
            if kind == 'kunit':
                # KUnit indents subtests by 4 spaces; nothing else on the
                # console looks like "ok N name".
                line = line.replace('\t', '    ')
            lines.append(line)
    results = []
    prev = 0
    for at, line in enumerate(lines):
        m = RESULT.match(line)
        if m:
            depth = len(m.group('indent').replace('# ', '  '))
            said = [l for l in lines[prev:at] if l.strip(' #')][-MAX_SAID:]
            results.append((depth, not m.group('not'), m.group('name'), said))
            prev = at + 1
    passed = failed = 0
    child_failed = {}   # depth -> a failure seen among deeper results
    for i, (depth, ok, name, said) in enumerate(results):
        below = any(f for d, f in child_failed.items() if d > depth)
        summary = i > 0 and results[i - 1][0] > depth
        for d in [d for d in child_failed if d > depth]:
            del child_failed[d]
        if summary and (ok or below):
            # The leaves were counted; a failed parent whose leaves all
            # passed (a crash after them) still counts once.
            continue
        if ok:
            passed += 1
        else:
            failed += 1
            child_failed[depth] = True
            print('not ok: ' + name, file=sys.stderr)
            for l in said:
                print('    | ' + l[:300], file=sys.stderr)
    print(passed, failed)


if __name__ == '__main__':
    main()
