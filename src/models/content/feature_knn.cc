#include "models/content/feature_knn.h"

#include <algorithm>
#include <cmath>

#include "data/error.h"
#include "features/feature_matrix.h"
#include "models/knn/similarity.h"
#include "io/model_file.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_feature_knn(const ModelSpec& spec) { return std::make_unique<FeatureKnn>(spec); }

// Per-thread scratch: feature activations and the features touched.
struct Scratch {
  std::vector<float> activation;
  std::vector<std::int32_t> touched;
  void prepare(std::int32_t n) {
    if (activation.size() != static_cast<std::size_t>(n)) activation.assign(static_cast<std::size_t>(n), 0.0f);
  }
  void add(std::int32_t f, float x) {
    if (activation[static_cast<std::size_t>(f)] == 0.0f) touched.push_back(f);
    activation[static_cast<std::size_t>(f)] += x;
    if (activation[static_cast<std::size_t>(f)] == 0.0f) activation[static_cast<std::size_t>(f)] = 1e-30f;  // stay touched
  }
  void reset() {
    for (const std::int32_t f : touched) activation[static_cast<std::size_t>(f)] = 0.0f;
    touched.clear();
  }
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

void put_rows(ModelWriter& out, const std::string& name, const SparseRows& rows) {
  const std::vector<std::int64_t> shape{rows.n_rows, rows.n_cols};
  out.put(name + ".shape", shape);
  out.put(name + ".indptr", rows.indptr);
  out.put(name + ".indices", rows.indices);
  out.put(name + ".values", rows.values);
}

SparseRows get_rows(const ModelReader& in, const std::string& name) {
  SparseRows rows;
  const std::vector<std::int64_t> shape = in.get<std::int64_t>(name + ".shape", 2);
  if (shape[0] < 0 || shape[1] < 0 || shape[0] > INT32_MAX || shape[1] > INT32_MAX) in.fail(name + ".shape", "bad dimensions");
  rows.n_rows = static_cast<std::int32_t>(shape[0]);
  rows.n_cols = static_cast<std::int32_t>(shape[1]);
  rows.indptr = in.get<std::int64_t>(name + ".indptr", static_cast<std::uint64_t>(rows.n_rows) + 1);
  rows.indices = in.get<std::int32_t>(name + ".indices");
  rows.values = in.get<float>(name + ".values");
  try {
    rows.validate(name);
  } catch (const std::invalid_argument& error) {
    in.fail(name, error.what());
  }
  return rows;
}

}  // namespace

namespace feature_knn_detail {

std::string auto_group(const FeatureMatrix& m) {
  // Items carrying a feature of the group, and those carrying one that another item carries too.
  const std::vector<std::string> order = {"artist", "album", "genre", "tag"};
  std::vector<std::int32_t> carriers(static_cast<std::size_t>(m.n_features), 0);
  for (const std::int32_t f : m.indices) ++carriers[static_cast<std::size_t>(f)];
  std::string first_present;
  for (const std::string& name : order) {
    const auto it = std::find(m.groups.begin(), m.groups.end(), name);
    if (it == m.groups.end()) continue;
    if (first_present.empty()) first_present = name;
    const auto g = static_cast<std::int16_t>(it - m.groups.begin());
    std::int64_t featured = 0, shared = 0;
    for (std::int32_t i = 0; i < m.n_rows; ++i) {
      bool has = false, linked = false;
      for (const std::int32_t f : m.row_indices(i))
        if (m.group_of[static_cast<std::size_t>(f)] == g) {
          has = true;
          linked = linked || carriers[static_cast<std::size_t>(f)] >= 2;
        }
      featured += has ? 1 : 0;
      shared += linked ? 1 : 0;
    }
    if (featured > 0 && 2 * shared >= featured) return name;
  }
  return first_present.empty() ? "auto" : first_present;
}

}  // namespace feature_knn_detail

ModelInfo feature_knn_info() {
  return ModelInfo{
      "featureknn",
      "collaborative similarity between item features (e.g. artists) over listeners; scores items nobody played "
      "by their features' neighbours (needs --items)",
      {string_param("group", "auto",
                    "feature group whose features are linked (artist, tag, genre, ...); auto: the first of artist, "
                    "album, genre, tag whose features items share"),
       int_param("k", -1, -1, 100000,
                 "neighbours kept per feature (0 = own features only); -1: 2000 when the group's items carry about "
                 "one feature each (artist, album), 0 when they carry several (tags)"),
       float_param("shrink", 0.0, 0.0, 1e6, "added to the cosine's denominator"),
       float_param("self_weight", 1.5, 0.0, 1e6, "weight of the user's own features"),
       string_param("history_weight", "binary", "binary | log: a history item counts 1 or log1p(signal)")},
      &make_feature_knn,
      "k=0:400,shrink=0:200,self_weight=0:10,history_weight=binary|log"};
}

