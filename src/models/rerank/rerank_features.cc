#include "models/rerank/rerank_features.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "data/dataset.h"
#include "io/model_file.h"
#include "models/content/content.h"
#include "models/recommender.h"
#include "models/scratch.h"
#include "models/top_k.h"

namespace segue {
namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();
constexpr std::size_t kMomentItems = 16384;  // items a row's mean and sd are taken over (at most)

bool has_item(std::span<const std::int32_t> sorted, std::int32_t item) {
  return std::binary_search(sorted.begin(), sorted.end(), item);
}

}  // namespace

std::vector<std::uint8_t> training_event_mask(const Interactions& log, const std::vector<std::int64_t>* events) {
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(log.size()), events == nullptr ? 1 : 0);
  if (events != nullptr)
    for (std::int64_t e : *events)
      if (e >= 0 && e < log.size()) mask[static_cast<std::size_t>(e)] = 1;
  return mask;
}

SparseRows RerankSide::friends_of(const FeatureMatrix* user_features, const Dataset* dataset, std::int32_t n_users) {
  SparseRows friends = SparseRows::empty(n_users, n_users);
  if (user_features == nullptr || dataset == nullptr || user_features->n_rows != n_users) return friends;
  std::vector<std::int32_t> user_of(static_cast<std::size_t>(user_features->n_features), -1);
  bool any = false;
  for (std::int32_t f = 0; f < user_features->n_features; ++f) {
    const std::string& name = user_features->names[static_cast<std::size_t>(f)];
    if (user_features->groups[static_cast<std::size_t>(user_features->group_of[f])] != "friend") continue;
    const std::size_t eq = name.find('=');
    const std::int32_t v = dataset->users.find(eq == std::string::npos ? name : name.substr(eq + 1));
    if (v != IdMap::kMissing && v < n_users) {
      user_of[static_cast<std::size_t>(f)] = v;
      any = true;
    }
  }
  if (!any) return friends;
  friends.indptr.assign(1, 0);
  std::vector<std::int32_t> row;
  for (std::int32_t u = 0; u < n_users; ++u) {
    row.clear();
    for (std::int32_t f : user_features->row_indices(u))
      if (user_of[static_cast<std::size_t>(f)] >= 0 && user_of[static_cast<std::size_t>(f)] != u)
        row.push_back(user_of[static_cast<std::size_t>(f)]);
    std::sort(row.begin(), row.end());
    row.erase(std::unique(row.begin(), row.end()), row.end());
    friends.indices.insert(friends.indices.end(), row.begin(), row.end());
    friends.values.insert(friends.values.end(), row.size(), 1.0f);
    friends.indptr.push_back(static_cast<std::int64_t>(friends.indices.size()));
  }
  return friends;
}

