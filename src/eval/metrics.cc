#include "eval/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>

#include "data/error.h"
#include "eval/beyond_accuracy.h"

namespace segue {
namespace {

bool is_relevant(const UserRanking& user, std::int32_t item) {
  return std::binary_search(user.relevant.begin(), user.relevant.end(), item);
}

std::int32_t depth(const UserRanking& user, std::int32_t k) {
  return std::min<std::int32_t>(k, static_cast<std::int32_t>(user.ranked.size()));
}

std::int32_t hits_at_k(const UserRanking& user, std::int32_t k) {
  std::int32_t hits = 0;
  for (std::int32_t i = 0; i < depth(user, k); ++i) hits += is_relevant(user, user.ranked[i]) ? 1 : 0;
  return hits;
}

// Σ_{i=1..n} 1/log2(i+1): the DCG of n hits at the top.
double ideal_dcg(std::int64_t n) {
  double sum = 0;
  for (std::int64_t i = 1; i <= n; ++i) sum += 1.0 / std::log2(static_cast<double>(i) + 1.0);
  return sum;
}

struct Families {
  std::mutex mutex;
  std::map<std::string, MetricFamily, std::less<>> by_name;
  Families() {
    const MetricFamily builtins[] = {
        {"precision", "hits in the top k / k", &precision_at_k},
        {"recall", "hits in the top k / number of relevant items", &recall_at_k},
        {"ndcg", "discounted cumulative gain of the top k / the ideal one (binary relevance)", &ndcg_at_k},
        {"map", "average precision at the ranks of the hits, / min(relevant, k)", &map_at_k},
        {"mrr", "1 / rank of the first hit in the top k, 0 if none", &mrr_at_k},
        {"hit", "1 if the top k holds a relevant item", &hit_at_k},
        {"coverage", "distinct items in all users' top k / catalogue size (one value, not per user)", nullptr},
        {"f1", "harmonic mean of precision@k and recall@k", &f1_at_k},
        {"recall_min", "hits in the top k / min(relevant, k) (the truncated recall of some libraries)", &recall_min_at_k},
        {"rprecision", "hits in the top min(relevant, k) / relevant (R-precision when k >= relevant)", &rprecision_at_k},
        {"clicks", "RecSys Challenge 2018 recommended-songs clicks: pages of 10 before the first hit (lower is better)",
         &clicks_at_k, kNeedsNothing, true},
        {"gndcg", "NDCG with graded gains 2^w - 1 from the test weights", &graded_ndcg_at_k, kNeedsWeights},
        {"gini", "Gini index of item exposure over all top-k lists (0 = even, 1 = one item; not per user)", nullptr},
        {"novelty", "mean self-information -log2(popularity / training users) of the top k", &novelty_at_k,
         kNeedsPopularity},
        {"arp", "average recommendation popularity: mean training users per item in the top k", &arp_at_k,
         kNeedsPopularity},
        {"ild", "intra-list diversity: mean pairwise cosine distance of item features in the top k", &ild_at_k,
         kNeedsFeatures},
        {"unexpectedness", "share of the top k not in the user's popularity top k", &unexpectedness_at_k,
         kNeedsPopularity | kNeedsBaseline},
    };
    for (const MetricFamily& family : builtins) by_name.emplace(family.name, family);
  }
};

Families& families() {
  static Families instance;
  return instance;
}

}  // namespace

double precision_at_k(const UserRanking& user, std::int32_t k) {
  if (k <= 0 || user.relevant.empty()) return 0.0;
  return static_cast<double>(hits_at_k(user, k)) / k;
}

double recall_at_k(const UserRanking& user, std::int32_t k) {
  if (k <= 0 || user.relevant.empty()) return 0.0;
  return static_cast<double>(hits_at_k(user, k)) / static_cast<double>(user.relevant.size());
}

double hit_at_k(const UserRanking& user, std::int32_t k) {
  if (user.relevant.empty()) return 0.0;
  return hits_at_k(user, k) > 0 ? 1.0 : 0.0;
}

double mrr_at_k(const UserRanking& user, std::int32_t k) {
  if (user.relevant.empty()) return 0.0;
  for (std::int32_t i = 0; i < depth(user, k); ++i)
    if (is_relevant(user, user.ranked[i])) return 1.0 / (i + 1);
  return 0.0;
}

double map_at_k(const UserRanking& user, std::int32_t k) {
  if (k <= 0 || user.relevant.empty()) return 0.0;
  double sum = 0;
  std::int32_t hits = 0;
  for (std::int32_t i = 0; i < depth(user, k); ++i) {
    if (!is_relevant(user, user.ranked[i])) continue;
    ++hits;
    sum += static_cast<double>(hits) / (i + 1);  // precision@(i+1) at a hit
  }
  return sum / static_cast<double>(std::min<std::int64_t>(static_cast<std::int64_t>(user.relevant.size()), k));
}

double ndcg_at_k(const UserRanking& user, std::int32_t k) {
  if (k <= 0 || user.relevant.empty()) return 0.0;
  double dcg = 0;
  for (std::int32_t i = 0; i < depth(user, k); ++i)
    if (is_relevant(user, user.ranked[i])) dcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  return dcg / ideal_dcg(std::min<std::int64_t>(static_cast<std::int64_t>(user.relevant.size()), k));
}

double f1_at_k(const UserRanking& user, std::int32_t k) {
  const double p = precision_at_k(user, k);
  const double r = recall_at_k(user, k);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double recall_min_at_k(const UserRanking& user, std::int32_t k) {
  if (k <= 0 || user.relevant.empty()) return 0.0;
  return static_cast<double>(hits_at_k(user, k)) /
         static_cast<double>(std::min<std::int64_t>(static_cast<std::int64_t>(user.relevant.size()), k));
}

double rprecision_at_k(const UserRanking& user, std::int32_t k) {
  if (k <= 0 || user.relevant.empty()) return 0.0;
  const auto r = static_cast<std::int32_t>(std::min<std::int64_t>(static_cast<std::int64_t>(user.relevant.size()), k));
  return static_cast<double>(hits_at_k(user, r)) / static_cast<double>(user.relevant.size());
}

double clicks_at_k(const UserRanking& user, std::int32_t k) {
  if (k <= 0) return 0.0;
  const double miss = std::floor(static_cast<double>(k) / 10.0) + 1.0;  // 51 at k = 500, as the challenge scores it
  if (user.relevant.empty()) return miss;
  for (std::int32_t i = 0; i < depth(user, k); ++i)
    if (is_relevant(user, user.ranked[i])) return std::floor(static_cast<double>(i) / 10.0);
  return miss;
}

double graded_ndcg_at_k(const UserRanking& user, std::int32_t k) {
  if (k <= 0 || user.relevant.empty()) return 0.0;
  const bool graded = user.weights.size() == user.relevant.size();
  auto gain = [&](std::size_t index) {
    const double w = graded ? std::min<double>(user.weights[index], kMaxGradedWeight) : 1.0;
    return std::exp2(w) - 1.0;
  };
  double dcg = 0;
  for (std::int32_t i = 0; i < depth(user, k); ++i) {
    const auto found = std::lower_bound(user.relevant.begin(), user.relevant.end(), user.ranked[i]);
    if (found == user.relevant.end() || *found != user.ranked[i]) continue;
    dcg += gain(static_cast<std::size_t>(found - user.relevant.begin())) / std::log2(static_cast<double>(i) + 2.0);
  }
  // Ideal: the largest gains first. Reused per thread: no allocation per user.
  thread_local std::vector<double> gains;
  gains.resize(user.relevant.size());
  for (std::size_t j = 0; j < gains.size(); ++j) gains[j] = gain(j);
  const auto top = static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(gains.size()), k));
  std::partial_sort(gains.begin(), gains.begin() + static_cast<std::ptrdiff_t>(top), gains.end(), std::greater<>());
  double ideal = 0;
  for (std::size_t i = 0; i < top; ++i) ideal += gains[i] / std::log2(static_cast<double>(i) + 2.0);
  return ideal > 0 ? dcg / ideal : 0.0;
}

