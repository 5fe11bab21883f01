#!/usr/bin/python3
"""segue's ANN index side by side with Debian's python3-hnswlib (0.6.2) and
python3-faiss (1.7.3: IndexHNSWFlat and IndexIVFFlat, inner product) on the
same item vectors and the same queries, in one run: index build time and
memory (build at BUILD_THREADS threads), then recall@10 against the exact
top-10 and queries/s at one thread for a sweep of ef (nprobe for IVF).

segue's figures come from bench_ann (run first; it writes the vectors, the
queries — real user vectors of the model — and the exact lists as .npy into
OUT_DIR). The peers search the whole query batch per call (their C++ loops
over it); segue's bench calls search() once per query.

usage: bench/ann_vs_peers.py BENCH_ANN MODEL OUT_DIR [N_QUERIES] [BUILD_THREADS]
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

EFS = [10, 16, 32, 64, 128, 256, 512, 1024, 2048]
NPROBES = [1, 2, 4, 8, 16, 32, 64]


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def recall(found, truth):
    hits = sum(len(set(f[f >= 0]) & set(t[t >= 0])) for f, t in zip(found, truth))
    return hits / float((truth >= 0).sum())


def timed_search(search, queries):
    """The result, queries per wall second and per CPU second (the process's:
    on a loaded machine the wall figure includes waiting for a core)."""
    start, cpu = time.perf_counter(), time.process_time()
    found = search(queries)
    return found, (len(queries) / (time.perf_counter() - start), len(queries) / (time.process_time() - cpu))


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    bench, model, out_dir = sys.argv[1:4]
    n_queries = sys.argv[4] if len(sys.argv) > 4 else "2000"
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    segue = json.loads(subprocess.run([bench, model, out_dir, n_queries, str(threads), ",".join(map(str, EFS))],
                                      check=True, stdout=subprocess.PIPE, text=True).stdout)
    items = np.load(os.path.join(out_dir, "items.npy"))
    queries = np.load(os.path.join(out_dir, "queries.npy"))
    truth = np.load(os.path.join(out_dir, "truth.npy"))
    n, d = items.shape
    builds = [("segue (hnswlib 0.6.2 in-process)", segue["build_s"], segue["build_cpu_s"], segue["build_rss_mib"])]
    rows = [("segue exact scan", "-", 1.0, (r["qps"], r["qps_cpu"])) for r in segue["rows"] if r["method"] == "exact" and not r["exclusion"]]
    rows += [("segue hnsw", r["ef"], r["recall"], (r["qps"], r["qps_cpu"])) for r in segue["rows"]
             if r["method"] == "hnsw" and not r["exclusion"]]
    excl_rows = [("segue " + ("hnsw" if r["method"] == "hnsw" else "exact scan") + ", history excluded", r["ef"] or "-",
                  r["recall"], (r["qps"], r["qps_cpu"])) for r in segue["rows"] if r["exclusion"]]

    import hnswlib
    before = rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    index = hnswlib.Index(space="ip", dim=d)
    index.init_index(max_elements=n, ef_construction=200, M=16, random_seed=42)
    index.set_num_threads(threads)
    index.add_items(items, np.arange(n))
    builds.append(("python3-hnswlib 0.6.2", time.perf_counter() - start, time.process_time() - cpu, rss_mib() - before))
    index.set_num_threads(1)
    for ef in EFS:
        index.set_ef(ef)
        (labels, _), qps = timed_search(lambda q: index.knn_query(q, k=10, num_threads=1), queries)
        rows.append(("python3-hnswlib", ef, recall(labels, truth), qps))
    del index

    import faiss
    faiss.omp_set_num_threads(threads)
    before = rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    hnsw = faiss.IndexHNSWFlat(d, 16, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 200
    hnsw.add(items)
    builds.append(("faiss 1.7.3 IndexHNSWFlat", time.perf_counter() - start, time.process_time() - cpu, rss_mib() - before))
    faiss.omp_set_num_threads(1)
    for ef in EFS:
        hnsw.hnsw.efSearch = ef
        (_, labels), qps = timed_search(lambda q: hnsw.search(q, 10), queries)
        rows.append(("faiss HNSWFlat", ef, recall(labels, truth), qps))
    del hnsw

    nlist = 1024
    faiss.omp_set_num_threads(threads)
    before = rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    quantizer = faiss.IndexFlatIP(d)
    ivf = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(items)
    ivf.add(items)
    builds.append((f"faiss 1.7.3 IndexIVFFlat nlist={nlist}", time.perf_counter() - start, time.process_time() - cpu, rss_mib() - before))
    faiss.omp_set_num_threads(1)
    for nprobe in NPROBES:
        ivf.nprobe = nprobe
        (_, labels), qps = timed_search(lambda q: ivf.search(q, 10), queries)
        rows.append((f"faiss IVFFlat nlist={nlist}", f"nprobe {nprobe}", recall(labels, truth), qps))
    flat = faiss.IndexFlatIP(d)
    flat.add(items)
    (_, labels), qps = timed_search(lambda q: flat.search(q, 10), queries)
    rows.append(("faiss IndexFlatIP (exact, batch BLAS)", "-", recall(labels, truth), qps))

    print(f"{n} items x {d} dims, {len(queries)} queries (real user vectors), k = 10; "
          f"mean history {segue['mean_history']:.1f}; segue exact == model.recommend: {segue['exact_equals_model']}")
    print(f"segue index: memory {segue['memory_mib']:.1f} MiB (counted), file {segue['file_mib']:.1f} MiB, "
          f"save {segue['save_s']:.2f} s ({segue['save_cpu_s']:.2f} CPU), load {segue['load_s']:.2f} s ({segue['load_cpu_s']:.2f} CPU)")
    print(f"\n| index (build at {threads} threads) | build s (wall) | build CPU s | RSS growth MiB |\n|---|---|---|---|")
    for name, seconds, cpu, mib in builds:
        print(f"| {name} | {seconds:.2f} | {cpu:.2f} | {mib:.0f} |")
    print("\n| search (1 thread, no exclusion) | ef | recall@10 | queries/s (wall) | queries per CPU s |\n|---|---|---|---|---|")
    for name, ef, r, (qps, qps_cpu) in rows:
        print(f"| {name} | {ef} | {r:.4f} | {qps:,.0f} | {qps_cpu:,.0f} |")
    print("\n| search (1 thread, user's training items excluded) | ef | recall@10 | queries/s (wall) | queries per CPU s |\n|---|---|---|---|---|")
    for name, ef, r, (qps, qps_cpu) in excl_rows:
        print(f"| {name} | {ef} | {r:.4f} | {qps:,.0f} | {qps_cpu:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
