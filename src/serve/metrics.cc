#include "serve/metrics.h"

#include <cstdio>
#include <memory>

namespace segue {

Metrics::Metrics(std::vector<std::string> endpoints) {
  endpoints.push_back("other");
  for (std::string& name : endpoints) {
    endpoints_.push_back(std::make_unique<Endpoint>());
    endpoints_.back()->name = std::move(name);
  }
}

std::size_t Metrics::endpoint(const std::string& name) const {
  for (std::size_t e = 0; e < endpoints_.size(); ++e)
    if (endpoints_[e]->name == name) return e;
  return endpoints_.size() - 1;
}

void Metrics::observe(std::size_t endpoint, int status, double seconds) {
  Endpoint& e = *endpoints_[std::min(endpoint, endpoints_.size() - 1)];
  const int cls = status / 100;
  if (cls >= 1 && cls <= 5) e.by_class[cls].fetch_add(1, std::memory_order_relaxed);
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  e.buckets[b].fetch_add(1, std::memory_order_relaxed);
  e.count.fetch_add(1, std::memory_order_relaxed);
  e.micros.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::set_info(const std::string& name, const std::string& labels, double value) {
  std::lock_guard<std::mutex> lock(info_mutex_);
  for (auto& entry : info_)
    if (entry.first == name) {
      entry.second = {labels, value};
      return;
    }
  info_.push_back({name, {labels, value}});
}

std::string Metrics::render() const {
  std::string out;
  char line[512];
  const auto add = [&](const char* format, auto... args) {
    std::snprintf(line, sizeof line, format, args...);
    out += line;
  };
  out += "# HELP segue_requests_total HTTP requests by endpoint and status class.\n# TYPE segue_requests_total counter\n";
  static const char* kClasses[] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (const auto& e : endpoints_)
    for (int c = 1; c <= 5; ++c)
      add("segue_requests_total{endpoint=\"%s\",code=\"%s\"} %lld\n", e->name.c_str(), kClasses[c],
          static_cast<long long>(e->by_class[c].load(std::memory_order_relaxed)));
  out += "# HELP segue_request_errors_total Requests answered with a 4xx or 5xx status.\n"
         "# TYPE segue_request_errors_total counter\n";
  for (const auto& e : endpoints_)
    add("segue_request_errors_total{endpoint=\"%s\"} %lld\n", e->name.c_str(),
        static_cast<long long>(e->by_class[4].load(std::memory_order_relaxed) +
                               e->by_class[5].load(std::memory_order_relaxed)));
  out += "# HELP segue_request_duration_seconds Time from request parsed to response ready.\n"
         "# TYPE segue_request_duration_seconds histogram\n";
  for (const auto& e : endpoints_) {
    long long cumulative = 0;
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += e->buckets[b].load(std::memory_order_relaxed);
      if (b < kBuckets.size())
        add("segue_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %lld\n", e->name.c_str(), kBuckets[b],
            cumulative);
      else
        add("segue_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %lld\n", e->name.c_str(), cumulative);
    }
    add("segue_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n", e->name.c_str(),
        static_cast<double>(e->micros.load(std::memory_order_relaxed)) * 1e-6);
    add("segue_request_duration_seconds_count{endpoint=\"%s\"} %lld\n", e->name.c_str(),
        static_cast<long long>(e->count.load(std::memory_order_relaxed)));
  }
  const auto counter = [&](const char* name, const char* help, const std::atomic<std::int64_t>& value) {
    add("# HELP %s %s\n# TYPE %s counter\n%s %lld\n", name, help, name, name,
        static_cast<long long>(value.load(std::memory_order_relaxed)));
  };
  counter("segue_handler_exceptions_total", "Handler exceptions turned into 500 answers.", handler_exceptions_);
  counter("segue_events_stored_total", "Events acknowledged (durably stored) since start.", events_stored_);
  counter("segue_unknown_items_total", "Received events whose item the model does not know (kept for the next retrain).",
          unknown_items_);
  counter("segue_reloads_total", "Successful model reloads.", reloads_);
  counter("segue_reload_failures_total", "Failed model reloads (the old model kept serving).", reload_failures_);
  add("# HELP segue_uptime_seconds Seconds since the service started.\n# TYPE segue_uptime_seconds gauge\n"
      "segue_uptime_seconds %.3f\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  std::lock_guard<std::mutex> lock(info_mutex_);
  for (const auto& [name, entry] : info_) {
    out += "# TYPE " + name + " gauge\n" + name + (entry.first.empty() ? "" : "{" + entry.first + "}");
    add(" %.17g\n", entry.second);
  }
  return out;
}

}  // namespace segue
