#include "models/content/content.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "data/error.h"
#include "io/model_file.h"
#include "models/partial_fit.h"
#include "models/scratch.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_content(const ModelSpec& spec) { return std::make_unique<ContentModel>(spec); }

constexpr std::size_t kExplainTop = 10;
// The groups of features/feature_matrix.h with a weight of their own; any
// other group takes w_other.
const std::vector<std::string>& weighted_groups() {
  static const std::vector<std::string> groups{"artist", "album",     "genre",   "year",        "tag",     "word",
                                               "audio",  "audio_bin", "numeric", "numeric_bin", "text"};
  return groups;
}

// Per-thread profile scratch: a dense vector over the features that is all
// zero between calls (only the touched entries are reset).
struct ProfileScratch {
  std::vector<float> profile;
  std::vector<std::uint8_t> mark;
  std::vector<std::int32_t> touched;

  void prepare(std::int32_t n_features) {
    if (profile.size() != static_cast<std::size_t>(n_features)) {
      profile.assign(static_cast<std::size_t>(n_features), 0.0f);
      mark.assign(static_cast<std::size_t>(n_features), 0);
    }
    touched.clear();
  }
  void add(std::int32_t feature, float value) {
    if (!mark[feature]) {
      mark[feature] = 1;
      touched.push_back(feature);
    }
    profile[feature] += value;
  }
  void reset() {
    for (std::int32_t f : touched) {
      profile[f] = 0.0f;
      mark[f] = 0;
    }
    touched.clear();
  }
};

ProfileScratch& scratch() {
  thread_local ProfileScratch s;
  return s;
}

float sparse_dot(std::span<const std::int32_t> ai, std::span<const float> av, std::span<const std::int32_t> bi,
                 std::span<const float> bv) {
  float dot = 0.0f;
  for (std::size_t a = 0, b = 0; a < ai.size() && b < bi.size();) {
    if (ai[a] < bi[b]) ++a;
    else if (bi[b] < ai[a]) ++b;
    else dot += av[a++] * bv[b++];
  }
  return dot;
}

// "energy high" for a numeric (z-scored) feature, the name otherwise.
std::string feature_label(const FeatureMatrix& m, std::int32_t feature, float item_value) {
  const std::string& name = m.names[static_cast<std::size_t>(feature)];
  const std::string& group = m.groups[static_cast<std::size_t>(m.group_of[static_cast<std::size_t>(feature)])];
  if ((group == "audio" || group == "numeric") && name.find('=') == std::string::npos) return name + (item_value >= 0 ? " high" : " low");
  return name;
}

}  // namespace

