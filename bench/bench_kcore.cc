// Times kcore() on a synthetic log with power-law item popularity (default:
// 10M events, 200k users, 500k items, k = 5/5) and checks the result holds.
//   bench_kcore [events] [users] [items] [k] [repeats]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "data/filters.h"

namespace {

using segue::Dataset;

// Users get a skewed number of events (a few heavy listeners), items are drawn
// from a Zipf(1.0) law by inverse CDF, as in real listening logs.
Dataset synthetic(std::int64_t events, std::int32_t users, std::int32_t items, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> cdf(static_cast<std::size_t>(items));
  double total = 0;
  for (std::int32_t i = 0; i < items; ++i) cdf[i] = total += 1.0 / (i + 1.0);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };

  std::vector<double> activity(static_cast<std::size_t>(users));
  double activity_total = 0;
  for (auto& a : activity) activity_total += a = std::exp(1.5 * uniform() * 3.0);  // log-uniform spread
  Dataset d;
  auto& x = d.interactions;
  x.n_users = users;
  x.n_items = items;
  x.indptr.assign(1, 0);
  x.items.reserve(static_cast<std::size_t>(events));
  std::int64_t assigned = 0;
  for (std::int32_t u = 0; u < users; ++u) {
    const std::int64_t n = u + 1 == users ? events - assigned
                                          : std::min<std::int64_t>(events - assigned, std::llround(events * activity[u] / activity_total));
    for (std::int64_t k = 0; k < n; ++k) {
      const double r = uniform() * total;
      x.items.push_back(static_cast<std::int32_t>(std::lower_bound(cdf.begin(), cdf.end(), r) - cdf.begin()));
    }
    assigned += n;
    x.indptr.push_back(assigned);
  }
  d.users.reserve(static_cast<std::size_t>(users));
  d.items.reserve(static_cast<std::size_t>(items));
  for (std::int32_t u = 0; u < users; ++u) d.users.intern("user" + std::to_string(u));
  for (std::int32_t i = 0; i < items; ++i) d.items.intern("item" + std::to_string(i));
  return d;
}

// Every surviving user has >= k distinct items and every item >= k distinct users.
bool holds(const Dataset& d, int k) {
  const auto& x = d.interactions;
  std::vector<std::int32_t> last(static_cast<std::size_t>(x.n_items), -1), item_users(static_cast<std::size_t>(x.n_items), 0);
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    int distinct = 0;
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      if (last[x.items[e]] == u) continue;
      last[x.items[e]] = u;
      ++distinct;
      ++item_users[x.items[e]];
    }
    if (distinct < k) return false;
  }
  return std::all_of(item_users.begin(), item_users.end(), [&](std::int32_t n) { return n >= k; });
}

// CPU time of this thread: on a shared machine wall time also counts waiting
// for a core, so both are printed.
double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t events = argc > 1 ? std::atoll(argv[1]) : 10'000'000;
  const std::int32_t users = argc > 2 ? std::atoi(argv[2]) : 200'000;
  const std::int32_t items = argc > 3 ? std::atoi(argv[3]) : 500'000;
  const int k = argc > 4 ? std::atoi(argv[4]) : 5;
  const int repeats = argc > 5 ? std::atoi(argv[5]) : 3;
  if (events <= 0 || users <= 0 || items <= 0 || k < 0 || repeats <= 0) {
    std::fprintf(stderr, "usage: %s [events>0] [users>0] [items>0] [k>=0] [repeats>0]\n", argv[0]);
    return 2;
  }
  std::string command;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) command += ' ';
    command += argv[i];
  }
  std::printf("command: %s\n", command.c_str());
  std::printf("machine: nproc=%u, cpu=%s (kcore is single-threaded)\n", std::thread::hardware_concurrency(),
              segue::bench::cpu_model().c_str());

  const Dataset data = synthetic(events, users, items, 42);
  std::printf("before: synthetic Zipf(1.0) items, %lld events, %d users, %d items\n",
              static_cast<long long>(data.interactions.size()), data.n_users(), data.n_items());

  double best = 1e300, best_cpu = 1e300;
  Dataset core;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = thread_cpu_seconds();
    core = segue::kcore(data, k, k);
    const double cpu = thread_cpu_seconds() - cpu_start;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, seconds);
    best_cpu = std::min(best_cpu, cpu);
    std::printf("run %d: kcore(%d, %d) %.3f s wall, %.3f s cpu\n", r + 1, k, k, seconds, cpu);
  }
  const bool ok = holds(core, k);
  std::printf("after: %lld events, %d users, %d items; core property %s\n",
              static_cast<long long>(core.interactions.size()), core.n_users(), core.n_items(), ok ? "holds" : "VIOLATED");
  std::printf("best: %.3f s wall (%.1f M events/s), %.3f s cpu\n", best, static_cast<double>(events) / best / 1e6,
              best_cpu);
  return ok ? 0 : 1;
}
