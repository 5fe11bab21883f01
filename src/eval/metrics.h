// Ranking metrics over binary relevance, one value per user, and the metric
// registry that parses names with their cut-off ("ndcg@10"), as in xgboost.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace segue {

// One user's ranked list (best first; may be shorter than k, e.g. a small
// catalogue) and held-out relevant items (sorted ascending, unique).
struct UserRanking {
  std::span<const std::int32_t> ranked;
  std::span<const std::int32_t> relevant;
};

// Exact definitions (ranks from 1; only the first k of `ranked` count; hits are
// ranked items in `relevant`). With no relevant items every metric is 0 — the
// evaluator never asks, it skips such users and counts them.
//   precision@k = hits / k            (k even when fewer items are ranked)
//   recall@k    = hits / |rel|
//   hit@k       = 1 if any hit, else 0
//   mrr@k       = 1 / rank of the first hit, else 0
//   map@k       = (1 / min(|rel|, k)) · Σ_{i<=k} precision@i · [item i relevant]
//   ndcg@k      = Σ_{i<=k} [rel_i] / log2(i + 1), divided by the same sum for
//                 min(|rel|, k) hits at the top
double precision_at_k(const UserRanking& user, std::int32_t k);
double recall_at_k(const UserRanking& user, std::int32_t k);
double hit_at_k(const UserRanking& user, std::int32_t k);
double mrr_at_k(const UserRanking& user, std::int32_t k);
double map_at_k(const UserRanking& user, std::int32_t k);
double ndcg_at_k(const UserRanking& user, std::int32_t k);

// A metric family: per-user (a function of one UserRanking) or catalogue-wide
// (computed by the evaluator over all lists, e.g. coverage@k = distinct items in
// the top-k lists / n_items).
using PerUserMetric = double (*)(const UserRanking& user, std::int32_t k);

struct MetricFamily {
  std::string name;  // "ndcg"
  std::string doc;   // one line for --help
  PerUserMetric per_user = nullptr;  // null = catalogue-wide, computed by the evaluator
};

// A metric with its cut-off, parsed from "ndcg@10".
struct Metric {
  std::string name;  // canonical: "ndcg@10"
  const MetricFamily* family = nullptr;
  std::int32_t k = 0;

  bool per_user() const { return family->per_user != nullptr; }
  double value(const UserRanking& user) const { return family->per_user(user, k); }
};

// Built-ins: precision, recall, ndcg, map, mrr, hit (per user), coverage
// (catalogue). Registering a name twice is a std::logic_error.
void register_metric_family(MetricFamily family);
std::vector<const MetricFamily*> list_metric_families();

// "ndcg@10" (k >= 1 required; case-sensitive names). UsageError names the
// metric: unknown family (listing the known ones), missing or bad cut-off.
Metric parse_metric(std::string_view text);
// A comma-separated list: "ndcg@10,recall@20".
std::vector<Metric> parse_metrics(std::string_view list);

}  // namespace segue
