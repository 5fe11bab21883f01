#include "models/graph/rp3beta.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "data/error.h"
#include "io/model_file.h"
#include "util/thread_pool.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_rp3beta(const ModelSpec& spec) { return std::make_unique<Rp3Beta>(spec); }

int parse_weighting(const std::string& text) {
  if (text == "binary") return 0;
  if (text == "log") return 1;
  if (text == "raw") return 2;
  throw UsageError("weighting: expected binary, log or raw, got '" + text + "'");
}

double power(double x, double alpha) { return alpha == 1.0 ? x : std::pow(x, alpha); }

}  // namespace

ModelInfo rp3beta_info() {
  return ModelInfo{
      "rp3beta",
      "RP3beta: item graph from a 3-step random walk user-item-user-item, penalised by popularity^beta, top-k a row",
      {float_param("alpha", 0.8, 0.0, 10.0, "power on the transition probabilities (1 = plain random walk)"),
       float_param("beta", 0.25, 0.0, 10.0, "divide item j's column by popularity(j)^beta (0 = P3alpha)"),
       int_param("k", 500, 1, 1e9, "neighbours kept per item"),
       bool_param("normalize", false, "rescale each item's kept row to sum 1"),
       string_param("weighting", "binary", "P_ui and histories from the feedback value v: binary, log (log1p v) or raw")},
      &make_rp3beta,
      "alpha=0.2:1.5,beta=0:1,k=20:1000:log,normalize=true|false,weighting=binary|log"};
}

Rp3Beta::Rp3Beta(const ModelSpec& spec)
    : Recommender(spec),
      alpha_(spec.get_float("alpha")),
      beta_(spec.get_float("beta")),
      k_(static_cast<std::int32_t>(std::min<std::int64_t>(spec.get_int("k"), std::numeric_limits<std::int32_t>::max()))),
      normalize_(spec.get_bool("normalize")),
      weighting_(parse_weighting(spec.get_string("weighting"))) {
  if (!(alpha_ >= 0) || !std::isfinite(alpha_)) throw UsageError("alpha: must be a finite number >= 0");
  if (!(beta_ >= 0) || !std::isfinite(beta_)) throw UsageError("beta: must be a finite number >= 0");
  if (k_ < 1) throw UsageError("k: must be >= 1, got " + std::to_string(k_));
}

float Rp3Beta::transform(float value) const {
  switch (weighting_) {
    case 0: return value > 0 ? 1.0f : 0.0f;
    case 1: return std::copysign(std::log1p(std::fabs(value)), value);
    default: return value;
  }
}

void Rp3Beta::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  const std::int32_t n = train.n_items;
  // P_ui^alpha: each user's row of X divided by its sum, to the power alpha.
  SparseRows pui = train.positives();
  for (float& v : pui.values) v = transform(v);
  for (std::int32_t u = 0; u < pui.n_rows; ++u) {
    double sum = 0;
    for (std::int64_t e = pui.indptr[u]; e < pui.indptr[u + 1]; ++e) sum += pui.values[e];
    for (std::int64_t e = pui.indptr[u]; e < pui.indptr[u + 1]; ++e)
      pui.values[e] = sum > 0 ? static_cast<float>(power(pui.values[e] / sum, alpha_)) : 0.0f;
  }
  // P_iu^alpha (binary: 1 / degree(i)) and the popularity penalty degree(j)^-beta.
  const SparseRows by_item = pui.transpose();
  std::vector<double> piu(static_cast<std::size_t>(n), 0.0);
  std::vector<double> penalty(static_cast<std::size_t>(n), 0.0);
  for (std::int32_t i = 0; i < n; ++i) {
    const auto degree = static_cast<double>(by_item.count(i));
    if (degree == 0) continue;
    piu[static_cast<std::size_t>(i)] = power(1.0 / degree, alpha_);
    penalty[static_cast<std::size_t>(i)] = beta_ == 0 ? 1.0 : std::pow(degree, -beta_);
  }

  // Row i of W, one row per task (the result does not depend on threads).
  ThreadPool* pool = context.pool;
  const int threads = pool != nullptr ? pool->size() : default_thread_pool().size();
  std::vector<std::vector<double>> acc_scratch(static_cast<std::size_t>(threads));
  std::vector<std::vector<std::int32_t>> touched_scratch(static_cast<std::size_t>(threads));
  std::vector<std::vector<ScoredItem>> rows(static_cast<std::size_t>(n));
  parallel_for(0, n, 32, [&](std::int64_t begin, std::int64_t end, int thread) {
    std::vector<double>& acc = acc_scratch[static_cast<std::size_t>(thread)];
    std::vector<std::int32_t>& touched = touched_scratch[static_cast<std::size_t>(thread)];
    acc.resize(static_cast<std::size_t>(n), 0.0);
    std::vector<ScoredItem> candidates;
    for (std::int64_t row = begin; row < end; ++row) {
      const auto i = static_cast<std::int32_t>(row);
      touched.clear();
      for (std::int32_t u : by_item.row_indices(i)) {
        const auto items = pui.row_indices(u);
        const auto values = pui.row_values(u);
        for (std::size_t t = 0; t < items.size(); ++t) {
          double& slot = acc[static_cast<std::size_t>(items[t])];
          if (slot == 0.0) touched.push_back(items[t]);
          slot += values[t];
        }
      }
      candidates.clear();
      const double scale = piu[static_cast<std::size_t>(i)];
      for (std::int32_t j : touched) {
        double& slot = acc[static_cast<std::size_t>(j)];
        const double w = slot * scale * penalty[static_cast<std::size_t>(j)];
        slot = 0.0;
        if (j != i && w > 0) candidates.push_back({j, static_cast<float>(w)});
      }
      if (candidates.size() > static_cast<std::size_t>(k_)) {
        std::nth_element(candidates.begin(), candidates.begin() + k_, candidates.end(), ranks_before);
        candidates.resize(static_cast<std::size_t>(k_));
      }
      std::sort(candidates.begin(), candidates.end(),
                [](const ScoredItem& a, const ScoredItem& b) { return a.item < b.item; });
      if (normalize_) {
        double sum = 0;
        for (const ScoredItem& c : candidates) sum += c.score;
        for (ScoredItem& c : candidates) c.score = static_cast<float>(c.score / sum);
      }
      rows[static_cast<std::size_t>(i)] = candidates;
    }
  }, pool);

  w_ = SparseRows::empty(n, n);
  w_.indptr.resize(static_cast<std::size_t>(n) + 1);
  std::int64_t total = 0;
  for (std::int32_t i = 0; i < n; ++i) {
    total += static_cast<std::int64_t>(rows[static_cast<std::size_t>(i)].size());
    w_.indptr[static_cast<std::size_t>(i) + 1] = total;
  }
  w_.indices.reserve(static_cast<std::size_t>(total));
  w_.values.reserve(static_cast<std::size_t>(total));
  for (auto& row : rows) {
    for (const ScoredItem& c : row) {
      w_.indices.push_back(c.item);
      w_.values.push_back(c.score);
    }
    std::vector<ScoredItem>().swap(row);
  }
  context.report("items", n, n);
}

