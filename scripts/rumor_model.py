#!/usr/bin/env python3
"""Rumor mongering on n fully connected sites, as Demers et al. ("Epidemic algorithms for
replicated database maintenance", PODC 1987, section 1.4) describe it: the reference the
simulator's rumor tests and docs/strategies/rumor.md compare against.

One rumor starts at one site. Every infective site contacts one site drawn uniformly among
the others; what happens then depends on the variant:

  feedback + counter   the contact is unnecessary if the recipient already knew the rumor;
                       after k unnecessary contacts the sender loses interest. With
                       --reset, a useful contact sets the count back to 0 (k in a row).
  blind + coin         after every contact the sender loses interest with probability 1/k.

and on the rounds:

  sync    synchronous cycles: every infective site contacts once per cycle, and "already
          knew" means "knew at the start of the cycle"; a site infected in a cycle starts
          pushing in the next one. This is how the paper's Tables 1 and 2 were simulated.
  async   contact by contact: each contact sees the state left by the one before. This is
          the process the paper's differential equation s = e^{-(k+1)(1-s)} describes, and
          what a herd whose servers tick at random phases does.

A contact with the site a rumor came from sends nothing in herd (a server never sends an
update back to its sender: docs/protocol.md#rules) but costs interest as an unnecessary
contact; --herd models that (traffic then counts only messages sent), without it the
paper's model is used.

Prints, per k: mean residue s (fraction never infected) with its standard error and the
standard deviation of one run, and mean traffic m (messages per site). Standard library only;
deterministic for a given --seed. Example (the paper's Table 1, 1000 sites):

    python3 scripts/rumor_model.py --n 1000 --rounds sync --reset --runs 400
"""

import argparse
import math
import random


def run_once(n, k, variant, sync, reset, herd, rng):
    state = [0] * n  # 0 susceptible, 1 infective, 2 removed
    count = [0] * n
    source = [-1] * n
    state[0] = 1
    infective = [0]
    messages = 0
    while infective:
        order = infective
        if not sync:
            # Contact by contact in random order: the same as independent random phases.
            order = infective[:]
            rng.shuffle(order)
        knew_at_start = None if not sync else [s != 0 for s in state]
        newly = []
        for i in order:
            if state[i] != 1:
                continue
            j = rng.randrange(n - 1)
            if j >= i:
                j += 1
            to_source = herd and j == source[i]
            if not to_source:
                messages += 1
            knew = knew_at_start[j] if sync else state[j] != 0
            if state[j] == 0:
                state[j] = 1
                source[j] = i
                newly.append(j)
            if variant == "blind-coin":
                if rng.random() < 1.0 / k:
                    state[i] = 2
            elif knew:
                count[i] += 1
                if count[i] >= k:
                    state[i] = 2
            elif reset:
                count[i] = 0
        infective = [i for i in infective if state[i] == 1] + newly
    residue = sum(1 for s in state if s == 0) / n
    return residue, messages / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--k", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--variant", choices=["feedback-counter", "blind-coin"],
                    default="feedback-counter")
    ap.add_argument("--rounds", choices=["sync", "async"], default="sync")
    ap.add_argument("--reset", action="store_true")
    ap.add_argument("--herd", action="store_true")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    print(f"n={args.n} {args.variant} rounds={args.rounds} reset={args.reset} "
          f"herd={args.herd} runs={args.runs}")
    for k in args.k:
        runs = [run_once(args.n, k, args.variant, args.rounds == "sync", args.reset, args.herd,
                         rng) for _ in range(args.runs)]
        s = [r[0] for r in runs]
        m = [r[1] for r in runs]
        mean_s = sum(s) / len(s)
        sd_s = math.sqrt(sum((x - mean_s) ** 2 for x in s) / (len(s) - 1))
        mean_m = sum(m) / len(m)
        sd_m = math.sqrt(sum((x - mean_m) ** 2 for x in m) / (len(m) - 1))
        print(f"k={k}: s {mean_s:.4f} +- {sd_s / math.sqrt(len(s)):.4f} (sd of one run "
              f"{sd_s:.4f}), m {mean_m:.3f} +- {sd_m / math.sqrt(len(m)):.3f} (sd of one run "
              f"{sd_m:.3f}), e^-m {math.exp(-mean_m):.4f}")


if __name__ == "__main__":
    main()
