#!/usr/bin/env python3
"""Summary of a scripts/soak.sh CSV (seconds,rss_kib,threads,fds,publishes,...): the RSS curve,
its growth after warm-up (first 20 % of the samples excluded) as last-minus-first and as a
least-squares slope, and the min/max of threads and FDs.

    soak_summary.py samples.csv
"""

import csv
import sys

rows = [{k: int(v) for k, v in row.items()} for row in csv.DictReader(open(sys.argv[1]))]
warm = rows[len(rows) // 5:] or rows
xs = [r["seconds"] / 60 for r in warm]
ys = [r["rss_kib"] / 1024 for r in warm]
n = len(xs)
mx, my = sum(xs) / n, sum(ys) / n
var = sum((x - mx) ** 2 for x in xs)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else 0.0
print(f"samples {len(rows)} over {rows[-1]['seconds']} s; publishes {rows[-1]['publishes']}, "
      f"HLS player starts {rows[-1]['hls_player_starts']}, RTMP player starts {rows[-1]['rtmp_player_starts']}")
print("RSS MiB curve: " + " ".join(f"{r['rss_kib'] / 1024:.0f}" for r in rows))
print(f"RSS after warm-up (first 20% excluded): first {ys[0]:.1f} MiB, last {ys[-1]:.1f} MiB, "
      f"min {min(ys):.1f}, max {max(ys):.1f}, growth {ys[-1] - ys[0]:+.1f} MiB, "
      f"slope {slope:+.2f} MiB/min")
for key in ("threads", "fds"):
    values = [r[key] for r in rows]
    print(f"{key}: min {min(values)} max {max(values)} first {values[0]} last {values[-1]}")
