// Ranking metrics (binary and graded relevance, beyond-accuracy), one value per
// user, and the metric registry that parses names with their cut-off ("ndcg@10").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace segue {

struct ItemContext;

// Marks a list slot holding an item the training data does not know (a recs
// file may name one): never relevant, skipped by the item-statistics metrics.
inline constexpr std::int32_t kUnknownItem = -1;

// One user's ranked list (best first; may be shorter than k, e.g. a small
// catalogue) and held-out relevant items (sorted ascending, unique).
struct UserRanking {
  std::span<const std::int32_t> ranked;
  std::span<const std::int32_t> relevant;
  // Graded relevance: the test weight w of each relevant item (aligned with
  // `relevant`); empty = binary (every relevant item has w = 1).
  std::span<const float> weights = {};
  // Item statistics for the beyond-accuracy metrics (eval/beyond_accuracy.h)
  // and the popularity baseline list of this user (for unexpectedness).
  const ItemContext* items = nullptr;
  std::span<const std::int32_t> baseline = {};
};

// Exact definitions (ranks from 1; only the first k of `ranked` count; hits are
// ranked items in `relevant`). With no relevant items every metric is 0 (clicks:
// its no-hit value) — the evaluator never asks, it skips such users and counts them.
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
//   f1@k        = 2·P·R / (P + R) of precision@k and recall@k, 0 when both are 0
//   rprecision@k = hits in the top min(|rel|, k) / |rel|: R-precision (R = |rel|)
//                 when k >= |rel|; with a shorter list the missing ranks are misses
//   clicks@k    = floor((rank of the first hit - 1) / 10); with no hit in the top k,
//                 floor(k / 10) + 1 (51 at k = 500, the RecSys Challenge 2018
//                 "recommended songs clicks" value). Lower is better.
//   gndcg@k     = Σ_{i<=k} (2^w_i - 1) / log2(i + 1), divided by the same sum
//                 over the min(|rel|, k) largest gains; w is the test weight,
//                 capped at kMaxGradedWeight so the gain stays finite
//   recall_min@k = hits / min(|rel|, k) (the "truncated" recall some libraries report)
double f1_at_k(const UserRanking& user, std::int32_t k);
double rprecision_at_k(const UserRanking& user, std::int32_t k);
double clicks_at_k(const UserRanking& user, std::int32_t k);
double graded_ndcg_at_k(const UserRanking& user, std::int32_t k);
double recall_min_at_k(const UserRanking& user, std::int32_t k);
inline constexpr double kMaxGradedWeight = 32.0;

// A metric family: per-user (a function of one UserRanking) or catalogue-wide
// (computed by the evaluator over all lists, e.g. coverage@k = distinct items in
// the top-k lists / n_items). A per-user metric returns NaN where it is
// undefined for the user (e.g. diversity of a list with < 2 featured items):
// the evaluator leaves such users out of the mean and counts them.
using PerUserMetric = double (*)(const UserRanking& user, std::int32_t k);

// What a metric needs besides the lists (bit mask); the evaluator provides it
// or fails with a UsageError naming the metric.
enum MetricNeeds : unsigned {
  kNeedsNothing = 0,
  kNeedsPopularity = 1,  // UserRanking::items with item popularity (always available from train)
  kNeedsBaseline = 2,    // UserRanking::baseline: the user's popularity top-k
  kNeedsFeatures = 4,    // item feature vectors (EvalOptions::item_features)
  kNeedsWeights = 8,     // UserRanking::weights (graded relevance)
};

struct MetricFamily {
  std::string name;  // "ndcg"
  std::string doc;   // one line for --help
  PerUserMetric per_user = nullptr;  // null = catalogue-wide, computed by the evaluator
  unsigned needs = kNeedsNothing;
  bool lower_is_better = false;  // clicks
};

// A metric with its cut-off, parsed from "ndcg@10".
struct Metric {
  std::string name;  // canonical: "ndcg@10"
  const MetricFamily* family = nullptr;
  std::int32_t k = 0;

  bool per_user() const { return family->per_user != nullptr; }
  double value(const UserRanking& user) const { return family->per_user(user, k); }
};

// Built-ins: precision, recall, recall_min, f1, ndcg, gndcg, map, mrr, hit,
// rprecision, clicks, and the beyond-accuracy novelty, arp, ild, unexpectedness
// (per user), coverage and gini (catalogue). Registering a name twice is a std::logic_error.
void register_metric_family(MetricFamily family);
std::vector<const MetricFamily*> list_metric_families();

// "ndcg@10" (k >= 1 required; case-sensitive names). UsageError names the
// metric: unknown family (listing the known ones), missing or bad cut-off.
Metric parse_metric(std::string_view text);
// A comma-separated list: "ndcg@10,recall@20".
std::vector<Metric> parse_metrics(std::string_view list);

}  // namespace segue