namespace content_detail {

std::string matches_note(const std::vector<FeatureMatch>& matches) {
  std::string out;
  for (const FeatureMatch& m : matches) {
    out += out.empty() ? "matched: " : ", ";
    out += m.label + " " + std::to_string(static_cast<int>(std::lround(100.0 * m.share))) + "%";
  }
  return out;
}

void split_history(std::span<const std::int32_t> items, std::span<const float> weights, std::vector<std::int32_t>& pos,
                   std::vector<float>& pos_values, std::vector<std::int32_t>& neg, std::vector<float>& neg_values) {
  Scratch<std::pair<std::int32_t, float>> merged;
  for (std::size_t k = 0; k < items.size(); ++k) merged->emplace_back(items[k], weights.empty() ? 1.0f : weights[k]);
  std::sort(merged->begin(), merged->end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  pos.clear();
  pos_values.clear();
  neg.clear();
  neg_values.clear();
  for (std::size_t k = 0; k < merged.size();) {
    const std::int32_t item = merged[k].first;
    float sum = 0.0f;
    for (; k < merged.size() && merged[k].first == item; ++k) sum += merged[k].second;
    if (!std::isfinite(sum) || sum == 0.0f) continue;
    if (sum > 0) {
      pos.push_back(item);
      pos_values.push_back(sum);
    } else {
      neg.push_back(item);
      neg_values.push_back(-sum);
    }
  }
}

void save_rows(ModelWriter& out, const std::string& prefix, const SparseRows& rows) {
  out.put(prefix + ".indptr", rows.indptr);
  out.put(prefix + ".indices", rows.indices);
  out.put(prefix + ".values", rows.values);
}

SparseRows load_rows(const ModelReader& in, const std::string& prefix, std::int32_t n_rows, std::int32_t n_cols) {
  SparseRows rows;
  rows.n_rows = n_rows;
  rows.n_cols = n_cols;
  rows.indptr = in.get<std::int64_t>(prefix + ".indptr", static_cast<std::uint64_t>(n_rows) + 1);
  rows.indices = in.get<std::int32_t>(prefix + ".indices");
  rows.values = in.get<float>(prefix + ".values");
  try {
    rows.validate(prefix);
  } catch (const std::invalid_argument& error) {
    in.fail(prefix, error.what());
  }
  return rows;
}

}  // namespace content_detail

std::vector<ParamDecl> content_params() {
  std::vector<ParamDecl> decls;
  for (const std::string& group : weighted_groups())
    // Title words default to 0: on cold-items validation carves of Last.fm and mpd-subset they only cost
    // (NDCG@10 0.1974 / 0.1942 at 1 against 0.2807 / 0.2264 at 0; docs/MODELS.md "Defaults").
    decls.push_back(float_param("w_" + group, group == "word" ? 0.0 : 1.0, 0.0, 100.0,
                                "weight of the '" + group + "' feature group (rows are unit-norm per group; 0 drops it)" +
                                    (group == "word" ? std::string(" (default 0: title words only cost on validation)")
                                                     : std::string())));
  decls.push_back(float_param("w_other", 1.0, 0.0, 100.0, "weight of any other feature group"));
  decls.push_back(string_param("history_weight", "log", "log: a history item counts log1p(signal); binary: 1"));
  decls.push_back(float_param("skip_weight", 0.5, 0.0, 100.0,
                              "the skipped items' features are subtracted from the profile with this weight"));
  decls.push_back(float_param("pop_weight", 0.001, 0.0, 100.0,
                              "popularity prior added to the cosine: pop_weight * log1p(n_i)/log1p(max n) (tie-breaker)"));
  decls.push_back(bool_param("cold_prior", false,
                             "an item without training plays takes as n_i the best mean plays per item among its "
                             "features (a new track of a popular artist), instead of 0"));
  return decls;
}

ModelInfo content_info() {
  return ModelInfo{"content",
                   "content-based: cosine of a user's feature profile (plays minus skips) and the item features "
                   "(needs --items)",
                   content_params(), &make_content,
                   "w_artist=0:3,w_tag=0:3,w_word=0:3,w_audio=0:3,w_genre=0:3,skip_weight=0:2,pop_weight=0:0.2,"
                   "history_weight=log|binary"};
}

// ---------------------------------------------------------------- ContentIndex

ContentIndex::Params ContentIndex::params_from_spec(const ModelSpec& spec, const FeatureMatrix& raw) {
  Params p;
  const std::string& hw = spec.get_string("history_weight");
  if (hw != "log" && hw != "binary")
    throw UsageError("model '" + spec.name() + "': parameter 'history_weight': unknown value '" + hw +
                     "' (known: log, binary)");
  p.log_weights = hw == "log";
  p.skip_weight = static_cast<float>(spec.get_float("skip_weight"));
  p.pop_weight = static_cast<float>(spec.get_float("pop_weight"));
  p.cold_prior = spec.get_bool("cold_prior");
  for (const std::string& group : raw.groups) {
    const auto& known = weighted_groups();
    const bool listed = std::find(known.begin(), known.end(), group) != known.end();
    p.group_weights.push_back(static_cast<float>(spec.get_float(listed ? "w_" + group : "w_other")));
  }
  return p;
}

void ContentIndex::build(const FeatureMatrix& raw, const Params& params, const SparseRows& history,
                         const std::string& model) {
  if (raw.n_rows != history.n_cols)
    throw UsageError("model '" + model + "': the item features have " + std::to_string(raw.n_rows) +
                     " rows for " + std::to_string(history.n_cols) + " items");
  if (raw.n_features == 0) throw UsageError("model '" + model + "': the item features have no feature columns");
  try {
    raw.validate();
  } catch (const std::invalid_argument& error) {
    throw UsageError("model '" + model + "': " + error.what());
  }
  log_weights_ = params.log_weights;
  skip_weight_ = params.skip_weight;
  pop_weight_ = params.pop_weight;
  FeatureMatrix& m = features_;
  m = FeatureMatrix{};
  m.n_rows = raw.n_rows;
  m.n_features = raw.n_features;
  m.names = raw.names;
  m.group_of = raw.group_of;
  m.groups = raw.groups;
  m.described = raw.described;
  m.indices.reserve(raw.indices.size());
  m.values.reserve(raw.values.size());
  std::vector<double> group_ss(raw.groups.size(), 0.0);
  for (std::int32_t r = 0; r < raw.n_rows; ++r) {
    const auto ids = raw.row_indices(r);
    const auto vals = raw.row_values(r);
    std::fill(group_ss.begin(), group_ss.end(), 0.0);
    for (std::size_t k = 0; k < ids.size(); ++k)
      group_ss[static_cast<std::size_t>(raw.group_of[static_cast<std::size_t>(ids[k])])] +=
          static_cast<double>(vals[k]) * vals[k];
    const std::size_t begin = m.values.size();
    double total = 0.0;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const auto g = static_cast<std::size_t>(raw.group_of[static_cast<std::size_t>(ids[k])]);
      const double w = g < params.group_weights.size() ? params.group_weights[g] : 1.0;
      if (w <= 0.0 || group_ss[g] <= 0.0 || vals[k] == 0.0f) continue;
      const double v = w * vals[k] / std::sqrt(group_ss[g]);
      m.indices.push_back(ids[k]);
      m.values.push_back(static_cast<float>(v));
      total += v * v;
    }
    if (total > 0.0) {
      const double inv = 1.0 / std::sqrt(total);
      for (std::size_t k = begin; k < m.values.size(); ++k) m.values[k] = static_cast<float>(m.values[k] * inv);
    }
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  // Popularity prior from the training positives.
  popularity_.assign(static_cast<std::size_t>(m.n_rows), 0.0f);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(m.n_rows), 0);
  for (std::int32_t item : history.indices) ++counts[static_cast<std::size_t>(item)];
  std::vector<double> plays(counts.begin(), counts.end());
  if (params.cold_prior) {
    // Mean plays per featured training item, per feature; an item nobody
    // played borrows the best of its features' means.
    std::vector<double> sum(static_cast<std::size_t>(m.n_features), 0.0), items(static_cast<std::size_t>(m.n_features), 0.0);
    for (std::int32_t i = 0; i < m.n_rows; ++i) {
      if (counts[static_cast<std::size_t>(i)] == 0) continue;
      for (const std::int32_t f : m.row_indices(i)) {
        sum[static_cast<std::size_t>(f)] += static_cast<double>(counts[static_cast<std::size_t>(i)]);
        items[static_cast<std::size_t>(f)] += 1.0;
      }
    }
    for (std::int32_t i = 0; i < m.n_rows; ++i) {
      if (counts[static_cast<std::size_t>(i)] != 0) continue;
      double best = 0.0;
      for (const std::int32_t f : m.row_indices(i))
        if (items[static_cast<std::size_t>(f)] > 0) best = std::max(best, sum[static_cast<std::size_t>(f)] / items[static_cast<std::size_t>(f)]);
      plays[static_cast<std::size_t>(i)] = best;
    }
  }
  const double most = plays.empty() ? 0.0 : *std::max_element(plays.begin(), plays.end());
  if (most > 0)
    for (std::size_t i = 0; i < plays.size(); ++i)
      popularity_[i] = static_cast<float>(std::log1p(plays[i]) / std::log1p(most));
}