RerankSide RerankSide::build(const FeedbackMatrix& train, const Dataset* dataset,
                             const std::vector<std::int64_t>* events, int last_n) {
  RerankSide side;
  const std::int32_t n_users = train.n_users, n_items = train.n_items;
  std::vector<std::int32_t> listeners(static_cast<std::size_t>(n_items), 0);
  for (std::int64_t k = 0; k < train.nnz(); ++k) ++listeners[static_cast<std::size_t>(train.indices[k])];
  // Popularity as a percentile among the items (ties share the midpoint), and
  // history length relative to the mean: the carve the ranker learns on has a
  // fifth less data than the model it serves with, and raw counts would shift.
  std::vector<std::int32_t> sorted = listeners;
  std::sort(sorted.begin(), sorted.end());
  side.item_pop.resize(static_cast<std::size_t>(n_items));
  for (std::int32_t i = 0; i < n_items; ++i) {
    const auto below = std::lower_bound(sorted.begin(), sorted.end(), listeners[i]) - sorted.begin();
    const auto upto = std::upper_bound(sorted.begin(), sorted.end(), listeners[i]) - sorted.begin();
    side.item_pop[i] = static_cast<float>(0.5 * static_cast<double>(below + upto) / std::max(1, n_items));
  }
  double log_len = 0.0;
  for (std::int32_t u = 0; u < n_users; ++u) log_len += std::log1p(static_cast<double>(train.count(u)));
  side.mean_log_len = n_users > 0 ? static_cast<float>(log_len / n_users) : 0.0f;
  side.user_pop.resize(static_cast<std::size_t>(n_users));
  for (std::int32_t u = 0; u < n_users; ++u) {
    double sum = 0.0;
    for (std::int32_t i : train.items_of(u)) sum += side.item_pop[static_cast<std::size_t>(i)];
    side.user_pop[u] = train.count(u) > 0 ? static_cast<float>(sum / static_cast<double>(train.count(u))) : kMissing;
  }

  side.last = SparseRows::empty(n_users, n_items);
  const bool usable = dataset != nullptr && dataset->interactions.n_users == n_users &&
                      dataset->interactions.n_items == n_items && last_n > 0;
  if (!usable) return side;
  const Interactions& log = dataset->interactions;
  const std::vector<std::uint8_t> in_train = training_event_mask(log, events);

  // The last items: walking each listener's events backwards (importers keep
  // each listener's events in time or position order), distinct positives only.
  side.has_order = true;
  side.last.indptr.assign(1, 0);
  std::vector<std::int32_t> recent;
  for (std::int32_t u = 0; u < n_users; ++u) {
    recent.clear();
    const auto positives = train.items_of(u);
    for (std::int64_t e = log.end(u) - 1; e >= log.begin(u) && static_cast<int>(recent.size()) < last_n; --e) {
      if (!in_train[static_cast<std::size_t>(e)]) continue;
      const std::int32_t item = log.items[e];
      if (!has_item(positives, item) || std::find(recent.begin(), recent.end(), item) != recent.end()) continue;
      recent.push_back(item);
    }
    // Stored oldest first; CSR "indices" here are in event order, not sorted.
    for (auto it = recent.rbegin(); it != recent.rend(); ++it) {
      side.last.indices.push_back(*it);
      side.last.values.push_back(1.0f);
    }
    side.last.indptr.push_back(static_cast<std::int64_t>(side.last.indices.size()));
  }

  if (log.timestamps.empty()) return side;
  // One pass over the timed training events: the time span, each item's plays
  // per block of the UTC day, each listener's block at their last event. The
  // time-of-day figures exist whenever the data has a time column, so a carve
  // and the whole data always give the ranker the same features.
  constexpr int B = kHourBlocks;
  auto block_of = [](std::int64_t t) {
    const std::int64_t second = ((t % 86400) + 86400) % 86400;
    return static_cast<std::int32_t>(second / (86400 / B));
  };
  std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = std::numeric_limits<std::int64_t>::min();
  std::vector<std::int32_t> all(static_cast<std::size_t>(n_items), 0);
  std::vector<std::int32_t> per_block(static_cast<std::size_t>(n_items) * B, 0);
  side.user_hour.assign(static_cast<std::size_t>(n_users), -1);
  for (std::int32_t u = 0; u < n_users; ++u) {
    std::int64_t latest = std::numeric_limits<std::int64_t>::min();
    for (std::int64_t e = log.begin(u); e < log.end(u); ++e) {
      const std::int64_t t = log.timestamps[e];
      if (!in_train[static_cast<std::size_t>(e)] || t == kNoTime) continue;
      first = std::min(first, t);
      last = std::max(last, t);
      const auto item = static_cast<std::size_t>(log.items[e]);
      ++all[item];
      const std::int32_t block = block_of(t);
      ++per_block[item * B + static_cast<std::size_t>(block)];
      if (t >= latest) {
        latest = t;
        side.user_hour[static_cast<std::size_t>(u)] = block;
      }
    }
  }
  // Time of day relative to an even spread; one pseudo-play per block keeps
  // rare items near 1. The listener's last block stands for the time they are
  // served at: in a session, the next track follows in the same hour.
  side.item_hour.resize(per_block.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    const double total = all[i] + B;
    for (std::size_t b = 0; b < static_cast<std::size_t>(B); ++b)
      side.item_hour[i * B + b] = static_cast<float>((per_block[i * B + b] + 1) * B / total);
  }

  // Recency: the share of an item's events in the last tenth of the time span.
  if (last <= first) return side;
  const std::int64_t cutoff = last - (last - first) / 10;
  std::vector<std::int32_t> late(static_cast<std::size_t>(n_items), 0);
  for (std::int64_t e = 0; e < log.size(); ++e)
    if (in_train[static_cast<std::size_t>(e)] && log.timestamps[e] != kNoTime && log.timestamps[e] >= cutoff)
      ++late[static_cast<std::size_t>(log.items[e])];
  side.item_recent.resize(static_cast<std::size_t>(n_items));
  for (std::int32_t i = 0; i < n_items; ++i)
    side.item_recent[i] = all[i] > 0 ? static_cast<float>(late[i]) / static_cast<float>(all[i]) : kMissing;
  return side;
}

