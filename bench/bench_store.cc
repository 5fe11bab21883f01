// Times load_dataset on a synthetic 1M-interaction store (50k users, 100k items,
// weights, timestamps). Usage: bench_store [interactions] [runs]
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

std::uintmax_t bytes_on_disk(const fs::path& dir) {
  std::uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(dir)) total += entry.file_size();
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t interactions = argc > 1 ? std::stoll(argv[1]) : 1'000'000;
  const int runs = std::max(1, argc > 2 ? std::stoi(argv[2]) : 10);
  std::string command;
  for (int i = 0; i < argc; ++i) command.append(i ? " " : "").append(argv[i]);
  std::printf("command: %s\n", command.c_str());
  std::printf("machine: %u threads (nproc), %s, load average %s\n", std::thread::hardware_concurrency(),
              segue::bench::cpu_model().c_str(), load_average().c_str());

  const segue::Dataset dataset = synthetic(interactions, 50'000, 100'000);
  const fs::path dir = fs::temp_directory_path() / ("segue-bench-store-" + std::to_string(std::random_device{}()));
  segue::save_dataset(dataset, dir.string());
  std::printf("data: %lld interactions, %d users, %d items; %.1f MB on disk in %s\n",
              static_cast<long long>(dataset.interactions.size()), dataset.n_users(), dataset.n_items(),
              static_cast<double>(bytes_on_disk(dir)) / 1e6, dir.c_str());

  // CPU time beside wall time: on a shared machine it is the steadier figure.
  std::vector<double> ms;
  std::vector<double> cpu_ms;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    const segue::Dataset loaded = segue::load_dataset(dir.string());
    cpu_ms.push_back(1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (loaded.interactions.size() != dataset.interactions.size()) {
      std::fprintf(stderr, "loaded %lld interactions, expected %lld\n",
                   static_cast<long long>(loaded.interactions.size()),
                   static_cast<long long>(dataset.interactions.size()));
      return 1;
    }
  }
  fs::remove_all(dir);
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
