#!/usr/bin/env python3
"""Projects data-parallel epoch times to many machines from bench/distributed-protocol's figures.

Model (stated in bench/results/distributed.md as well):
  - one machine is this one, whose compute per step of a global batch B is t_c(B), measured as one
    process with all its threads; N machines each compute B / N rows, in t_c(B) / N (linear in
    rows: optimistic for small per-machine batches, where matrix products run below peak);
  - the gradient message per step is M bytes (rank 0's measured bytes per sum), all-reduced by a
    ring: 2 (N - 1) / N * M bytes through each machine's link, plus 2 (N - 1) hops of latency a;
  - no overlap of communication with computation (conservative: the fused step starts 4 MiB
    buckets during its backward pass, which hides part of t_comm for large networks and none for
    a message under 4 MiB), so a step takes t_c / N + t_comm, and the efficiency is
    t_c / (N (t_c / N + t_comm)).
Usage: distributed_projection.py SUMMARY EPOCHS
"""
import re
import sys

ROWS = 60000
BATCH = 128
LATENCY = 30e-6  # seconds per hop of a TCP ring on a data-centre network (assumed)
LINKS = {"10 Gb/s": 10e9 / 8, "100 Gb/s": 100e9 / 8}
MACHINES = [1, 2, 8, 32, 64]


def parse(path):
    runs = {}
    for line in open(path):
        name = line.split(":")[0]
        seconds = float(re.search(r" in ([0-9.e+]+) s", line).group(1))
        run = {"seconds": seconds}
        m = re.search(r"gradient sums ([0-9.e+]+) s of ([0-9.e+]+) s \(([0-9.e+]+) MB per step\)", line)
        if m:
            run["sum_seconds"] = float(m.group(1))
            run["megabytes"] = float(m.group(3))
        runs[name] = run
    return runs


def main():
    runs = parse(sys.argv[1])
    epochs = int(sys.argv[2])
    steps = epochs * ((ROWS + BATCH - 1) // BATCH)
    print("## Measured (one run each, %d epochs of %d steps)\n" % (epochs, steps // epochs))
    print("| network | 1 process, 2 threads: s/epoch | 2 ranks, 1 thread each: s/epoch | ratio | "
          "gradient sums' share (rank 0) | message per step |")
    print("|---|---|---|---|---|---|")
    sizes = []
    for tag in sorted({n.split("-")[-1] for n in runs}):
        one, two = runs.get("one-process-" + tag), runs.get("two-ranks-" + tag)
        if not one or not two:
            continue
        ratio = two["seconds"] / one["seconds"]
        share = two["sum_seconds"] / two["seconds"]
        print("| 784-%s-10 bbb | %.2f | %.2f | %.2f | %.1f%% | %.2f MB |" % (
            tag.replace("x", "-"), one["seconds"] / epochs, two["seconds"] / epochs, ratio, 100 * share, two["megabytes"]))
        sizes.append((tag, one["seconds"] / steps, two["megabytes"] * 1e6))
    for link, bandwidth in LINKS.items():
        print("\n## Projection at %s (batch %d, ring all-reduce, latency %.0f us per hop, no overlap)\n" % (
            link, BATCH, LATENCY * 1e6))
        print("| network | machines | step compute | step communication | epoch | efficiency |")
        print("|---|---|---|---|---|---|")
        for tag, compute, message in sizes:
            dominated = None
            for n in MACHINES:
                comm = 0.0 if n == 1 else 2 * (n - 1) / n * message / bandwidth + 2 * (n - 1) * LATENCY
                step = compute / n + comm
                efficiency = compute / (n * step)
                if dominated is None and comm > compute / n:
                    dominated = n
                print("| 784-%s-10 | %d | %.2f ms | %.2f ms | %.1f s | %.0f%% |" % (
                    tag.replace("x", "-"), n, 1e3 * compute / n, 1e3 * comm, step * steps / epochs, 100 * efficiency))
            # Communication dominates once t_comm > t_c(B) / N; the batch that keeps 80% efficiency
            # at N machines: t_c grows with B (per row: compute / BATCH), t_comm does not, so
            # N t_comm <= 0.25 t_c(B) gives B >= 4 N t_comm BATCH / compute.
            print("\n784-%s-10 at %s: communication dominates from %s machines; batch for 80%% efficiency: %s\n" % (
                tag.replace("x", "-"), link, dominated if dominated else "more than %d" % MACHINES[-1],
                ", ".join("%d machines >= %d" % (n, max(BATCH if n == 1 else 1, round(
                    4 * n * (2 * (n - 1) / n * message / bandwidth + 2 * (n - 1) * LATENCY) * BATCH / compute)))
                          for n in MACHINES[1:])))


if __name__ == "__main__":
    main()