void RerankSide::save(ModelWriter& out, const std::string& prefix) const {
  out.put(prefix + ".item_pop", item_pop);
  out.put(prefix + ".item_recent", item_recent);
  out.put(prefix + ".user_pop", user_pop);
  out.put_scalar<float>(prefix + ".mean_log_len", mean_log_len);
  out.put_scalar<std::int32_t>(prefix + ".has_order", has_order ? 1 : 0);
  out.put(prefix + ".last.indptr", last.indptr);
  out.put(prefix + ".last.items", last.indices);
  content_detail::save_rows(out, prefix + ".friends", friends);
  out.put(prefix + ".item_hour", item_hour);
  out.put(prefix + ".user_hour", user_hour);
}

RerankSide RerankSide::load(const ModelReader& in, const std::string& prefix, std::int32_t n_users,
                            std::int32_t n_items) {
  RerankSide side;
  side.item_pop = in.get<float>(prefix + ".item_pop", static_cast<std::uint64_t>(n_items));
  side.item_recent = in.get<float>(prefix + ".item_recent");
  if (!side.item_recent.empty() && side.item_recent.size() != static_cast<std::size_t>(n_items))
    in.fail(prefix + ".item_recent", "expected one value per item");
  side.user_pop = in.get<float>(prefix + ".user_pop", static_cast<std::uint64_t>(n_users));
  side.mean_log_len = in.get_scalar<float>(prefix + ".mean_log_len");
  if (!std::isfinite(side.mean_log_len)) in.fail(prefix + ".mean_log_len", "not finite");
  side.has_order = in.get_scalar<std::int32_t>(prefix + ".has_order") != 0;
  side.last.n_rows = n_users;
  side.last.n_cols = n_items;
  side.last.indptr = in.get<std::int64_t>(prefix + ".last.indptr", static_cast<std::uint64_t>(n_users) + 1);
  side.last.indices = in.get<std::int32_t>(prefix + ".last.items");
  side.last.values.assign(side.last.indices.size(), 1.0f);
  // Event order, not sorted: SparseRows::validate would refuse it, so check here.
  if (side.last.indptr.front() != 0 || side.last.indptr.back() != static_cast<std::int64_t>(side.last.indices.size()))
    in.fail(prefix + ".last.indptr", "does not span the items");
  for (std::size_t r = 0; r + 1 < side.last.indptr.size(); ++r)
    if (side.last.indptr[r] > side.last.indptr[r + 1]) in.fail(prefix + ".last.indptr", "not ascending");
  for (std::int32_t item : side.last.indices)
    if (item < 0 || item >= n_items) in.fail(prefix + ".last.items", "item id out of range");
  for (float v : side.item_pop)
    if (!std::isfinite(v)) in.fail(prefix + ".item_pop", "not finite");
  side.friends = content_detail::load_rows(in, prefix + ".friends", n_users, n_users);
  // Files from before the time-of-day feature have neither (the ranker then has one feature fewer).
  if (in.has(prefix + ".item_hour")) {
    side.item_hour = in.get<float>(prefix + ".item_hour");
    side.user_hour = in.get<std::int32_t>(prefix + ".user_hour");
    const bool timed = !side.item_hour.empty();
    if (timed && side.item_hour.size() != static_cast<std::size_t>(n_items) * kHourBlocks)
      in.fail(prefix + ".item_hour", "expected " + std::to_string(kHourBlocks) + " values per item");
    if (timed != !side.user_hour.empty() || (timed && side.user_hour.size() != static_cast<std::size_t>(n_users)))
      in.fail(prefix + ".user_hour", "expected one block per listener");
    for (const float v : side.item_hour)
      if (!std::isfinite(v) || v < 0.0f) in.fail(prefix + ".item_hour", "not a finite ratio");
    for (const std::int32_t b : side.user_hour)
      if (b < -1 || b >= kHourBlocks) in.fail(prefix + ".user_hour", "block out of range");
  }
  return side;
}

