// Times the hybrid model's epochs on a train CSV (user_id,item_id,...) and an
// items CSV (item_id,tags with '|'-separated tags), until `segue train` reads
// --items. The feature matrix is built the simple way: one feature per tag
// (value 1), items = train items then items only in the items file (cold).
//
// usage: bench_hybrid TRAIN.csv ITEMS.csv [SPEC] [THREADS] [TEST.csv [cold]]
// prints one JSON line: fit seconds, per-epoch seconds, sizes, and with
// TEST.csv a quick NDCG@10 (binary relevance, full ranking, training items
// excluded; a sanity check, not segue eval's ruler); `cold` ranks only the
// items without training interactions (the cold-items protocol's candidates).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_util.h"
#include "features/feature_matrix.h"
#include "models/hybrid/hybrid.h"
#include "models/registry.h"
#include "util/thread_pool.h"

namespace {

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == sep && !quoted) {
      out.push_back(field);
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  out.push_back(field);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace segue;
  if (argc < 3) {
    std::cerr << "usage: bench_hybrid TRAIN.csv ITEMS.csv [SPEC] [THREADS]\n";
    return 2;
  }
  const std::string spec = argc > 3 ? argv[3] : "hybrid:epochs=5";
  const int threads = argc > 4 ? std::stoi(argv[4]) : 2;

  std::unordered_map<std::string, std::int32_t> users, items;
  std::vector<FeedbackEntry> entries;
  {
    std::ifstream in(argv[1]);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto f = split(line, ',');
      const auto u = users.emplace(f[0], static_cast<std::int32_t>(users.size())).first->second;
      const auto i = items.emplace(f[1], static_cast<std::int32_t>(items.size())).first->second;
      entries.push_back({u, i, f.size() > 2 && !f[2].empty() ? std::stof(f[2]) : 1.0f});
    }
  }
  const auto warm_items = static_cast<std::int32_t>(items.size());
  std::map<std::int32_t, std::vector<std::int32_t>> item_tags;
  std::unordered_map<std::string, std::int32_t> tag_ids;
  std::vector<std::string> names;
  {
    std::ifstream in(argv[2]);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto f = split(line, ',');
      const auto i = items.emplace(f[0], static_cast<std::int32_t>(items.size())).first->second;
      if (f.size() < 2) continue;
      std::vector<std::int32_t>& tags = item_tags[i];
      for (const std::string& tag : split(f[1], '|')) {
        if (tag.empty()) continue;
        const auto [it, added] = tag_ids.emplace(tag, static_cast<std::int32_t>(tag_ids.size()));
        if (added) names.push_back("tag=" + tag);
        tags.push_back(it->second);
      }
      std::sort(tags.begin(), tags.end());
      tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
    }
  }
  const auto n_items = static_cast<std::int32_t>(items.size());
  FeatureMatrix features;
  features.n_rows = n_items;
  features.n_features = static_cast<std::int32_t>(tag_ids.size());
  features.names = names;
  features.group_of.assign(names.size(), 0);
  features.groups = {"tag"};
  features.described.assign(static_cast<std::size_t>(n_items), 0);
  for (std::int32_t i = 0; i < n_items; ++i) {
    const auto found = item_tags.find(i);
    if (found != item_tags.end()) {
      features.described[i] = 1;
      for (std::int32_t t : found->second) {
        features.indices.push_back(t);
        features.values.push_back(1.0f);
      }
    }
    features.indptr.push_back(static_cast<std::int64_t>(features.indices.size()));
  }
  features.validate();
  const FeedbackMatrix train = build_feedback(static_cast<std::int32_t>(users.size()), n_items, entries);

  register_model(hybrid_info());
  auto model = make_recommender(spec);
  ThreadPool pool(threads);
  FitContext context;
  context.pool = &pool;
  context.item_features = &features;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto last = start;
  std::vector<double> epochs;
  context.progress = [&](const FitProgress& p) {
    if (p.stage != "epoch") return;
    const auto now = Clock::now();
    epochs.push_back(std::chrono::duration<double>(now - last).count());
    last = now;
  };
  model->fit(train, context);
  const double fit = std::chrono::duration<double>(Clock::now() - start).count();
  double ndcg = -1;
  if (argc > 5) {
    std::map<std::int32_t, std::vector<std::int32_t>> relevant;
    std::ifstream in(argv[5]);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto f = split(line, ',');
      const auto u = users.find(f[0]);
      const auto i = items.find(f[1]);
      if (u != users.end() && i != items.end()) relevant[u->second].push_back(i->second);
    }
    const bool cold = argc > 6 && std::string(argv[6]) == "cold";
    std::vector<char> candidate(static_cast<std::size_t>(n_items), 1);
    if (cold)
      for (std::int32_t i : train.indices) candidate[i] = 0;
    std::vector<float> row(static_cast<std::size_t>(n_items));
    double total = 0;
    for (const auto& [u, rel] : relevant) {
      model->score_users(std::span<const std::int32_t>(&u, 1), row.data());
      for (std::int32_t i : train.items_of(u)) row[i] = -INFINITY;
      for (std::int32_t i = 0; i < n_items; ++i)
        if (!candidate[i]) row[i] = -INFINITY;
      std::vector<std::int32_t> ids(static_cast<std::size_t>(n_items));
      for (std::int32_t i = 0; i < n_items; ++i) ids[i] = i;
      const std::size_t k = std::min<std::size_t>(10, ids.size());
      std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                        [&](std::int32_t a, std::int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
      std::vector<ScoredItem> top;
      for (std::size_t r = 0; r < k; ++r)
        if (row[ids[r]] > -INFINITY) top.push_back({ids[r], row[ids[r]]});
      double dcg = 0, ideal = 0;
      for (std::size_t r = 0; r < top.size(); ++r)
        if (std::find(rel.begin(), rel.end(), top[r].item) != rel.end()) dcg += 1.0 / std::log2(r + 2.0);
      for (std::size_t r = 0; r < std::min<std::size_t>(10, rel.size()); ++r) ideal += 1.0 / std::log2(r + 2.0);
      total += dcg / ideal;
    }
    ndcg = relevant.empty() ? 0 : total / static_cast<double>(relevant.size());
  }
  std::vector<double> sorted = epochs;
  std::sort(sorted.begin(), sorted.end());
  std::ostringstream out;
  out << "{\"spec\": \"" << model->params().to_string() << "\", \"threads\": " << threads
      << ", \"users\": " << train.n_users << ", \"items\": " << n_items << ", \"warm_items\": " << warm_items
      << ", \"positives\": " << train.nnz() << ", \"tags\": " << features.n_features
      << ", \"feature_nnz\": " << features.nnz() << ", \"fit_s\": " << fit
      << ", \"ndcg_at_10\": " << ndcg << ", \"epoch_median_s\": " << (sorted.empty() ? 0.0 : sorted[sorted.size() / 2]) << ", \"epochs_s\": [";
  for (std::size_t e = 0; e < epochs.size(); ++e) out << (e ? ", " : "") << epochs[e];
  out << "], \"cpu\": \"" << bench::cpu_model() << "\"}";
  std::cout << out.str() << std::endl;
  return 0;
}
