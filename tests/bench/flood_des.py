#!/usr/bin/env python3
"""A bare flood simulation in Python: the yardstick herd-sim's speed is compared against.

It does the least a flooding discrete-event simulation can do: a heapq of (time, sequence,
receiver, sender, client, timestamp) tuples, a dict of the newest timestamp per client at
each server, and on a newer update a send to every friend but the sender with a lognormal
latency. No protocol lines, no parsing, no metrics, no faults. herd-sim does all of those
per delivery, so the ratio of the two is a floor on what the simulator's machinery costs.

Workloads (the ones docs/performance.md compares):
  ws1000      Watts-Strogatz(1000, k=4, p=0.1), 200 IAMAT/s, 1,000 clients, 10 s virtual
  ws1000-c10  the same with 10 clients
  complete5   5 fully connected servers, 1,000 IAMAT/s, 1,000 clients, 60 s virtual
All use a lognormal link latency with median 20 ms and sigma 0.5, as herd-sim-bench does.

Usage: flood_des.py [WORKLOAD] [--repeat N] [--seed S]
Prints one line per run: workload, deliveries, wall and CPU seconds of the event loop, and
deliveries per wall and per CPU second. Only the event loop is timed, as herd-sim-bench times
Simulation::run(). On a busy machine compare the CPU figures.
"""

import argparse
import heapq
import math
import random
import sys
import time

WORKLOADS = {
    # name: (topology, servers, IAMATs per second, clients, virtual seconds)
    "ws1000": ("ws", 1000, 200.0, 1000, 10.0),
    "ws1000-c10": ("ws", 1000, 200.0, 10, 10.0),
    "complete5": ("complete", 5, 1000.0, 1000, 60.0),
}

LATENCY_MEDIAN_S = 0.020
LATENCY_SIGMA = 0.5


def watts_strogatz(n, k, p, rng):
    """Ring lattice with k neighbours per server, each edge rewired with probability p."""
    friends = [set() for _ in range(n)]
    for i in range(n):
        for j in range(1, k // 2 + 1):
            friends[i].add((i + j) % n)
            friends[(i + j) % n].add(i)
    for i in range(n):
        for j in range(1, k // 2 + 1):
            other = (i + j) % n
            if rng.random() < p and other in friends[i]:
                choices = [x for x in range(n) if x != i and x not in friends[i]]
                if not choices:
                    continue
                new = rng.choice(choices)
                friends[i].discard(other)
                friends[other].discard(i)
                friends[i].add(new)
                friends[new].add(i)
    return [sorted(f) for f in friends]


def complete(n):
    return [[j for j in range(n) if j != i] for i in range(n)]


def run(workload, seed):
    kind, n, rate, clients, duration = WORKLOADS[workload]
    rng = random.Random(seed)
    friends = watts_strogatz(n, 4, 0.1, rng) if kind == "ws" else complete(n)
    mu = math.log(LATENCY_MEDIAN_S)
    lognormal = rng.lognormvariate
    held = [dict() for _ in range(n)]

    # The workload: Poisson arrivals of IAMATs, each from a random client to a random
    # server, with a client timestamp that only grows.
    events = []
    seq = 0
    t = rng.expovariate(rate)
    while t < duration:
        # (time, sequence, receiver, sender (-1: a client), client, client timestamp)
        events.append((t, seq, rng.randrange(n), -1, rng.randrange(clients), t))
        seq += 1
        t += rng.expovariate(rate)
    heapq.heapify(events)

    deliveries = 0
    push = heapq.heappush
    pop = heapq.heappop
    start = time.perf_counter()
    cpu_start = time.process_time()
    while events:
        now, _, server, sender, client, stamp = pop(events)
        if sender >= 0:
            deliveries += 1
        records = held[server]
        if records.get(client, -1.0) >= stamp:
            continue
        records[client] = stamp
        for peer in friends[server]:
            if peer != sender:
                seq += 1
                push(events, (now + lognormal(mu, LATENCY_SIGMA), seq, peer, server, client, stamp))
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    return deliveries, wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", nargs="?", default="ws1000", choices=sorted(WORKLOADS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for _ in range(args.repeat):
        deliveries, wall, cpu = run(args.workload, args.seed)
        print(f"{args.workload} python-flood deliveries={deliveries} wall_s={wall:.3f} "
              f"cpu_s={cpu:.3f} per_wall_s={deliveries / wall:.0f} "
              f"per_cpu_s={deliveries / cpu:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
