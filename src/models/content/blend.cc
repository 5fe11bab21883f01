#include "models/content/blend.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "data/error.h"
#include "io/model_file.h"
#include "models/partial_fit.h"
#include "models/rerank/nested_model.h"
#include "models/scratch.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_blend(const ModelSpec& spec) { return std::make_unique<BlendModel>(spec); }

std::vector<ParamDecl> blend_params() {
  std::vector<ParamDecl> decls{
      string_param("cf", "ials", "the collaborative model's name (default parameters)"),
      string_param("cf_spec", "", "the collaborative model's spec with ';' between parameters (wins over cf)"),
      float_param("weight", 0.2, 0.0, 1.0, "content share: (1-weight)*z(cf) + weight*z(content)")};
  for (ParamDecl& d : content_params()) decls.push_back(std::move(d));
  return decls;
}

}  // namespace

ModelInfo blend_info() {
  return ModelInfo{"blend", "per-user z-scored mix of a CF model and the content model (needs --items)",
                   blend_params(), &make_blend, "weight=0:1"};
}

BlendModel::BlendModel(const ModelSpec& spec) : Recommender(spec) {
  weight_ = static_cast<float>(spec.get_float("weight"));
  cf_ = make_nested_model("blend", "cf", spec.get_string("cf"), spec.get_string("cf_spec"));
  ContentIndex::params_from_spec(spec, FeatureMatrix{});  // checks history_weight now
}

void BlendModel::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  if (context.item_features == nullptr) throw UsageError("blend needs item features (--items ITEMS.csv)");
  index_.build(*context.item_features, ContentIndex::params_from_spec(params(), *context.item_features), history(),
               name());
  skips_ = train.negatives;
  if (skips_.n_rows != n_users() || skips_.n_cols != n_items()) skips_ = SparseRows::empty(n_users(), n_items());
  cf_->fit(train, context);
}

void BlendModel::partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) {
  cf_->partial_fit_users(users, feedback);
  skips_ = replace_rows(skips_, users, feedback.negatives, "users");
}

void BlendModel::standardise(float* row, std::size_t n) {
  double sum = 0.0, sum_sq = 0.0;
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(row[i])) {
      sum += row[i];
      sum_sq += static_cast<double>(row[i]) * row[i];
      ++count;
    }
  if (count == 0) return;
  const double mean = sum / static_cast<double>(count);
  const double var = std::max(0.0, sum_sq / static_cast<double>(count) - mean * mean);
  const double sd = std::sqrt(var);
  const double inv = sd > 1e-12 * std::max(1.0, std::abs(mean)) ? 1.0 / sd : 0.0;
  for (std::size_t i = 0; i < n; ++i)
    if (std::isfinite(row[i])) row[i] = static_cast<float>((row[i] - mean) * inv);
  // -inf / NaN stay as they are: they rank last.
}

void BlendModel::mix(float* cf_row, const float* content_row) const {
  const auto n = static_cast<std::size_t>(n_items());
  const float a = 1.0f - weight_, b = weight_;
  for (std::size_t i = 0; i < n; ++i) cf_row[i] = a * cf_row[i] + b * content_row[i];
}

void BlendModel::score_users(std::span<const std::int32_t> users, float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  if (weight_ < 1.0f) cf_->score_users(users, out);
  Scratch<float> content_row(n);
  for (std::size_t r = 0; r < users.size(); ++r) {
    float* row = out + r * n;
    if (weight_ <= 0.0f) {
      standardise(row, n);
      continue;
    }
    const std::int32_t u = users[r];
    index_.score(history().row_indices(u), history().row_values(u), skips_.row_indices(u), skips_.row_values(u),
                 content_row.data());
    standardise(content_row.data(), n);
    if (weight_ >= 1.0f) {
      std::copy_n(content_row.data(), n, row);
      continue;
    }
    standardise(row, n);
    mix(row, content_row.data());
  }
}