float ContentIndex::build_profile(std::span<const std::int32_t> pos_items, std::span<const float> pos_values,
                                  std::span<const std::int32_t> neg_items, std::span<const float> neg_values) const {
  ProfileScratch& s = scratch();
  s.prepare(features_.n_features);
  auto add_rows = [&](std::span<const std::int32_t> items, std::span<const float> values, float sign) {
    for (std::size_t k = 0; k < items.size(); ++k) {
      const float c = sign * history_weight(values.empty() ? 1.0f : values[k]);
      if (c == 0.0f || !std::isfinite(c)) continue;
      const auto ids = features_.row_indices(items[k]);
      const auto vals = features_.row_values(items[k]);
      for (std::size_t f = 0; f < ids.size(); ++f) s.add(ids[f], c * vals[f]);
    }
  };
  add_rows(pos_items, pos_values, 1.0f);
  if (skip_weight_ > 0.0f) add_rows(neg_items, neg_values, -skip_weight_);
  double ss = 0.0;
  for (std::int32_t f : s.touched) ss += static_cast<double>(s.profile[f]) * s.profile[f];
  return static_cast<float>(std::sqrt(ss));
}

void ContentIndex::finish_scores(float norm, float* out) const {
  ProfileScratch& s = scratch();
  const FeatureMatrix& m = features_;
  if (norm > 0.0f && std::isfinite(norm)) {
    const float inv = 1.0f / norm;
    const float* profile = s.profile.data();
    for (std::int32_t i = 0; i < m.n_rows; ++i) {
      float dot = 0.0f;
      for (std::int64_t k = m.indptr[i]; k < m.indptr[i + 1]; ++k) dot += m.values[k] * profile[m.indices[k]];
      out[i] = dot * inv + pop_weight_ * popularity_[static_cast<std::size_t>(i)];
    }
  } else {
    for (std::int32_t i = 0; i < m.n_rows; ++i) out[i] = pop_weight_ * popularity_[static_cast<std::size_t>(i)];
  }
  s.reset();
}