RerankFeatures::RerankFeatures(std::vector<std::string> generator_names, std::int32_t per_generator,
                               const RerankSide* side, const FeatureMatrix* content, const Recommender* cooc,
                               const SparseRows* positives, std::int32_t n_items, bool raw_scores)
    : n_generators_(static_cast<std::int32_t>(generator_names.size())),
      per_generator_(per_generator),
      side_(side),
      content_(content != nullptr && !content->empty() ? content : nullptr),
      cooc_(cooc),
      positives_(positives),
      n_items_(n_items),
      raw_scores_(raw_scores) {
  for (const std::string& g : generator_names) {
    names_.push_back(g + ".score");
    names_.push_back(g + ".z");
    names_.push_back(g + ".rank");
  }
  for (const char* name : {"lists", "item_pop", "item_recent", "user_len", "user_pop", "pop_gap", "last_cooc", "friends"})
    names_.emplace_back(name);
  // Only with timestamps, so that models without them keep their feature count.
  if (!side_->item_hour.empty()) names_.emplace_back("hour_affinity");
  if (content_ != nullptr) {
    n_groups_ = static_cast<std::int32_t>(content_->groups.size());
    for (const std::string& group : content_->groups) names_.push_back("content." + group);
  }
}

float RerankFeatures::history_pop(std::span<const std::int32_t> history) const {
  if (history.empty()) return kMissing;
  double sum = 0.0;
  for (std::int32_t i : history) sum += side_->item_pop[static_cast<std::size_t>(i)];
  return static_cast<float>(sum / static_cast<double>(history.size()));
}

