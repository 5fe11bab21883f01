// The ANN index on a real model's vectors: build time and memory (parallel
// build), save/load time, and recall@10 against the exact scan with queries/s
// at one thread over real user vectors, for a sweep of ef, both plain top-10
// and top-10 with the user's training items excluded (what serving asks).
// Exports the vectors, queries and exact lists as .npy for bench/ann_vs_peers.py.
//
// usage: bench_ann MODEL OUT_DIR [N_QUERIES=2000] [BUILD_THREADS=2] [EFS=10,16,32,64,128,256,512,1024,2048]
// prints a table on stderr and one JSON object on stdout.
//        bench_ann MODEL OUT_DIR load [RUNS=5]
// times loading OUT_DIR/items.hnsw (written by a full run) against the model's vectors.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "models/factorization/bpr.h"
#include "models/factorization/factor_model.h"
#include "models/factorization/ials.h"
#include "models/hybrid/hybrid.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "serve/ann_index.h"
#include "util/thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Process CPU seconds (all threads): on a shared, loaded machine the wall time
// of a step is inflated by waiting for a core, its CPU time is not.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::strtol(line.c_str() + key.size(), nullptr, 10);
  return -1;
}

// A NumPy .npy file (format 1.0, C order) of a rows × cols array.
void write_npy(const std::string& path, const char* dtype, std::size_t rows, std::size_t cols, const void* data,
               std::size_t item_bytes) {
  std::string header = "{'descr': '" + std::string(dtype) + "', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const auto len = static_cast<std::uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xFF));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(rows * cols * item_bytes));
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string field;
  while (std::getline(in, field, ',')) out.push_back(std::stoi(field));
  return out;
}