void ContentIndex::score(std::span<const std::int32_t> pos_items, std::span<const float> pos_values,
                         std::span<const std::int32_t> neg_items, std::span<const float> neg_values, float* out) const {
  finish_scores(build_profile(pos_items, pos_values, neg_items, neg_values), out);
}

void ContentIndex::score_features(std::span<const std::int32_t> features, float* out) const {
  ProfileScratch& s = scratch();
  s.prepare(features_.n_features);
  for (std::int32_t f : features) s.add(f, 1.0f);
  double ss = 0.0;
  for (std::int32_t f : s.touched) ss += static_cast<double>(s.profile[f]) * s.profile[f];
  finish_scores(static_cast<float>(std::sqrt(ss)), out);
}

void ContentIndex::item_cosines(std::int32_t item, float* out) const {
  const auto ids = features_.row_indices(item);
  const auto vals = features_.row_values(item);
  for (std::int32_t j = 0; j < features_.n_rows; ++j)
    out[j] = sparse_dot(ids, vals, features_.row_indices(j), features_.row_values(j));
}

std::vector<FeatureMatch> ContentIndex::matches(std::span<const std::int32_t> pos_items,
                                                std::span<const float> pos_values,
                                                std::span<const std::int32_t> neg_items,
                                                std::span<const float> neg_values, std::int32_t item, std::size_t n,
                                                float& score) const {
  const float norm = build_profile(pos_items, pos_values, neg_items, neg_values);
  ProfileScratch& s = scratch();
  std::vector<FeatureMatch> out;
  score = 0.0f;
  if (norm > 0.0f && std::isfinite(norm)) {
    const float inv = 1.0f / norm;
    const auto ids = features_.row_indices(item);
    const auto vals = features_.row_values(item);
    float dot = 0.0f;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const float part = vals[k] * s.profile[ids[k]];
      dot += part;
      if (part * inv > 0.0f) out.push_back({ids[k], feature_label(features_, ids[k], vals[k]), part * inv});
    }
    score = dot * inv;
  }
  s.reset();
  std::sort(out.begin(), out.end(), [](const FeatureMatch& a, const FeatureMatch& b) {
    return a.share != b.share ? a.share > b.share : a.feature < b.feature;
  });
  if (out.size() > n) out.resize(n);
  for (FeatureMatch& m : out) m.share = score > 0.0f ? std::min(1.0f, m.share / score) : 0.0f;
  return out;
}

