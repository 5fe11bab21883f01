// Import throughput: a synthetic listening log through the generic CSV
// importer (target >= 2M lines/s on one core), and optionally real data sets
// given on the command line as FORMAT=PATH (e.g. mpd=../shared/data/mpd-subset).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "bench_util.h"
#include "data/importer.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// user_id,item_id,weight,timestamp with Zipf-like item popularity. Grouped:
// each user's events in a run, as real logs come (by user, or by user and time);
// shuffled: every line a random user, the worst case for id lookups.
void write_log(const std::string& path, long lines, bool grouped) {
  std::mt19937_64 rng(7);
  std::ofstream out(path);
  out << "user_id,item_id,weight,timestamp\n";
  std::string buffer;
  char line[128];
  unsigned user = 0;
  long run_left = 0;
  for (long i = 0; i < lines; ++i) {
    if (!grouped) {
      user = static_cast<unsigned>(rng() % 200000);
    } else if (run_left-- <= 0) {
      user = static_cast<unsigned>(rng() % 200000);
      run_left = static_cast<long>(1 + rng() % 49);
    }
    const double u = static_cast<double>(rng() >> 11) / 9007199254740992.0;
    const unsigned item = static_cast<unsigned>(500000 * u * u * u);
    const int n = std::snprintf(line, sizeof line, "user_%u,spotify:track:%022u,%u,%ld\n", user, item,
                                static_cast<unsigned>(1 + rng() % 50), 1500000000L + static_cast<long>(rng() % 100000000));
    buffer.append(line, static_cast<std::size_t>(n));
    if (buffer.size() > (1 << 20)) {
      out << buffer;
      buffer.clear();
    }
  }
  out << buffer;
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("command: ");
  for (int i = 0; i < argc; ++i) std::printf("%s ", argv[i]);
  std::printf("\nmachine: %u hardware threads, %s (the importer is single-threaded)\n",
              std::thread::hardware_concurrency(), segue::bench::cpu_model().c_str());

  const long lines = 5000000;
  const std::string path = (std::filesystem::temp_directory_path() / "segue-bench-import.csv").string();
  segue::ImportOptions options;
  options.columns.weight = "weight";
  options.columns.time = "timestamp";
  for (const bool grouped : {true, false}) {
    write_log(path, lines, grouped);
    const auto bytes = std::filesystem::file_size(path);
    double best = 1e9;
    for (int run = 0; run < 3; ++run) {
      segue::IssueLog issues;
      const auto start = Clock::now();
      const segue::Dataset d = segue::import_csv(path, options, issues);
      best = std::min(best, seconds_since(start));
      if (run == 0)
        std::printf("synthetic csv, %s: %ld lines, %.0f MB, %d users, %d items\n",
                    grouped ? "grouped by user (runs of 1-49 events)" : "shuffled (a random user every line)", lines,
                    static_cast<double>(bytes) / 1e6, d.n_users(), d.n_items());
    }
    std::printf("  csv import (user,item,weight,timestamp): best of 3 %.3f s = %.2f M lines/s, %.0f MB/s\n", best,
                static_cast<double>(lines) / best / 1e6, static_cast<double>(bytes) / best / 1e6);
  }
  std::filesystem::remove(path);

  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    if (eq == std::string::npos) continue;
    const std::string format = arg.substr(0, eq), input = arg.substr(eq + 1);
    double best_real = 1e9;
    long long events = 0;
    for (int run = 0; run < 3; ++run) {
      segue::IssueLog issues;
      const auto start = Clock::now();
      const segue::Dataset d = segue::import_dataset(format, input, segue::ImportOptions{}, issues);
      best_real = std::min(best_real, seconds_since(start));
      events = d.interactions.size();
    }
    std::printf("%s import of %s: %lld events, best of 3 %.3f s\n", format.c_str(), input.c_str(), events, best_real);
  }
  return 0;
}
