"""Full-pipeline throughput: episodes/s on N synthetic ~400-word letters, and peak memory.

    .venv/bin/python bench/throughput.py --n 200 [--model PATH|models:/autocoder@champion] [--words 400]

Why synthetic letters padded to a fixed length: throughput depends mostly on letter length (encoder
windows, spaCy tokens), so a fixed 400-word letter makes runs comparable across models and machines.
Prints load time, coding time, episodes/s and peak RSS (resource.getrusage ru_maxrss)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time


def letters(n: int, words: int, seed: int) -> list:
    from autocoder.schemas import Episode
    from training.synth import generate_episodes

    eps = list(generate_episodes(n + 20, seed=seed, forms="test"))
    out = []
    for i in range(n):
        ep = eps[i]
        text = ep.text
        j = i + 1
        while len(text.split()) < words:  # pad with other letters' text ("Further notes")
            text += "\n\nFurther notes:\n" + eps[j % len(eps)].text
            j += 1
        toks = text.split(" ")
        # trim to ~words words but keep the original letter whole
        if len(text.split()) > words and len(ep.text.split()) < words:
            keep, count = [], 0
            for t in toks:
                keep.append(t)
                count += len(t.split())
                if count >= words:
                    break
            text = " ".join(keep)
        out.append(Episode(id=f"BENCH-{i:05d}", text=text, sex=ep.sex, age=ep.age))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="number of letters")
    ap.add_argument("--words", type=int, default=400, help="approximate words per letter")
    ap.add_argument("--model", default=None, help="bundle dir or models:/autocoder@champion (default model)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=777)
    ap.add_argument("--quantize", action="store_true", help="int8 dynamic quantisation of the classifier encoder")
    args = ap.parse_args(argv)

    from autocoder.pipeline import CodingPipeline

    eps = letters(args.n, args.words, args.seed)
    mean_words = sum(len(e.text.split()) for e in eps) / len(eps)
    t0 = time.perf_counter()
    pipe = CodingPipeline.load(args.model)
    pipe.batch_size = args.batch_size
    if args.quantize and pipe.classifier is not None:
        pipe.classifier.cfg.quantize = True
    load_s = time.perf_counter() - t0
    pipe.predict(eps[:2])  # warm-up (lazy init, first-batch allocations)
    t1, c1 = time.perf_counter(), time.process_time()
    results = pipe.predict(eps)
    secs, cpu = time.perf_counter() - t1, time.process_time() - c1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    report = {"model_version": pipe.model_version, "n_episodes": len(results), "mean_words": round(mean_words, 1),
              "load_seconds": round(load_s, 2), "coding_seconds": round(secs, 2),
              "episodes_per_second": round(len(results) / secs, 2) if secs else None,
              "cpu_seconds": round(cpu, 2), "episodes_per_cpu_second": round(len(results) / cpu, 2) if cpu else None,
              "load_average_1min": round(os.getloadavg()[0], 2), "cpu_count": os.cpu_count(),
              "peak_rss_mb": round(peak_mb, 1), "batch_size": args.batch_size, "quantize": args.quantize}
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