std::int32_t ContentIndex::find_feature(const std::string& name) const {
  for (std::size_t f = 0; f < features_.names.size(); ++f)
    if (features_.names[f] == name) return static_cast<std::int32_t>(f);
  return -1;
}

void ContentIndex::save(ModelWriter& out, const std::string& prefix) const {
  features_.save(out, prefix + ".features");
  out.put(prefix + ".popularity", popularity_);
}

void ContentIndex::load(const ModelReader& in, const std::string& prefix, std::int32_t n_items, const Params& params) {
  features_ = FeatureMatrix::load(in, prefix + ".features");
  if (features_.n_rows != n_items)
    in.fail(prefix + ".features", std::to_string(features_.n_rows) + " rows for " + std::to_string(n_items) + " items");
  popularity_ = in.get<float>(prefix + ".popularity", static_cast<std::uint64_t>(n_items));
  for (float p : popularity_)
    if (!std::isfinite(p) || p < 0.0f || p > 1.0f) in.fail(prefix + ".popularity", "holds a value outside [0, 1]");
  log_weights_ = params.log_weights;
  skip_weight_ = params.skip_weight;
  pop_weight_ = params.pop_weight;
}

// ---------------------------------------------------------------- ContentModel

ContentModel::ContentModel(const ModelSpec& spec) : Recommender(spec) {
  ContentIndex::params_from_spec(spec, FeatureMatrix{});  // checks history_weight now
}

void ContentModel::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  if (context.item_features == nullptr) throw UsageError("content needs item features (--items ITEMS.csv)");
  index_.build(*context.item_features, ContentIndex::params_from_spec(params(), *context.item_features), history(),
               name());
  skips_ = train.negatives;
  if (skips_.n_rows != n_users() || skips_.n_cols != n_items()) skips_ = SparseRows::empty(n_users(), n_items());
  context.report("items", n_items(), n_items());
}

void ContentModel::score_users(std::span<const std::int32_t> users, float* out) const {
  const auto stride = static_cast<std::size_t>(n_items());
  for (std::size_t r = 0; r < users.size(); ++r)
    index_.score(history().row_indices(users[r]), history().row_values(users[r]), skips_.row_indices(users[r]),
                 skips_.row_values(users[r]), out + r * stride);
}

void ContentModel::partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) {
  skips_ = replace_rows(skips_, users, feedback.negatives, "users");
}

void ContentModel::score_history(std::span<const std::int32_t> items, std::span<const float> weights,
                                 float* out) const {
  Scratch<std::int32_t> pos, neg;
  Scratch<float> pos_values, neg_values;
  content_detail::split_history(items, weights, *pos, *pos_values, *neg, *neg_values);
  index_.score(*pos, *pos_values, *neg, *neg_values, out);
}

std::vector<ScoredItem> ContentModel::recommend_from_features(const std::vector<std::string>& names,
                                                              std::int32_t n) const {
  check_fitted();
  check_count(n);
  std::vector<std::int32_t> features;
  for (const std::string& name : names) {
    const std::int32_t f = index_.find_feature(name);
    if (f < 0) throw UsageError("features: '" + name + "' is not a feature of the model (e.g. artist=NAME, tag=NAME)");
    features.push_back(f);
  }
  std::vector<float> scores(static_cast<std::size_t>(n_items()));
  index_.score_features(features, scores.data());
  std::vector<ScoredItem> out;
  top_k(scores, {}, std::min(n, n_items()), out);
  return out;
}

std::vector<ScoredItem> ContentModel::similar_items(std::int32_t item, std::int32_t n) const {
  check_item(item);
  check_count(n);
  std::vector<float> scores(static_cast<std::size_t>(n_items()));
  index_.item_cosines(item, scores.data());
  std::vector<ScoredItem> out;
  top_k(scores, std::span<const std::int32_t>(&item, 1), std::min(n, n_items()), out);
  return out;
}

