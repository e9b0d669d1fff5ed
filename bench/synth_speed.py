"""Synthetic corpus speed: episodes per second for `generate_episodes` (target: 10,000 in < 60 s).

Run: nice -n 10 .venv/bin/python bench/synth_speed.py [--n 10000] [--seed 0] [--forms all]"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--forms", default="all", choices=("all", "train", "test"))
    args = ap.parse_args()
    from training.synth import generate_episodes
    from training.synth.lexicon import load_lexicon

    t0 = time.perf_counter()
    lex = load_lexicon()
    t1 = time.perf_counter()
    eps = generate_episodes(args.n, seed=args.seed, forms=args.forms)
    t2 = time.perf_counter()
    words = sum(len(e.text.split()) for e in eps)
    print(f"lexicon load: {t1 - t0:.2f} s (prior: {lex.prior_source}, {len(lex.diagnoses)} dx concepts, "
          f"{len(lex.procedures)} procedure concepts)")
    print(f"generated {len(eps)} episodes in {t2 - t1:.2f} s: {len(eps) / (t2 - t1):.0f} episodes/s, "
          f"{words / (t2 - t1):.0f} words/s")


if __name__ == "__main__":
    main()
