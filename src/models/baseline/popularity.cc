#include "models/baseline/popularity.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/error.h"
#include "io/model_file.h"

namespace segue {
namespace {

std::unique_ptr<Recommender> make_popularity(const ModelSpec& spec) { return std::make_unique<Popularity>(spec); }

// Calls fn(user, event) for each training event: `events` (any order) or all.
template <class Fn>
void for_each_event(const Interactions& log, const std::vector<std::int64_t>* events, Fn fn) {
  if (events == nullptr) {
    for (std::int32_t u = 0; u < log.n_users; ++u)
      for (std::int64_t e = log.begin(u); e < log.end(u); ++e) fn(u, e);
    return;
  }
  for (std::int64_t e : *events) {
    if (e < 0 || e >= log.size()) throw UsageError("events: index " + std::to_string(e) + " is out of range");
    const auto u = static_cast<std::int32_t>(std::upper_bound(log.indptr.begin(), log.indptr.end(), e) -
                                             log.indptr.begin() - 1);
    fn(u, e);
  }
}

}  // namespace

ModelInfo popularity_info() {
  return ModelInfo{
      "pop",
      "most popular items (by users, optionally time-decayed); the same list for everyone",
      {float_param("decay_days", 0.0, 0.0, 36500.0,
                   "0 = count users per item; > 0 = e-folding time in days of a user's last listen (needs timestamps)")},
      &make_popularity,
      "decay_days=1:3650:log"};
}

Popularity::Popularity(const ModelSpec& spec) : Recommender(spec), decay_days_(spec.get_float("decay_days")) {}

void Popularity::fit_model(const FeedbackMatrix& train, const FitContext& context) {
  if (decay_days_ > 0) {
    fit_decayed(train, context);
    return;
  }
  scores_.assign(static_cast<std::size_t>(train.n_items), 0.0f);
  for (std::int32_t item : train.indices) scores_[item] += 1.0f;
}

void Popularity::fit_decayed(const FeedbackMatrix& train, const FitContext& context) {
  const Dataset* dataset = context.dataset;
  if (dataset == nullptr)
    throw UsageError("decay_days: time-decayed pop needs the dataset's timestamps (FitContext::dataset); use decay_days=0");
  const Interactions& log = dataset->interactions;
  if (log.n_users != train.n_users || log.n_items != train.n_items)
    throw UsageError("decay_days: the dataset's ids do not match the training matrix");
  if (log.timestamps.empty())
    throw UsageError("decay_days: the dataset has no timestamps; use decay_days=0");

  // Latest training time of each (user, item) pair of the feedback, and overall.
  std::vector<std::int64_t> last(static_cast<std::size_t>(train.nnz()), kNoTime);
  std::int64_t newest = kNoTime;
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  for_each_event(log, context.events, [&](std::int32_t u, std::int64_t e) {
    const std::int64_t t = log.timestamps[e];
    if (t == kNoTime) return;
    newest = std::max(newest, t);
    oldest = std::min(oldest, t);
    const auto row = train.items_of(u);
    const auto found = std::lower_bound(row.begin(), row.end(), log.items[e]);
    if (found == row.end() || *found != log.items[e]) return;  // net zero or negative: not a positive pair
    std::int64_t& slot = last[static_cast<std::size_t>(train.indptr[u] + (found - row.begin()))];
    slot = std::max(slot, t);
  });
  if (newest == kNoTime) throw UsageError("decay_days: no training event has a timestamp; use decay_days=0");

  const double seconds = decay_days_ * 86400.0;
  std::vector<double> sums(static_cast<std::size_t>(train.n_items), 0.0);
  for (std::int64_t k = 0; k < train.nnz(); ++k) {
    const std::int64_t t = last[static_cast<std::size_t>(k)] == kNoTime ? oldest : last[static_cast<std::size_t>(k)];
    sums[train.indices[k]] += std::exp(-static_cast<double>(newest - t) / seconds);
  }
  scores_.assign(sums.begin(), sums.end());
}

void Popularity::score_users(std::span<const std::int32_t> users, float* out) const {
  for (std::size_t row = 0; row < users.size(); ++row)
    std::memcpy(out + row * scores_.size(), scores_.data(), scores_.size() * sizeof(float));
}

void Popularity::score_history(std::span<const std::int32_t>, std::span<const float>, float* out) const {
  std::memcpy(out, scores_.data(), scores_.size() * sizeof(float));
}

Explanation Popularity::explain(std::int32_t user, std::int32_t item) const {
  check_user(user);
  check_item(item);
  Explanation out;
  out.user = user;
  out.item = item;
  out.score = scores_[item];
  out.note = decay_days_ > 0 ? "pop ranks items by recently active listeners; it does not use the user's history"
                             : "pop ranks items by how many users listened to them; it does not use the user's history";
  return out;
}

void Popularity::save_model(ModelWriter& out) const { out.put("pop.scores", scores_); }

void Popularity::load_model(const ModelReader& in) {
  scores_ = in.get<float>("pop.scores", static_cast<std::uint64_t>(n_items()));
  for (float s : scores_)
    if (!std::isfinite(s) || s < 0) in.fail("pop.scores", "holds a negative or non-finite score");
}

}  // namespace segue

SEGUE_REGISTER_MODEL(pop, ::segue::popularity_info())
