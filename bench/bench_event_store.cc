// Event ingestion: events/s acknowledged by EventStore::append (each call
// returns only after its commit) for synchronous=FULL and NORMAL, requests of
// 1 and 10 events, 1, 4 and 16 client threads calling at once (as the
// server's handler threads do). Anchor: Gorse inserts feedback in 11 ms per
// batch of 10.
//
//   bench_event_store [--dir /tmp] [--seconds 2]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "serve/event_store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  double events_per_s = 0;
  double requests_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  double events_per_commit = 0;
};

// A request as a listener's client would send it: ids like the data's own.
std::vector<segue::ReceivedEvent> make_request(int thread, int batch, std::mt19937& random) {
  std::vector<segue::ReceivedEvent> events(static_cast<std::size_t>(batch));
  for (auto& e : events) {
    e.user = "listener" + std::to_string(thread * 1000 + static_cast<int>(random() % 1000));
    e.item = "spotify:track:" + std::to_string(random());
    e.event = random() % 4 == 0 ? "skip" : "play";
    e.timestamp = 1765000000 + static_cast<std::int64_t>(random() % 100000);
    e.session = "session" + std::to_string(thread);
    e.context_json = R"({"device":"phone","hour":21})";
  }
  return events;
}

Result run(const std::string& path, segue::Durability durability, int batch, int threads, double seconds) {
  std::filesystem::remove(path);
  segue::EventStore store(path, durability);
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t + 1));
      while (Clock::now() < stop) {
        const auto request = make_request(t, batch, random);
        const auto sent = Clock::now();
        store.append(request);
        latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      }
    });
  }
  for (auto& client : clients) client.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const segue::EventStoreStats stats = store.stats();
  Result r;
  r.events_per_s = static_cast<double>(stats.appended) / elapsed;
  r.requests_per_s = static_cast<double>(all.size()) / elapsed;
  r.p50_ms = all.empty() ? 0 : all[all.size() / 2];
  r.p99_ms = all.empty() ? 0 : all[std::min(all.size() - 1, all.size() * 99 / 100)];
  r.events_per_commit = stats.transactions > 0 ? static_cast<double>(stats.appended) / stats.transactions : 0;
  return r;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp";
  double seconds = 2.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  const std::string path = (std::filesystem::path(dir) / "bench_event_store.sqlite").string();
  std::printf("# bench_event_store --dir %s --seconds %g\n", dir.c_str(), seconds);
  std::printf("# cpu: %s, %u threads; loadavg: %s\n", segue::bench::cpu_model().c_str(),
              std::thread::hardware_concurrency(), load_average().c_str());
  std::printf("# each append() returns after its COMMIT; latency = one call (one request)\n\n");
  std::printf("| synchronous | events/request | client threads | events/s acked | requests/s | p50 ms | p99 ms | events/commit |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto durability : {segue::Durability::kFull, segue::Durability::kNormal}) {
    for (const int batch : {1, 10}) {
      for (const int threads : {1, 4, 16}) {
        const Result r = run(path, durability, batch, threads, seconds);
        std::printf("| %s | %d | %d | %.0f | %.0f | %.3f | %.3f | %.1f |\n",
                    durability == segue::Durability::kFull ? "FULL" : "NORMAL", batch, threads, r.events_per_s,
                    r.requests_per_s, r.p50_ms, r.p99_ms, r.events_per_commit);
        std::fflush(stdout);
      }
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return 0;
}
