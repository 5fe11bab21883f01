#include "models/rerank/ensemble.h"

#include <algorithm>
#include <map>
#include <string>

#include "data/error.h"
#include "io/model_file.h"
#include "models/content/blend.h"
#include "models/rerank/nested_model.h"
#include "models/scratch.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_ensemble(const ModelSpec& spec) { return std::make_unique<EnsembleModel>(spec); }

constexpr std::int64_t kMaxMembers = 256;

}  // namespace

ModelInfo ensemble_info() {
  return ModelInfo{
      "ensemble",
      "mean of several models' per-user z-scored scores (e.g. ials at several weight scales and seeds)",
      {string_param("members", "ials", "'+'-separated member specs, ';' between a member's parameters"),
       int_param("seeds", 1, 1, 64,
                 "each member with a seed parameter is fitted this many times (its seed, seed+1, ...)")},
      &make_ensemble,
      "seeds=1:8"};
}

EnsembleModel::EnsembleModel(const ModelSpec& spec) : Recommender(spec) {
  const std::int64_t seeds = spec.get_int("seeds");
  for (const std::string& text : split_model_list(spec.get_string("members"), "ensemble", "members")) {
    std::unique_ptr<Recommender> first = make_nested_model("ensemble", "members", "", text);
    if (first->name() == "ensemble")
      throw UsageError("model 'ensemble': parameter 'members': a member cannot be an ensemble (list its members)");
    const auto& decls = first->params().decls();
    const bool seeded = std::any_of(decls.begin(), decls.end(), [](const ParamDecl& d) { return d.name == "seed"; });
    const std::int64_t base = seeded ? first->params().get_int("seed") : 0;
    members_.push_back(std::move(first));
    for (std::int64_t s = 1; seeded && s < seeds; ++s) {
      ModelSpec again = members_.back()->params();
      again.set("seed", std::to_string(base + s));
      members_.push_back(make_recommender(again));
    }
    if (static_cast<std::int64_t>(members_.size()) > kMaxMembers)
      throw UsageError("model 'ensemble': more than " + std::to_string(kMaxMembers) + " members (members × seeds)");
  }
}

void EnsembleModel::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  for (std::size_t k = 0; k < members_.size(); ++k) {
    members_[k]->fit(train, context);
    context.report("member", static_cast<std::int64_t>(k + 1), static_cast<std::int64_t>(members_.size()));
  }
}

Recommender::MemoryNeed EnsembleModel::fit_memory(const FeedbackMatrix& train, int threads) const {
  // Members fit one after another, and the fitted ones stay: the largest member's fit is a lower bound.
  MemoryNeed most;
  for (const auto& m : members_) {
    MemoryNeed need = m->fit_memory(train, threads);
    if (need.bytes > most.bytes) most = std::move(need);
  }
  return most;
}

void EnsembleModel::score_users(std::span<const std::int32_t> users, float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  const std::size_t cells = users.size() * n;
  std::fill_n(out, cells, 0.0f);
  Scratch<float> rows(cells);
  const float share = 1.0f / static_cast<float>(members_.size());
  for (const auto& m : members_) {
    m->score_users(users, rows.data());
    for (std::size_t r = 0; r < users.size(); ++r) BlendModel::standardise(rows.data() + r * n, n);
    for (std::size_t c = 0; c < cells; ++c) out[c] += share * rows[c];
  }
}

void EnsembleModel::score_history(std::span<const std::int32_t> items, std::span<const float> weights,
                                  float* out) const {
  const auto n = static_cast<std::size_t>(n_items());
  std::fill_n(out, n, 0.0f);
  Scratch<float> row(n);
  const float share = 1.0f / static_cast<float>(members_.size());
  for (const auto& m : members_) {
    m->score_history(items, weights, row.data());
    BlendModel::standardise(row.data(), n);
    for (std::size_t i = 0; i < n; ++i) out[i] += share * row[i];
  }
}

Explanation EnsembleModel::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  std::map<std::int32_t, float> shares;
  const float share = 1.0f / static_cast<float>(members_.size());
  std::string notes;
  for (const auto& m : members_) {
    const Explanation e = m->explain(user, item);
    for (const Contribution& c : e.contributions) shares[c.item] += share * c.share;
    if (notes.empty() && !e.note.empty()) notes = e.note;
  }
  Explanation out;
  out.user = user;
  out.item = item;
  std::vector<float> row(static_cast<std::size_t>(n_items()));
  score_users(std::span<const std::int32_t>(&user, 1), row.data());
  out.score = row[static_cast<std::size_t>(item)];
  for (const auto& [j, s] : shares) out.contributions.push_back({j, std::min(1.0f, s)});
  std::sort(out.contributions.begin(), out.contributions.end(), [](const Contribution& a, const Contribution& b) {
    return a.share != b.share ? a.share > b.share : a.item < b.item;
  });
  if (out.contributions.size() > 10) out.contributions.resize(10);
  out.note = "ensemble of " + std::to_string(members_.size()) + " models (mean z-score)" +
             (notes.empty() ? "" : "; first member: " + notes);
  return out;
}

bool EnsembleModel::supports_partial_fit() const {
  return std::all_of(members_.begin(), members_.end(), [](const auto& m) { return m->supports_partial_fit(); });
}

bool EnsembleModel::supports_partial_fit_items() const {
  return std::all_of(members_.begin(), members_.end(), [](const auto& m) { return m->supports_partial_fit_items(); });
}

void EnsembleModel::partial_fit_users_model(std::span<const std::int32_t> users, const FeedbackMatrix& feedback) {
  for (auto& m : members_) m->partial_fit_users(users, feedback);
}

void EnsembleModel::partial_fit_items_model(std::span<const std::int32_t> items, const SparseRows& columns) {
  for (auto& m : members_) m->partial_fit_items(items, columns);
}

void EnsembleModel::save_model(ModelWriter& out) const {
  out.put_scalar<std::int64_t>("ensemble.members", static_cast<std::int64_t>(members_.size()));
  for (std::size_t k = 0; k < members_.size(); ++k)
    save_nested_model(out, "ensemble.member." + std::to_string(k), *members_[k]);
}

void EnsembleModel::load_model(const ModelReader& in) {
  const auto count = in.get_scalar<std::int64_t>("ensemble.members");
  if (count < 1 || count > kMaxMembers) in.fail("ensemble.members", "expected 1 to " + std::to_string(kMaxMembers));
  if (count != static_cast<std::int64_t>(members_.size()))
    in.fail("ensemble.members", std::to_string(count) + " members where the spec makes " +
                                    std::to_string(members_.size()));
  members_.clear();
  for (std::int64_t k = 0; k < count; ++k) {
    const std::string section = "ensemble.member." + std::to_string(k);
    members_.push_back(load_nested_model(in, section));
    if (members_.back()->n_users() != n_users() || members_.back()->n_items() != n_items())
      in.fail(section, "the nested model's shape differs from the ensemble's");
  }
}

}  // namespace segue

SEGUE_REGISTER_MODEL(ensemble, ::segue::ensemble_info())
