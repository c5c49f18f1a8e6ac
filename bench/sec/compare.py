#!/usr/bin/env python3
"""compare.py [--time] ECC_OUT SEC_OUT - are ECC's and SEC's alarms the same multiset?

ECC_OUT: eccd --replay's standard output ("2026-11-25T10:07:41.000Z raised   ssh-brute-force [KEY] ...").
SEC_OUT: SEC's standard output with sec.conf ("1795601261 raised ssh-brute-force KEY").

Normal form of an alarm: "KIND RULE KEY" (KIND raised or cleared), or with --time
"EPOCH-SECOND KIND RULE KEY". Left out of ECC's side are the clears SEC has no counterpart of
(ECC_ONLY_CLEARS: the end of a once_per window, an auto_clear that frees a key for its next episode,
the late start that clears service-not-recovered). With --time, the changes SEC makes in its
once-a-second timer pass (TIMER_DRIVEN) are compared at their time less 1 s: SEC ends a window when
time() - start > window, i.e. 1 s after ECC's deadline (the workload has a line in every second).

Prints both multiset sizes and the per-rule counts; exits 0 if equal, 1 with the first differences.
"""
import sys
from collections import Counter
from datetime import datetime

ECC_ONLY_CLEARS = {"disk-pending-sectors", "service-recovered", "service-not-recovered", "snapshot-missing"}
TIMER_DRIVEN = {("raised", "host-silent"), ("raised", "service-not-recovered"),
                ("cleared", "ssh-brute-force"), ("cleared", "snapshot-done")}


def ecc(path, with_time):
    out = []
    for line in open(path):
        f = line.split(None, 3)
        if len(f) < 4 or f[1] not in ("raised", "cleared"):
            continue            # updated/repeated changes, or anything else, are not alarms here
        rule = f[2]
        if f[1] == "cleared" and rule in ECC_ONLY_CLEARS:
            continue
        key = f[3][1:f[3].index("]")]
        if with_time:
            t = int(datetime.fromisoformat(f[0].replace("Z", "+00:00")).timestamp())
            out.append(f"{t} {f[1]} {rule} {key}")
        else:
            out.append(f"{f[1]} {rule} {key}")
    return Counter(out)


def sec(path, with_time):
    out = []
    for line in open(path):
        f = line.split()
        if len(f) != 4 or f[1] not in ("raised", "cleared"):
            continue
        if with_time:
            t = int(f[0]) - (1 if (f[1], f[2]) in TIMER_DRIVEN else 0)
            out.append(f"{t} {f[1]} {f[2]} {f[3]}")
        else:
            out.append(f"{f[1]} {f[2]} {f[3]}")
    return Counter(out)


def per_rule(c):
    r = Counter()
    for k, n in c.items():
        f = k.split()
        if f[0].isdigit():
            f = f[1:]
        r[(f[1], f[0])] += n
    return r


def main():
    args = sys.argv[1:]
    with_time = "--time" in args
    args = [a for a in args if a != "--time"]
    if len(args) != 2:
        sys.exit("usage: compare.py [--time] ECC_OUT SEC_OUT")
    e, s = ecc(args[0], with_time), sec(args[1], with_time)
    print(f"ECC {sum(e.values())} alarms, SEC {sum(s.values())} alarms"
          + (" (normal form: second kind rule key)" if with_time else " (normal form: kind rule key)"))
    pe, ps = per_rule(e), per_rule(s)
    print(f"  {'rule':30} {'kind':8} {'ECC':>7} {'SEC':>7}")
    for rule, kind in sorted(set(pe) | set(ps)):
        mark = "" if pe[(rule, kind)] == ps[(rule, kind)] else "   <-- differs"
        print(f"  {rule:30} {kind:8} {pe[(rule, kind)]:7} {ps[(rule, kind)]:7}{mark}")
    if not e:
        print("NOT compared: neither engine raised anything (a broken workload or rule set)")
        return 1
    if e == s:
        print("equal")
        return 0
    only_e, only_s = e - s, s - e
    print(f"NOT equal: {sum(only_e.values())} only in ECC, {sum(only_s.values())} only in SEC")
    for name, d in (("only in ECC", only_e), ("only in SEC", only_s)):
        for k in sorted(d)[:15]:
            print(f"  {name}: {k}" + (f" x{d[k]}" if d[k] > 1 else ""))
    return 1


if __name__ == "__main__":
    sys.exit(main())