void BlendModel::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  // The call's own buffers: a blend as cf_ splits `pos` again, and with shared
  // thread_local buffers it emptied this call's skips before they were scored.
  Scratch<std::int32_t> pos, neg;
  Scratch<float> pos_values, neg_values;
  content_detail::split_history(items, weights, *pos, *pos_values, *neg, *neg_values);
  if (weight_ < 1.0f) {
    cf_->score_history(*pos, *pos_values, out);
    standardise(out, n);
  }
  if (weight_ <= 0.0f) return;
  Scratch<float> content_row(n);
  index_.score(*pos, *pos_values, *neg, *neg_values, content_row.data());
  standardise(content_row.data(), n);
  if (weight_ >= 1.0f) std::copy_n(content_row.data(), n, out);
  else mix(out, content_row.data());
}

Explanation BlendModel::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Explanation out = cf_->explain(user, item);
  std::vector<float> row(static_cast<std::size_t>(n_items()));
  score_users(std::span<const std::int32_t>(&user, 1), row.data());
  out.score = row[static_cast<std::size_t>(item)];
  std::map<std::int32_t, float> shares;
  for (const Contribution& c : out.contributions) shares[c.item] += (1.0f - weight_) * c.share;
  float content = 0.0f;
  const std::vector<FeatureMatch> matched = index_.matches(history().row_indices(user), history().row_values(user),
                                                           skips_.row_indices(user), skips_.row_values(user), item, 5,
                                                           content);
  // Content contributions: each history item's share of the content score.
  if (content > 0.0f && weight_ > 0.0f) {
    const FeatureMatrix& m = index_.features();
    const auto hist = history().row_indices(user);
    const auto values = history().row_values(user);
    std::vector<std::pair<std::int32_t, double>> parts;
    double total = 0.0;
    for (std::size_t k = 0; k < hist.size(); ++k) {
      double dot = 0.0;
      const auto ai = m.row_indices(hist[k]);
      const auto av = m.row_values(hist[k]);
      const auto bi = m.row_indices(item);
      const auto bv = m.row_values(item);
      for (std::size_t a = 0, b = 0; a < ai.size() && b < bi.size();) {
        if (ai[a] < bi[b]) ++a;
        else if (bi[b] < ai[a]) ++b;
        else dot += static_cast<double>(av[a++]) * bv[b++];
      }
      const double part = index_.history_weight(values[k]) * dot;
      if (part > 0.0) {
        parts.emplace_back(hist[k], part);
        total += part;
      }
    }
    for (const auto& [j, part] : parts) shares[j] += weight_ * static_cast<float>(part / total);
  }
  out.contributions.clear();
  for (const auto& [j, share] : shares) out.contributions.push_back({j, std::min(1.0f, share)});
  std::sort(out.contributions.begin(), out.contributions.end(), [](const Contribution& a, const Contribution& b) {
    return a.share != b.share ? a.share > b.share : a.item < b.item;
  });
  if (out.contributions.size() > 10) out.contributions.resize(10);
  const std::string features = content_detail::matches_note(matched);
  out.note = "blend: " + std::to_string(1.0f - weight_).substr(0, 4) + " x cf (" + cf_->name() + ") + " +
             std::to_string(weight_).substr(0, 4) + " x content" + (features.empty() ? "" : "; " + features);
  return out;
}

void BlendModel::save_model(ModelWriter& out) const {
  save_nested_model(out, "blend.cf_model", *cf_);
  index_.save(out, "blend.content");
  content_detail::save_rows(out, "blend.skips", skips_);
}

void BlendModel::load_model(const ModelReader& in) {
  cf_ = load_nested_model(in, "blend.cf_model");
  if (cf_->n_users() != n_users() || cf_->n_items() != n_items())
    in.fail("blend.cf_model", "the nested model's shape differs from the blend's");
  index_.load(in, "blend.content", n_items(), ContentIndex::params_from_spec(params(), FeatureMatrix{}));
  skips_ = content_detail::load_rows(in, "blend.skips", n_users(), n_items());
}

}  // namespace segue

SEGUE_REGISTER_MODEL(blend, ::segue::blend_info())
