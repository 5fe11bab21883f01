// Metrics: what `GET /metrics` reports, in the Prometheus text format —
// requests and errors by endpoint, a latency histogram per endpoint, events
// stored, and gauges the service sets (model, index, uptime). Lock-free on the
// request path: every endpoint's counters are fixed at start-up.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace segue {

class Metrics {
 public:
  // Upper bounds of the latency buckets, in seconds (plus +Inf).
  static constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  0.5,   1.0,   5.0};

  // `endpoints`: the route names ("recommendations", "events", ...); "other"
  // is added for requests that match none.
  explicit Metrics(std::vector<std::string> endpoints);

  // Index of a route name (the "other" index when unknown).
  std::size_t endpoint(const std::string& name) const;
  void observe(std::size_t endpoint, int status, double seconds);
  void count_handler_exception() { handler_exceptions_.fetch_add(1, std::memory_order_relaxed); }
  void add_events_stored(std::int64_t n) { events_stored_.fetch_add(n, std::memory_order_relaxed); }
  void add_unknown_items(std::int64_t n) { unknown_items_.fetch_add(n, std::memory_order_relaxed); }
  void add_reload(bool ok) { (ok ? reloads_ : reload_failures_).fetch_add(1, std::memory_order_relaxed); }

  // Gauges and labels the service sets (model name/spec/checksum, ann ef, ...):
  // one line each, written as given after "# TYPE name gauge".
  void set_info(const std::string& name, const std::string& labels, double value);

  // The whole exposition, Prometheus text format 0.0.4.
  std::string render() const;

 private:
  struct Endpoint {
    std::string name;
    std::atomic<std::int64_t> by_class[6] = {};  // 1xx..5xx by status / 100, [0] unused
    std::atomic<std::int64_t> buckets[kBuckets.size() + 1] = {};
    std::atomic<std::int64_t> count{0};
    std::atomic<std::uint64_t> micros{0};  // sum of latencies, microseconds
  };
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<std::int64_t> handler_exceptions_{0}, events_stored_{0}, unknown_items_{0}, reloads_{0},
      reload_failures_{0};
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  mutable std::mutex info_mutex_;
  std::vector<std::pair<std::string, std::pair<std::string, double>>> info_;  // name -> (labels, value)
};

}  // namespace segue