void RerankFeatures::build(std::span<const float* const> rows, std::span<const std::int32_t> history,
                           std::span<const float> values, std::span<const std::int32_t> last, float user_pop,
                           std::span<const std::int32_t> friends, std::int32_t hour_block, CandidateRows& out) const {
  (void)values;
  out.clear();
  const auto n = static_cast<std::size_t>(n_items_);
  const auto G = static_cast<std::size_t>(n_generators_);
  const auto F = static_cast<std::size_t>(n_features());

  // The union of the generators' top-N, with each generator's rank (1-based).
  Scratch<std::int32_t> slot(n);  // candidate index + 1, 0 = not a candidate
  Scratch<ScoredItem> top(static_cast<std::size_t>(per_generator_));
  Scratch<float> ranks, mean_sd(2 * G);
  // A row's mean and sd over every item up to kMomentItems, else over every
  // k-th: the z features need the row's scale, not its fourth digit, and a
  // 100k-item pass per generator would cost more than ranking the candidates.
  const std::size_t stride = (n + kMomentItems - 1) / kMomentItems;
  for (std::size_t g = 0; g < G; ++g) {
    const float* row = rows[g];
    double sum = 0.0, sum_sq = 0.0;
    std::size_t finite = 0;
    for (std::size_t i = 0; i < n; i += stride)
      if (std::isfinite(row[i])) {
        sum += row[i];
        sum_sq += static_cast<double>(row[i]) * row[i];
        ++finite;
      }
    const double mean = finite > 0 ? sum / static_cast<double>(finite) : 0.0;
    const double sd = finite > 0 ? std::sqrt(std::max(0.0, sum_sq / static_cast<double>(finite) - mean * mean)) : 0.0;
    mean_sd[2 * g] = static_cast<float>(mean);
    mean_sd[2 * g + 1] = sd > 1e-12 ? static_cast<float>(1.0 / sd) : 0.0f;
    const std::int32_t found = top_k(std::span<const float>(row, n), history, per_generator_, top.data());
    for (std::int32_t p = 0; p < found; ++p) {
      const std::int32_t item = top[static_cast<std::size_t>(p)].item;
      std::int32_t& s = slot[static_cast<std::size_t>(item)];
      if (s == 0) {
        out.items.push_back(item);
        s = static_cast<std::int32_t>(out.items.size());
        ranks->resize(out.items.size() * G, kMissing);
      }
      (*ranks)[static_cast<std::size_t>(s - 1) * G + g] = static_cast<float>(p + 1);
    }
  }
  const std::size_t m = out.items.size();
  out.x.assign(m * F, kMissing);
  out.row_mean.resize(G);
  out.row_inv_sd.resize(G);
  for (std::size_t g = 0; g < G; ++g) {
    out.row_mean[g] = mean_sd[2 * g];
    out.row_inv_sd[g] = mean_sd[2 * g + 1];
  }

  // Co-occurrence with the last items.
  Scratch<float> cooc_row;
  const bool has_last = cooc_ != nullptr && !last.empty();
  if (has_last) {
    cooc_row->resize(n);
    Scratch<float> ones(last.size());
    std::fill(ones->begin(), ones->end(), 1.0f);
    cooc_->score_history(last, *ones, cooc_row.data());
  }

  // The history's profile per content feature (a sum of its rows) and its norm per group.
  Scratch<float> profile;
  Scratch<double> profile_norm(static_cast<std::size_t>(n_groups_));
  if (content_ != nullptr) {
    profile->resize(static_cast<std::size_t>(content_->n_features));
    for (std::int32_t h : history) {
      if (h < 0 || h >= content_->n_rows) continue;
      const auto fi = content_->row_indices(h);
      const auto fv = content_->row_values(h);
      for (std::size_t k = 0; k < fi.size(); ++k) profile[static_cast<std::size_t>(fi[k])] += fv[k];
    }
    for (std::int32_t f = 0; f < content_->n_features; ++f) {
      const double v = profile[static_cast<std::size_t>(f)];
      profile_norm[static_cast<std::size_t>(content_->group_of[f])] += v * v;
    }
  }

  // How many of the listener's friends have each item.
  Scratch<std::int32_t> friend_count;
  const bool has_friends = positives_ != nullptr && !friends.empty();
  if (has_friends) {
    friend_count->resize(n);
    for (std::int32_t f : friends)
      if (f >= 0 && f < positives_->n_rows)
        for (std::int32_t i : positives_->row_indices(f)) ++friend_count[static_cast<std::size_t>(i)];
  }
  const float friend_share = has_friends ? 1.0f / static_cast<float>(friends.size()) : 0.0f;

  const float user_len = std::log1p(static_cast<float>(history.size())) - side_->mean_log_len;
  const bool timed = !side_->item_hour.empty();
  Scratch<double> dots(static_cast<std::size_t>(n_groups_)), norms(static_cast<std::size_t>(n_groups_));
  for (std::size_t c = 0; c < m; ++c) {
    const std::int32_t item = out.items[c];
    const auto i = static_cast<std::size_t>(item);
    float* x = out.x.data() + c * F;
    int lists = 0;
    for (std::size_t g = 0; g < G; ++g) {
      const float score = rows[g][i];
      x[3 * g] = std::isfinite(score) && raw_scores_ ? score : kMissing;
      x[3 * g + 1] = std::isfinite(score) ? (score - mean_sd[2 * g]) * mean_sd[2 * g + 1] : kMissing;
      x[3 * g + 2] = (*ranks)[c * G + g];
      if (!std::isnan(x[3 * g + 2])) ++lists;
    }
    float* common = x + 3 * G;
    common[0] = static_cast<float>(lists);
    common[1] = side_->item_pop[i];
    common[2] = side_->item_recent.empty() ? kMissing : side_->item_recent[i];
    common[3] = user_len;
    common[4] = user_pop;
    common[5] = std::isnan(user_pop) ? kMissing : side_->item_pop[i] - user_pop;
    common[6] = has_last ? cooc_row[i] : kMissing;
    common[7] = has_friends ? static_cast<float>(friend_count[i]) * friend_share : kMissing;
    if (timed)
      common[8] = hour_block >= 0 && hour_block < RerankSide::kHourBlocks
                      ? side_->item_hour[i * RerankSide::kHourBlocks + static_cast<std::size_t>(hour_block)]
                      : kMissing;
    float* groups = common + (timed ? 9 : 8);
    if (content_ != nullptr && item < content_->n_rows) {
      std::fill(dots->begin(), dots->end(), 0.0);
      std::fill(norms->begin(), norms->end(), 0.0);
      const auto fi = content_->row_indices(item);
      const auto fv = content_->row_values(item);
      for (std::size_t k = 0; k < fi.size(); ++k) {
        const auto group = static_cast<std::size_t>(content_->group_of[fi[k]]);
        dots[group] += static_cast<double>(fv[k]) * profile[static_cast<std::size_t>(fi[k])];
        norms[group] += static_cast<double>(fv[k]) * fv[k];
      }
      for (std::size_t gr = 0; gr < static_cast<std::size_t>(n_groups_); ++gr)
        if (norms[gr] > 0.0 && profile_norm[gr] > 0.0)
          groups[gr] = static_cast<float>(dots[gr] / std::sqrt(norms[gr] * profile_norm[gr]));
    }
  }
}

}  // namespace segue