std::vector<FeatureMatch> ContentModel::matched_features(std::int32_t user, std::int32_t item, std::size_t n) const {
  check_user(user);
  check_item(item);
  float score = 0.0f;
  return index_.matches(history().row_indices(user), history().row_values(user), skips_.row_indices(user),
                        skips_.row_values(user), item, n, score);
}

Explanation ContentModel::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Explanation out;
  out.user = user;
  out.item = item;
  const auto hist = history().row_indices(user);
  const auto hist_values = history().row_values(user);
  float content = 0.0f;
  const std::vector<FeatureMatch> matched =
      index_.matches(hist, hist_values, skips_.row_indices(user), skips_.row_values(user), item, 5, content);
  out.score = content + static_cast<float>(params().get_float("pop_weight")) * index_.popularity()[static_cast<std::size_t>(item)];
  if (matched.empty()) {
    out.note = index_.features().count(item) == 0 ? "the item has no features; only the popularity prior scores it"
                                                   : "no feature of the item matches the user's profile";
    return out;
  }
  out.note = content_detail::matches_note(matched);
  // The exact split of the content score over the history items:
  // part_j = c_j (x_j · x_i) / |p| (skips only lower the score).
  const FeatureMatrix& m = index_.features();
  double profile_ss = 0.0;
  {
    // |p| again (the profile is rebuilt per call; cheap next to scoring).
    std::vector<float> dense(static_cast<std::size_t>(m.n_features), 0.0f);
    for (std::size_t k = 0; k < hist.size(); ++k) {
      const float c = index_.history_weight(hist_values[k]);
      const auto ids = m.row_indices(hist[k]);
      const auto vals = m.row_values(hist[k]);
      for (std::size_t f = 0; f < ids.size(); ++f) dense[ids[f]] += c * vals[f];
    }
    const auto skip_items = skips_.row_indices(user);
    const auto skip_values = skips_.row_values(user);
    if (index_.skip_weight() > 0.0f)
      for (std::size_t k = 0; k < skip_items.size(); ++k) {
        const float c = -index_.skip_weight() * index_.history_weight(skip_values[k]);
        const auto ids = m.row_indices(skip_items[k]);
        const auto vals = m.row_values(skip_items[k]);
        for (std::size_t f = 0; f < ids.size(); ++f) dense[ids[f]] += c * vals[f];
      }
    for (float v : dense) profile_ss += static_cast<double>(v) * v;
  }
  const double norm = std::sqrt(profile_ss);
  std::vector<ScoredItem> parts;
  for (std::size_t k = 0; k < hist.size(); ++k) {
    const double part = index_.history_weight(hist_values[k]) *
                        sparse_dot(m.row_indices(hist[k]), m.row_values(hist[k]), m.row_indices(item), m.row_values(item)) /
                        norm;
    if (part > 0.0) parts.push_back({hist[k], static_cast<float>(part)});
  }
  std::sort(parts.begin(), parts.end(), ranks_before);
  // Shares of the content score; when skips pulled the score below the sum
  // of the parts, of that sum instead (so the shares sum to <= 1).
  double denominator = content;
  double all_parts = 0.0;
  for (const ScoredItem& p : parts) all_parts += p.score;
  denominator = std::max(denominator, all_parts);
  if (parts.size() > kExplainTop) parts.resize(kExplainTop);
  for (const ScoredItem& p : parts)
    out.contributions.push_back(
        {p.item, denominator > 0.0 ? static_cast<float>(std::min(1.0, p.score / denominator)) : 0.0f});
  return out;
}

void ContentModel::save_model(ModelWriter& out) const {
  index_.save(out, "content");
  content_detail::save_rows(out, "content.skips", skips_);
}

void ContentModel::load_model(const ModelReader& in) {
  // The group weights are already applied to the saved rows.
  index_.load(in, "content", n_items(), ContentIndex::params_from_spec(params(), FeatureMatrix{}));
  skips_ = content_detail::load_rows(in, "content.skips", n_users(), n_items());
}

}  // namespace segue

SEGUE_REGISTER_MODEL(content, ::segue::content_info())
