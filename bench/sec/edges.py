#!/usr/bin/env python3
"""edges.py - a short input with an event exactly at each window edge, where ECC and SEC differ.

The benchmark's workload (generate.py) keeps every event 10 s or more away from such edges; this file
shows why (README.md, "Semantic differences"). Run both engines on it:

  python3 bench/sec/edges.py > /tmp/edges.log
  .build/release/eccd --replay /tmp/edges.log --input text --rules bench/sec/ecc
  TZ=UTC perl -Ibench/sec -MFakeClock /usr/bin/sec --conf=bench/sec/sec.conf --input=/tmp/edges.log \
      --notail --nointevents --debug=1

  host  case                                          ECC                              SEC
  e1    disk warnings at s and s + 600 s (window 600 s)  raised twice                    raised once (600 > 600 is false)
  e2    5 ssh failures spanning exactly 60 s           nothing (the window leaves out    raised, cleared (the window
                                                       newest - 60 s)                    holds both ends)
  e3    unit started exactly 60 s after its failure    service-not-recovered, cleared    service-recovered
                                                       by the late start
  e4    started 61 s after, first line of its second   service-not-recovered, cleared    service-recovered (rules see the
                                                                                         line before the timer pass)
  e5    heartbeat exactly 300 s after the last one     host-silent raised and cleared    nothing (the context is alive)
"""
import time

T0 = 1795601250  # 2026-11-25T10:07:30Z


def main():
    ev = [(10, "e1 smartd[5]: Device: /dev/sda [SAT], 8 Currently unreadable (pending) sectors"),
          (610, "e1 smartd[5]: Device: /dev/sda [SAT], 8 Currently unreadable (pending) sectors")]
    ev += [(t, "e2 sshd[9]: Failed password for root from 192.0.2.1 port 1 ssh2") for t in (20, 35, 50, 65, 80)]
    ev += [(30, "e3 systemd[1]: nginx.service: Failed with result 'exit-code'."),
           (90, "e3 systemd[1]: Started nginx.service - nginx daemon."),
           (40, "e4 systemd[1]: nginx.service: Failed with result 'exit-code'."),
           (101, "e4 systemd[1]: Started nginx.service - nginx daemon.")]
    ev += [(5, "e5 node-agent[1]: heartbeat seq=1"), (305, "e5 node-agent[1]: heartbeat seq=2")]
    ev += [(t, "zz CRON[1]: pam_unix(cron:session): session closed for user root") for t in range(700)]
    ev.sort(key=lambda e: e[0])
    ev.insert(0, (0, "e9 node-agent[1]: heartbeat seq=0"))
    ev.append((700, "e9 node-agent[1]: heartbeat seq=1"))
    for t, text in ev:
        print(time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(T0 + t)), text)


if __name__ == "__main__":
    main()