FeatureKnn::FeatureKnn(const ModelSpec& spec)
    : Recommender(spec),
      group_(spec.get_string("group")),
      self_weight_(static_cast<float>(spec.get_float("self_weight"))) {
  const std::string& hw = spec.get_string("history_weight");
  if (hw != "binary" && hw != "log")
    throw UsageError("model 'featureknn': parameter 'history_weight': unknown value '" + hw + "' (known: binary, log)");
  log_weights_ = hw == "log";
}

void FeatureKnn::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  if (context.item_features == nullptr) throw UsageError("featureknn needs item features (--items ITEMS.csv)");
  const FeatureMatrix& m = *context.item_features;
  if (m.n_rows != train.n_items)
    throw UsageError("model 'featureknn': the item features have " + std::to_string(m.n_rows) + " rows for " +
                     std::to_string(train.n_items) + " items");
  group_ = params().get_string("group");
  if (group_ == "auto") group_ = feature_knn_detail::auto_group(m);
  const auto group = std::find(m.groups.begin(), m.groups.end(), group_);
  if (group == m.groups.end()) {
    std::string known;
    for (const std::string& g : m.groups) known += (known.empty() ? "" : ", ") + g;
    throw UsageError("model 'featureknn': parameter 'group': the item features have no group '" + group_ +
                     "' (they have: " + (known.empty() ? "none" : known) + ")" +
                     (params().get_string("group") == "auto" ? "; auto looks for artist, album, genre or tag" : ""));
  }
  const auto g = static_cast<std::int16_t>(group - m.groups.begin());
  // The group's features, renumbered 0..n-1, as a binary items × features matrix.
  std::vector<std::int32_t> column(static_cast<std::size_t>(m.n_features), -1);
  feature_names_.clear();
  for (std::int32_t f = 0; f < m.n_features; ++f)
    if (m.group_of[static_cast<std::size_t>(f)] == g) {
      column[static_cast<std::size_t>(f)] = static_cast<std::int32_t>(feature_names_.size());
      feature_names_.push_back(m.names[static_cast<std::size_t>(f)]);
    }
  const auto n_features = static_cast<std::int32_t>(feature_names_.size());
  item_features_ = SparseRows{};
  item_features_.n_rows = m.n_rows;
  item_features_.n_cols = n_features;
  for (std::int32_t i = 0; i < m.n_rows; ++i) {
    for (const std::int32_t f : m.row_indices(i))
      if (column[static_cast<std::size_t>(f)] >= 0) {
        item_features_.indices.push_back(column[static_cast<std::size_t>(f)]);
        item_features_.values.push_back(1.0f);
      }
    item_features_.indptr.push_back(static_cast<std::int64_t>(item_features_.indices.size()));
  }
  // Users × features: how many of the user's items carry each feature.
  SparseRows by_user;
  by_user.n_rows = train.n_users;
  by_user.n_cols = n_features;
  Scratch& s = scratch();
  s.prepare(n_features);
  for (std::int32_t u = 0; u < train.n_users; ++u) {
    for (const std::int32_t i : train.items_of(u))
      for (const std::int32_t f : item_features_.row_indices(i)) s.add(f, 1.0f);
    std::sort(s.touched.begin(), s.touched.end());
    for (const std::int32_t f : s.touched) {
      by_user.indices.push_back(f);
      by_user.values.push_back(s.activation[static_cast<std::size_t>(f)]);
    }
    by_user.indptr.push_back(static_cast<std::int64_t>(by_user.indices.size()));
    s.reset();
  }
  std::int64_t k = params().get_int("k");
  if (k < 0) {  // about one feature per featured item: link widely; several: their own features carry the signal
    std::int64_t featured = 0;
    for (std::int32_t i = 0; i < item_features_.n_rows; ++i) featured += item_features_.row_indices(i).empty() ? 0 : 1;
    const double per_item = featured > 0 ? static_cast<double>(item_features_.indices.size()) / static_cast<double>(featured) : 0.0;
    k = per_item <= 1.5 ? 2000 : 0;
  }
  set_fit_stat("k", static_cast<double>(k));
  if (k == 0) {
    similarity_ = SparseRows::empty(n_features, n_features);
  } else {
    knn::SimilarityParams sim;
    sim.k = static_cast<std::int32_t>(k);
    sim.shrink = params().get_float("shrink");
    similarity_ = knn::similarity_top_k(by_user.transpose(), by_user, sim, context.pool);
  }
}

