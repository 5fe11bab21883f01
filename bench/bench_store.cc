// Times load_dataset on a synthetic 1M-interaction store (50k users, 100k items,
// weights, timestamps), or on an existing store, with the memory the loaded
// dataset holds (anonymous = copied; file = mapped in place, shared with the
// page cache). Usage: bench_store [interactions] [runs] | bench_store STORE_DIR [runs]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "data/dataset_builder.h"
#include "data/store.h"

namespace {

namespace fs = std::filesystem;

// On a shared machine the load average explains a slow run.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one.empty() ? "unknown" : one + " " + five;
}

segue::Dataset synthetic(std::int64_t interactions, std::int32_t users, std::int32_t items) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int32_t> user(0, users - 1);
  // Skewed item popularity, as in real listening data.
  std::geometric_distribution<std::int32_t> item(20.0 / items);
  std::uniform_real_distribution<float> weight(1.0f, 50.0f);
  std::uniform_int_distribution<std::int64_t> time(1'100'000'000, 1'700'000'000);
  segue::DatasetBuilder builder;
  for (std::int32_t u = 0; u < users; ++u) builder.user("user_" + std::to_string(u));
  for (std::int32_t i = 0; i < items; ++i) builder.item("spotify:track:" + std::to_string(1'000'000'000 + i));
  for (std::int64_t e = 0; e < interactions; ++e)
    builder.add({.user = user(rng), .item = std::min(item(rng), items - 1), .weight = weight(rng), .time = time(rng)});
  return builder.finish("synthetic: bench_store");
}

// Resident memory of this process by kind, in MB (RssAnon, RssFile of /proc/self/status).
double rss_mb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  return 0;
}

std::uintmax_t bytes_on_disk(const fs::path& dir) {
  std::uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir)) total += entry.file_size();
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  const bool existing = argc > 1 && fs::is_directory(argv[1]);
  const std::int64_t interactions = argc > 1 && !existing ? std::stoll(argv[1]) : 1'000'000;
  const int runs = std::max(1, argc > 2 ? std::stoi(argv[2]) : 10);
  std::string command;
  for (int i = 0; i < argc; ++i) command.append(i ? " " : "").append(argv[i]);
  std::printf("command: %s\n", command.c_str());
  std::printf("machine: %u threads (nproc), %s, load average %s\n", std::thread::hardware_concurrency(),
              segue::bench::cpu_model().c_str(), load_average().c_str());

  segue::Dataset dataset;  // the synthetic one; empty for an existing store
  fs::path dir;
  if (existing) {
    dir = argv[1];
  } else {
    dataset = synthetic(interactions, 50'000, 100'000);
    dir = fs::temp_directory_path() / ("segue-bench-store-" + std::to_string(std::random_device{}()));
    segue::save_dataset(dataset, dir.string());
  }
  std::printf("store: %.1f MB on disk in %s\n", static_cast<double>(bytes_on_disk(dir)) / 1e6, dir.c_str());
  const double anon_before = rss_mb("RssAnon");
  const double file_before = rss_mb("RssFile");

  // CPU time beside wall time: on a shared machine it is the steadier figure.
  std::vector<double> ms;
  std::vector<double> cpu_ms;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    const segue::Dataset loaded = segue::load_dataset(dir.string());
    cpu_ms.push_back(1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (!existing && loaded.interactions.size() != dataset.interactions.size()) {
      std::fprintf(stderr, "loaded %lld interactions, expected %lld\n",
                   static_cast<long long>(loaded.interactions.size()),
                   static_cast<long long>(dataset.interactions.size()));
      return 1;
    }
    if (run == 0)
      std::printf("data: %lld interactions, %d users, %d items\n", static_cast<long long>(loaded.interactions.size()),
                  loaded.n_users(), loaded.n_items());
    if (run == runs - 1)
      std::printf("memory held by the loaded dataset: %.0f MB anonymous (copied), %.0f MB file-backed (mapped)\n",
                  rss_mb("RssAnon") - anon_before, rss_mb("RssFile") - file_before);
  }
  if (!existing) fs::remove_all(dir);
  auto median = [](std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    const std::size_t mid = v.size() / 2;
    return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  };
  const double wall_median = median(ms);
  const double cpu_median = median(cpu_ms);
  std::printf("load_dataset over %d runs (warm page cache): min %.1f ms, median %.1f ms", runs, ms.front(),
              wall_median);
  std::printf(" (CPU time: min %.1f ms, median %.1f ms)\n", cpu_ms.front(), cpu_median);
  return 0;
}