void register_metric_family(MetricFamily family) {
  Families& all = families();
  std::lock_guard<std::mutex> lock(all.mutex);
  if (all.by_name.count(family.name) != 0)
    throw std::logic_error("two metrics registered under the name '" + family.name + "'");
  std::string name = family.name;
  all.by_name.emplace(std::move(name), std::move(family));
}

std::vector<const MetricFamily*> list_metric_families() {
  Families& all = families();
  std::lock_guard<std::mutex> lock(all.mutex);
  std::vector<const MetricFamily*> out;
  for (const auto& [name, family] : all.by_name) out.push_back(&family);
  return out;
}

Metric parse_metric(std::string_view text) {
  const std::size_t at = text.find('@');
  const std::string_view family_name = text.substr(0, at);
  const MetricFamily* family = nullptr;
  {
    Families& all = families();
    std::lock_guard<std::mutex> lock(all.mutex);
    const auto found = all.by_name.find(family_name);
    if (found != all.by_name.end()) family = &found->second;
  }
  if (family == nullptr) {
    std::string known;
    for (const MetricFamily* f : list_metric_families()) known += (known.empty() ? "" : ", ") + f->name;
    throw UsageError("metric '" + std::string(text) + "': unknown metric '" + std::string(family_name) +
                     "' (known: " + known + ")");
  }
  if (at == std::string_view::npos)
    throw UsageError("metric '" + std::string(text) + "': missing the cut-off, e.g. " + family->name + "@10");
  const std::string_view digits = text.substr(at + 1);
  std::int32_t k = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || k < 1)
    throw UsageError("metric '" + std::string(text) + "': the cut-off must be an integer >= 1, got '" +
                     std::string(digits) + "'");
  return Metric{family->name + "@" + std::to_string(k), family, k};
}

std::vector<Metric> parse_metrics(std::string_view list) {
  std::vector<Metric> out;
  while (true) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.push_back(parse_metric(item));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  if (out.empty()) throw UsageError("metrics: the list is empty");
  return out;
}

}  // namespace segue