void FeatureKnn::score_profile(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  Scratch& s = scratch();
  s.prepare(similarity_.n_rows);
  // p(g), then a(f) = self · p(f) + Σ_g p(g) S(g, f).
  thread_local std::vector<std::pair<std::int32_t, float>> profile;  // the user's features (reused)
  profile.clear();
  for (std::size_t j = 0; j < items.size(); ++j) {
    const float signal = weights.empty() ? 1.0f : weights[j];
    if (!(signal > 0.0f)) continue;
    const float w = log_weights_ ? std::log1p(signal) : 1.0f;
    for (const std::int32_t g : item_features_.row_indices(items[j])) profile.emplace_back(g, w);
  }
  for (const auto& [g, w] : profile) {
    if (self_weight_ > 0.0f) s.add(g, self_weight_ * w);
    const auto neighbours = similarity_.row_indices(g);
    const auto sims = similarity_.row_values(g);
    for (std::size_t n = 0; n < neighbours.size(); ++n) s.add(neighbours[n], w * sims[n]);
  }
  for (std::int32_t i = 0; i < item_features_.n_rows; ++i) {
    float score = 0.0f;
    for (const std::int32_t f : item_features_.row_indices(i)) score += s.activation[static_cast<std::size_t>(f)];
    out[i] = score;
  }
  s.reset();
}

void FeatureKnn::score_users(std::span<const std::int32_t> users, float* out) const {
  for (std::size_t r = 0; r < users.size(); ++r)
    score_profile(history().row_indices(users[r]), history().row_values(users[r]),
                  out + r * static_cast<std::size_t>(n_items()));
}

void FeatureKnn::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  for (const std::int32_t item : items) check_item(item, "items");
  score_profile(items, weights, out);
}

Explanation FeatureKnn::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Explanation why;
  why.user = user;
  why.item = item;
  const auto features = item_features_.row_indices(item);
  if (features.empty()) {
    why.note = "the item has no '" + group_ + "' feature";
    return why;
  }
  // Each history item's part: its features' links to the item's features.
  std::vector<std::pair<float, std::int32_t>> parts;
  float total = 0.0f;
  for (const std::int32_t j : history().row_indices(user)) {
    float part = 0.0f;
    for (const std::int32_t g : item_features_.row_indices(j)) {
      for (const std::int32_t f : features) {
        if (g == f) part += self_weight_;
        const auto neighbours = similarity_.row_indices(g);
        const auto it = std::lower_bound(neighbours.begin(), neighbours.end(), f);
        if (it != neighbours.end() && *it == f) part += similarity_.row_values(g)[static_cast<std::size_t>(it - neighbours.begin())];
      }
    }
    if (part > 0.0f) parts.emplace_back(part, j);
    total += part;
  }
  why.score = total;
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  for (const auto& [part, j] : parts) why.contributions.push_back({j, part / total});
  why.note = "linked through " + group_ + ": " + feature_names_[static_cast<std::size_t>(features[0])];
  return why;
}

void FeatureKnn::save_model(ModelWriter& out) const {
  out.put_strings("featureknn.group", {group_});  // the group fit used (auto resolved)
  put_rows(out, "featureknn.item_features", item_features_);
  put_rows(out, "featureknn.similarity", similarity_);
  out.put_strings("featureknn.names", feature_names_);
}

void FeatureKnn::load_model(const ModelReader& in) {
  if (in.has("featureknn.group.offsets")) {  // files written before group=auto keep the spec's group
    const std::vector<std::string> group = in.get_strings("featureknn.group");
    if (group.size() != 1) in.fail("featureknn.group", "expected one name");
    group_ = group[0];
  }
  item_features_ = get_rows(in, "featureknn.item_features");
  similarity_ = get_rows(in, "featureknn.similarity");
  if (item_features_.n_rows != n_items() || similarity_.n_rows != item_features_.n_cols ||
      similarity_.n_cols != item_features_.n_cols)
    in.fail("featureknn.similarity", "shapes do not match the items and features");
  feature_names_ = in.get_strings("featureknn.names");
  if (feature_names_.size() != static_cast<std::size_t>(item_features_.n_cols)) in.fail("featureknn.names", "count differs");
}

}  // namespace segue

SEGUE_REGISTER_MODEL(featureknn, ::segue::feature_knn_info())