double recall(const std::vector<std::vector<segue::ScoredItem>>& found,
              const std::vector<std::vector<segue::ScoredItem>>& exact) {
  std::int64_t hits = 0, total = 0;
  for (std::size_t q = 0; q < exact.size(); ++q) {
    for (const auto& f : found[q])
      for (const auto& e : exact[q]) hits += f.item == e.item;
    total += static_cast<std::int64_t>(exact[q].size());
  }
  return total == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(total);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace segue;
  if (argc < 3) {
    std::cerr << "usage: bench_ann MODEL OUT_DIR [N_QUERIES] [BUILD_THREADS] [EFS]\n";
    return 2;
  }
  const std::string model_path = argv[1];
  const std::string out_dir = argv[2];
  const bool load_only = argc > 3 && std::string(argv[3]) == "load";
  const int n_queries_wanted = argc > 3 && !load_only ? std::stoi(argv[3]) : 2000;
  const int build_threads = argc > 4 ? std::stoi(argv[4]) : 2;
  const std::vector<int> efs = parse_list(argc > 5 ? argv[5] : "10,16,32,64,128,256,512,1024,2048");
  std::filesystem::create_directories(out_dir);
  use_single_threaded_blas();
  register_model(ials_info());
  register_model(bpr_info());
  register_model(hybrid_info());

  const auto model = Recommender::load(model_path);
  const auto vectors = item_vectors(*model);
  if (!vectors) {
    std::cerr << model_path << ": the model has no item vectors\n";
    return 1;
  }
  if (load_only) {
    const int runs = argc > 4 ? std::stoi(argv[4]) : 5;
    for (int run = 0; run < runs; ++run) {
      const auto start = Clock::now();
      const double cpu = cpu_seconds();
      const auto index = AnnIndex::load(out_dir + "/items.hnsw", *vectors);
      std::printf("load %.3f s wall, %.3f s CPU, %d items\n", seconds_since(start), cpu_seconds() - cpu,
                  index->n_items());
    }
    return 0;
  }
  std::cerr << "model " << model->params().to_string() << ": " << vectors->n_items << " items x " << vectors->dim
            << " dims, " << model->n_users() << " users; cpu " << bench::cpu_model() << "\n";

  // Build: the graph only (exact_share = 1, so the ef sweep below measures the
  // graph at every ef rather than switching to the exact scan).
  AnnOptions options;
  options.exact_share = 1.0;
  const long rss_before = status_kib("VmRSS");
  auto start = Clock::now();
  double cpu = cpu_seconds();
  std::unique_ptr<AnnIndex> index;
  {
    ThreadPool pool(build_threads);
    index = AnnIndex::build(*vectors, options, &pool);
  }
  const double build_s = seconds_since(start);
  const double build_cpu_s = cpu_seconds() - cpu;
  const long rss_after = status_kib("VmRSS");
  const std::string index_path = out_dir + "/items.hnsw";
  start = Clock::now();
  cpu = cpu_seconds();
  index->save(index_path);
  const double save_s = seconds_since(start);
  const double save_cpu_s = cpu_seconds() - cpu;
  start = Clock::now();
  cpu = cpu_seconds();
  index = AnnIndex::load(index_path, *vectors);
  const double load_s = seconds_since(start);
  const double load_cpu_s = cpu_seconds() - cpu;
  std::cerr << "build " << build_s << " s wall, " << build_cpu_s << " s CPU (" << build_threads
            << " threads), RSS +" << (rss_after - rss_before) / 1024.0 << " MiB, memory_bytes "
            << index->memory_bytes() / 1048576.0 << " MiB; save " << save_s << " s (" << save_cpu_s
            << " CPU), load " << load_s << " s (" << load_cpu_s << " CPU), file "
            << std::filesystem::file_size(index_path) / 1048576.0 << " MiB\n";

  // Queries: real users' vectors, spread over the user ids; exclusion = their training items.
  const std::int32_t n_users = model->n_users();
  const std::int32_t n_queries = std::min(n_queries_wanted, n_users);
  std::vector<std::int32_t> users;
  for (std::int32_t q = 0; q < n_queries; ++q)
    users.push_back(static_cast<std::int32_t>(static_cast<std::int64_t>(q) * n_users / n_queries));
  const auto dim = static_cast<std::size_t>(vectors->dim);
  std::vector<float> queries(users.size() * dim);
  double history_sum = 0;
  for (std::size_t q = 0; q < users.size(); ++q) {
    const auto v = user_vector(*model, users[q]);
    std::copy(v.begin(), v.end(), queries.begin() + static_cast<std::ptrdiff_t>(q * dim));
    history_sum += static_cast<double>(model->history().count(users[q]));
  }
  const auto query = [&](std::size_t q) { return std::span<const float>(queries.data() + q * dim, dim); };
  const auto history = [&](std::size_t q) { return model->history().row_indices(users[q]); };

  struct Row {
    std::string method;
    bool excluded;
    int ef;
    double recall, qps, qps_cpu;  // queries per wall second and per CPU second
  };
  std::vector<Row> rows;
  std::vector<std::vector<ScoredItem>> exact_plain(users.size()), exact_excl(users.size()), found(users.size());
  const auto nq = static_cast<double>(users.size());
  start = Clock::now();
  cpu = cpu_seconds();
  for (std::size_t q = 0; q < users.size(); ++q) exact_plain[q] = index->search_exact(query(q), 10);
  rows.push_back({"exact", false, 0, 1.0, nq / seconds_since(start), nq / (cpu_seconds() - cpu)});
  start = Clock::now();
  cpu = cpu_seconds();
  for (std::size_t q = 0; q < users.size(); ++q) exact_excl[q] = index->search_exact(query(q), 10, history(q));
  rows.push_back({"exact", true, 0, 1.0, nq / seconds_since(start), nq / (cpu_seconds() - cpu)});
  // The exact scan must be the model's own list.
  std::size_t model_mismatch = 0;
  for (std::size_t q = 0; q < users.size(); q += 10) model_mismatch += model->recommend(users[q], 10) != exact_excl[q];
  for (const int ef : efs) {
    index->set_ef_search(ef);
    for (const bool excl : {false, true}) {
      start = Clock::now();
      cpu = cpu_seconds();
      for (std::size_t q = 0; q < users.size(); ++q)
        found[q] = excl ? index->search(query(q), 10, history(q)) : index->search(query(q), 10);
      const double qps = nq / seconds_since(start);
      rows.push_back({"hnsw", excl, ef, recall(found, excl ? exact_excl : exact_plain), qps, nq / (cpu_seconds() - cpu)});
    }
  }

  std::cerr << "queries: " << users.size() << " users (mean history " << history_sum / static_cast<double>(users.size())
            << " items), k = 10, 1 thread; exact == model.recommend: " << (model_mismatch == 0 ? "yes" : "NO") << "\n";
  std::cerr << "| method | exclusion | ef | recall@10 | queries/s (wall) | queries per CPU s |\n|---|---|---|---|---|---|\n";
  for (const Row& r : rows)
    std::fprintf(stderr, "| %s | %s | %s | %.4f | %.0f | %.0f |\n", r.method.c_str(), r.excluded ? "history" : "none",
                 r.ef ? std::to_string(r.ef).c_str() : "-", r.recall, r.qps, r.qps_cpu);

  // Exports for the peers: vectors, queries, exact plain top-10.
  write_npy(out_dir + "/items.npy", "<f4", static_cast<std::size_t>(vectors->n_items), dim, vectors->data, 4);
  write_npy(out_dir + "/queries.npy", "<f4", users.size(), dim, queries.data(), 4);
  std::vector<std::int32_t> truth(users.size() * 10, -1);
  for (std::size_t q = 0; q < users.size(); ++q)
    for (std::size_t j = 0; j < exact_plain[q].size(); ++j) truth[q * 10 + j] = exact_plain[q][j].item;
  write_npy(out_dir + "/truth.npy", "<i4", users.size(), 10, truth.data(), 4);

  std::printf("{\"items\": %d, \"dim\": %d, \"queries\": %zu, \"mean_history\": %.2f, \"build_threads\": %d, "
              "\"build_s\": %.3f, \"build_cpu_s\": %.3f, \"save_cpu_s\": %.3f, \"load_cpu_s\": %.3f, \"build_rss_mib\": %.1f, \"memory_mib\": %.1f, \"save_s\": %.3f, \"load_s\": %.3f, "
              "\"file_mib\": %.1f, \"exact_equals_model\": %s, \"rows\": [",
              vectors->n_items, vectors->dim, users.size(), history_sum / static_cast<double>(users.size()),
              build_threads, build_s, build_cpu_s, save_cpu_s, load_cpu_s, (rss_after - rss_before) / 1024.0, index->memory_bytes() / 1048576.0, save_s,
              load_s, std::filesystem::file_size(index_path) / 1048576.0, model_mismatch == 0 ? "true" : "false");
  for (std::size_t r = 0; r < rows.size(); ++r)
    std::printf("%s{\"method\": \"%s\", \"exclusion\": %s, \"ef\": %d, \"recall\": %.4f, \"qps\": %.1f, \"qps_cpu\": %.1f}",
                r ? ", " : "", rows[r].method.c_str(), rows[r].excluded ? "true" : "false", rows[r].ef,
                rows[r].recall, rows[r].qps, rows[r].qps_cpu);
  std::printf("]}\n");
  return 0;
}
