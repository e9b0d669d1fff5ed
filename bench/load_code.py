"""Load test of POST /v1/code: start the service in a subprocess (uvicorn), fire N requests from a few
concurrent workers with httpx, print p50/p95 latency and throughput.

    .venv/bin/python bench/load_code.py                       # fake pipeline (measures the service only)
    .venv/bin/python bench/load_code.py --model PATH_OR_URI   # a real bundle or models:/autocoder@champion
    .venv/bin/python bench/load_code.py --model PATH -n 200 -c 4

Letters: synthetic episodes from training.synth (seed 7) when available, else a few built-in letters.
The server runs in its own process so the client's threads do not share its GIL; its review store is a
temporary SQLite file. Numbers are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

KEY = "bench-key"
SAMPLE = [
    ("Discharge summary\nDiagnosis: infective exacerbation of COPD. Hypertension. Type 2 diabetes.\n"
     "Treated with nebulisers, prednisolone and antibiotics. Non-invasive ventilation for 2 days.\n"),
    ("Presented with chest pain. Troponin raised. NSTEMI. Coronary angiography showed LAD stenosis.\n"
     "Background: atrial fibrillation on apixaban, hypertension.\n"),
    "Admitted with community acquired pneumonia. CURB-65 of 2. IV co-amoxiclav. Past history of asthma.\n",
]


class _FakePipeline:
    """Constant-time stand-in: the bench then measures HTTP, validation and the review store only."""

    model_version, config_hash = "bench-fake@1", "bench"

    def predict(self, episodes, top_k=0):
        from autocoder.schemas import CodeSuggestion, CodingResult, Evidence

        out = []
        for ep in episodes:
            i = max(ep.text.lower().find("copd"), 0)
            s = CodeSuggestion(code="J44.1", display="J44.1", title="COPD with acute exacerbation", score=0.9,
                               primary=True, evidence=[Evidence(start=i, end=i + 4, text=ep.text[i:i + 4])])
            out.append(CodingResult(id=ep.id, model_version=self.model_version, diagnoses=[s], confidence=0.9,
                                    needs_review=False))
        return out


def _serve(args: argparse.Namespace) -> None:
    """Child process: the real app with the real or the fake pipeline."""
    import logging

    import uvicorn

    from autocoder.serve.app import create_app
    from autocoder.serve.settings import ServeSettings

    logging.basicConfig(level=logging.WARNING)
    settings = ServeSettings(host="127.0.0.1", port=args.port, model=args.model, database_url=args.db,
                             api_keys={KEY: "coder:bench"}, log_level="WARNING",
                             predict_concurrency=args.predict_concurrency, micro_batch_max=args.micro_batch)
    app = create_app(settings, pipeline=None if args.model else _FakePipeline())
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def _letters(n: int) -> list[dict]:
    try:
        from training.synth import generate_episodes

        eps = generate_episodes(max(n, 1), seed=7, forms="test")
        return [{"id": f"BENCH-{i}", "text": e.text, "sex": e.sex, "age": e.age} for i, e in enumerate(eps[:n])]
    except Exception as exc:  # noqa: BLE001 - the bench still runs on the built-in letters
        print(f"(synthetic letters unavailable: {exc.__class__.__name__}; using {len(SAMPLE)} built-in ones)",
              file=sys.stderr)
        return [{"id": f"BENCH-{i}", "text": SAMPLE[i % len(SAMPLE)]} for i in range(n)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))
    return xs[k]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="bundle path or models:/...; default: the fake pipeline")
    ap.add_argument("-n", "--requests", type=int, default=200)
    ap.add_argument("-c", "--concurrency", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--predict-concurrency", type=int, default=1)
    ap.add_argument("--micro-batch", type=int, default=0, help="micro_batch_max setting (0 = off)")
    ap.add_argument("--ready-timeout", type=float, default=600)
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    ap.add_argument("--_serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--db", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._serve:
        _serve(args)
        return

    import httpx

    tmp = tempfile.mkdtemp(prefix="autocoder-bench-")
    port = _free_port()
    cmd = [sys.executable, __file__, "--_serve", "--port", str(port), "--db", f"sqlite:///{tmp}/review.db",
           "--predict-concurrency", str(args.predict_concurrency), "--micro-batch", str(args.micro_batch)]
    if args.model:
        cmd += ["--model", args.model]
    env = {**os.environ, "AUTOCODER_HOME": os.environ.get("AUTOCODER_HOME", tmp), "HF_HUB_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen(cmd, env=env, cwd=str(REPO))
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        with httpx.Client(base_url=base, timeout=5) as c:
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"server exited with status {proc.returncode}")
                try:
                    if c.get("/health/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - t0 > args.ready_timeout:
                    raise SystemExit("server not ready in time")
                time.sleep(0.2)
            ready_s = time.perf_counter() - t0
            model_version = c.get("/health/ready").json().get("model_version")
        letters = _letters(args.requests + args.warmup)
        headers = {"X-API-Key": KEY}
        with httpx.Client(base_url=base, timeout=300, headers=headers) as c:
            for ep in letters[:args.warmup]:
                c.post("/v1/code", json=ep).raise_for_status()

        work = letters[args.warmup:]
        lat: list[float] = []
        errors = 0

        def worker(chunk: list[dict]) -> tuple[list[float], int]:
            out, bad = [], 0
            with httpx.Client(base_url=base, timeout=300, headers=headers) as cl:
                for ep in chunk:
                    t = time.perf_counter()
                    r = cl.post("/v1/code", json=ep)
                    out.append(time.perf_counter() - t)
                    bad += r.status_code != 200
            return out, bad

        chunks = [work[i::args.concurrency] for i in range(args.concurrency)]
        t_start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            for out, bad in pool.map(worker, chunks):
                lat.extend(out)
                errors += bad
        wall = time.perf_counter() - t_start
        chars = statistics.mean(len(e["text"]) for e in work)
        res = {"pipeline": args.model or "fake", "micro_batch": args.micro_batch, "model_version": model_version,
               "requests": len(lat),
               "concurrency": args.concurrency, "errors": errors, "p50_ms": round(_pct(lat, 0.5) * 1000, 1),
               "p95_ms": round(_pct(lat, 0.95) * 1000, 1), "mean_ms": round(statistics.mean(lat) * 1000, 1),
               "throughput_rps": round(len(lat) / wall, 2), "wall_s": round(wall, 2),
               "ready_s": round(ready_s, 1), "mean_letter_chars": round(chars)}
        if args.json:
            print(json.dumps(res))
        else:
            print(f"POST /v1/code  pipeline={res['pipeline']} ({model_version})  n={res['requests']} "
                  f"concurrency={args.concurrency}  micro_batch={args.micro_batch}  errors={errors}")
            print(f"  latency p50 {res['p50_ms']} ms  p95 {res['p95_ms']} ms  mean {res['mean_ms']} ms")
            print(f"  throughput {res['throughput_rps']} req/s over {res['wall_s']} s "
                  f"(letters ~{res['mean_letter_chars']} chars; server ready after {res['ready_s']} s)")
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