void Rp3Beta::accumulate(std::span<const std::int32_t> items, std::span<const float> values, float* out) const {
  std::fill(out, out + n_items(), 0.0f);
  for (std::size_t k = 0; k < items.size(); ++k) {
    const float x = transform(values[k]);
    if (x == 0.0f) continue;
    const auto neighbours = w_.row_indices(items[k]);
    const auto weights = w_.row_values(items[k]);
    for (std::size_t t = 0; t < neighbours.size(); ++t) out[neighbours[t]] += x * weights[t];
  }
}

void Rp3Beta::score_users(std::span<const std::int32_t> users, float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  for (std::size_t r = 0; r < users.size(); ++r)
    accumulate(history().row_indices(users[r]), history().row_values(users[r]), out + r * n);
}

void Rp3Beta::score_history(std::span<const std::int32_t> items, std::span<const float> weights, float* out) const {
  check_history(items, weights);
  std::vector<float> ones;
  if (weights.empty()) {
    ones.assign(items.size(), 1.0f);
    weights = ones;
  }
  accumulate(items, weights, out);
}

Explanation Rp3Beta::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Explanation out;
  out.user = user;
  out.item = item;
  const auto items = history().row_indices(user);
  const auto values = history().row_values(user);
  double score = 0.0;
  double positive = 0.0;
  std::vector<ScoredItem> parts;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const auto neighbours = w_.row_indices(items[k]);
    const auto found = std::lower_bound(neighbours.begin(), neighbours.end(), item);
    if (found == neighbours.end() || *found != item) continue;
    const float c = transform(values[k]) * w_.row_values(items[k])[static_cast<std::size_t>(found - neighbours.begin())];
    score += c;
    if (c > 0) {
      positive += c;
      parts.push_back({items[k], c});
    }
  }
  out.score = static_cast<float>(score);
  std::sort(parts.begin(), parts.end(), ranks_before);
  constexpr std::size_t kMaxContributions = 10;
  for (std::size_t k = 0; k < std::min(parts.size(), kMaxContributions); ++k)
    out.contributions.push_back({parts[k].item, static_cast<float>(parts[k].score / positive)});
  if (out.contributions.empty())
    out.note = items.empty() ? "the user has no training history"
                             : "the item is not among the neighbours of any item in the user's history";
  return out;
}

void Rp3Beta::save_model(ModelWriter& out) const {
  out.put("rp3beta.indptr", w_.indptr);
  out.put("rp3beta.indices", w_.indices);
  out.put("rp3beta.values", w_.values);
}

void Rp3Beta::load_model(const ModelReader& in) {
  SparseRows w;
  w.n_rows = n_items();
  w.n_cols = n_items();
  w.indptr = in.get<std::int64_t>("rp3beta.indptr", static_cast<std::uint64_t>(n_items()) + 1);
  w.indices = in.get<std::int32_t>("rp3beta.indices");
  w.values = in.get<float>("rp3beta.values");
  try {
    w.validate("rp3beta.weights");
  } catch (const std::invalid_argument& error) {
    in.fail("rp3beta.indices", error.what());
  }
  for (float v : w.values)
    if (!std::isfinite(v)) in.fail("rp3beta.values", "holds a non-finite weight");
  w_ = std::move(w);
}

}  // namespace segue

SEGUE_REGISTER_MODEL(rp3beta, ::segue::rp3beta_info())
