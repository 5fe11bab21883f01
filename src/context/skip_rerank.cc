// Skip-aware re-ranking: the session slot as a SkipContext, P(skip) per
// recommender item through the store's track features, and the penalised
// top-n for one user, one history or many users.
#include "context/skip_rerank.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "data/error.h"
#include "util/thread_pool.h"

namespace segue {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int kDefaultSessionLength = 20;

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values) out += (out.empty() ? "" : ", ") + value;
  return out;
}

std::string format_number(float x) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(x));
  return text;
}

// Standard deviation of the finite scores of a row; 1 when there is no spread.
double row_sd(std::span<const float> scores) {
  double sum = 0.0, squares = 0.0;
  std::size_t count = 0;
  for (const float x : scores) {
    if (!std::isfinite(x)) continue;
    sum += x;
    squares += static_cast<double>(x) * x;
    ++count;
  }
  if (count == 0) return 1.0;
  const double mean = sum / static_cast<double>(count);
  const double sd = std::sqrt(std::max(squares / static_cast<double>(count) - mean * mean, 0.0));
  return sd > 0.0 && std::isfinite(sd) ? sd : 1.0;
}

}  // namespace

SkipContext skip_context_for(const SkipModel& model, const SessionSlot& slot) {
  if (slot.position < 1) throw UsageError("--position: must be at least 1, got " + std::to_string(slot.position));
  const int length = slot.session_length.value_or(std::max(kDefaultSessionLength, slot.position));
  if (length < slot.position)
    throw UsageError("--session-length: " + std::to_string(length) + " is below --position " +
                     std::to_string(slot.position));
  SkipContext context;
  context.position = static_cast<float>(slot.position);
  context.session_length = static_cast<float>(length);
  if (slot.hour) {
    if (*slot.hour < 0 || *slot.hour > 23) throw UsageError("--hour: must be 0..23, got " + std::to_string(*slot.hour));
    context.hour = static_cast<float>(*slot.hour);
  }
  if (slot.previous_skip) {
    if (*slot.previous_skip != 0 && *slot.previous_skip != 1)
      throw UsageError("--previous-skip: must be 0 or 1, got " + std::to_string(*slot.previous_skip));
    if (!model.uses_previous_skip())
      throw UsageError("--previous-skip: the skip model was trained with --no-previous-skip and does not use it");
    context.previous_skip = static_cast<float>(*slot.previous_skip);
  }
  if (slot.context_type) {
    const std::vector<std::string> known = model.category_levels("context_type");
    if (known.empty())
      throw UsageError("--context-type: the skip model has no context_type feature (its training store had none)");
    if (std::find(known.begin(), known.end(), *slot.context_type) == known.end())
      throw UsageError("--context-type: unknown context type '" + *slot.context_type + "' (known: " + join(known) + ")");
    context.categories.emplace_back("context_type", *slot.context_type);
  }
  return context;
}

std::string describe(const SessionSlot& slot) {
  std::string out = "position " + std::to_string(slot.position) + " of " +
                    std::to_string(slot.session_length.value_or(std::max(kDefaultSessionLength, slot.position)));
  if (slot.context_type) out += ", context_type " + *slot.context_type;
  if (slot.hour) out += ", hour " + std::to_string(*slot.hour);
  if (slot.previous_skip) out += ", previous skip " + std::to_string(*slot.previous_skip);
  return out;
}

ItemSkipPenalty item_skip_penalty(const SkipModel& skips, const Dataset& store, const IdMap& items,
                                  const SkipContext& context, float penalty) {
  if (!std::isfinite(penalty) || penalty < 0.0f)
    throw UsageError("--skip-penalty: must be a finite number >= 0, got " + format_number(penalty));
  const std::vector<float> by_row = skips.item_probabilities(store, context);
  // Columns of the model's track features in this store (absent ones stay null).
  std::vector<const NumericColumn*> columns;
  for (const std::string& name : skips.track_features()) columns.push_back(store.item_attributes.find_number(name));
  const bool context_only = columns.empty();
  const auto has_features = [&](std::int32_t row) {
    for (const NumericColumn* column : columns)
      if (column != nullptr && static_cast<std::size_t>(row) < column->values.size() &&
          std::isfinite(column->values[static_cast<std::size_t>(row)]))
        return true;
    return false;
  };
  // A context-only model gives every track the same probability: that of any row.
  const float shared = context_only && !by_row.empty() ? by_row.front() : kNaN;
  ItemSkipPenalty out;
  out.penalty = penalty;
  out.probability.assign(static_cast<std::size_t>(items.size()), kNaN);
  for (std::int32_t i = 0; i < items.size(); ++i) {
    float& p = out.probability[static_cast<std::size_t>(i)];
    const std::int32_t row = store.items.find(items.name(i));
    if (context_only) {
      p = shared;
    } else if (row >= 0 && has_features(row)) {
      p = by_row[static_cast<std::size_t>(row)];
    }
    if (std::isnan(p)) ++out.without_features;
  }
  return out;
}

float penalise_row(std::span<float> scores, const ItemSkipPenalty& skips) {
  if (scores.size() != skips.probability.size())
    throw UsageError("penalise_row: " + std::to_string(scores.size()) + " scores but " +
                     std::to_string(skips.probability.size()) + " skip probabilities");
  if (skips.penalty == 0.0f) return 0.0f;
  const float shift = static_cast<float>(skips.penalty * row_sd(scores));
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const float p = skips.probability[i];
    if (!std::isnan(p)) scores[i] -= shift * p;
  }
  return shift;
}

std::vector<ScoredItem> recommend_with_skip_penalty(const Recommender& model, std::int32_t user, std::int32_t n,
                                                    bool exclude_seen, const ItemSkipPenalty& skips, float* shift) {
  if (user < 0 || user >= model.n_users()) throw UsageError("user: index " + std::to_string(user) + " out of range");
  if (n <= 0) throw UsageError("n: must be at least 1, got " + std::to_string(n));
  std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
  model.score_users(std::span<const std::int32_t>(&user, 1), scores.data());
  const float applied = penalise_row(scores, skips);
  if (shift != nullptr) *shift = applied;
  std::vector<ScoredItem> out;
  top_k(scores, exclude_seen ? model.history().row_indices(user) : std::span<const std::int32_t>(),
        std::min(n, model.n_items()), out);
  return out;
}

std::vector<ScoredItem> recommend_history_with_skip_penalty(const Recommender& model,
                                                            std::span<const std::int32_t> history, std::int32_t n,
                                                            const ItemSkipPenalty& skips, float* shift) {
  if (n <= 0) throw UsageError("n: must be at least 1, got " + std::to_string(n));
  for (const std::int32_t item : history)
    if (item < 0 || item >= model.n_items()) throw UsageError("history: item index " + std::to_string(item) + " out of range");
  const std::vector<float> weights(history.size(), 1.0f);
  std::vector<float> scores(static_cast<std::size_t>(model.n_items()));
  model.score_history(history, weights, scores.data());
  const float applied = penalise_row(scores, skips);
  if (shift != nullptr) *shift = applied;
  std::vector<std::int32_t> exclude(history.begin(), history.end());
  std::sort(exclude.begin(), exclude.end());
  exclude.erase(std::unique(exclude.begin(), exclude.end()), exclude.end());
  std::vector<ScoredItem> out;
  top_k(scores, exclude, std::min(n, model.n_items()), out);
  return out;
}

BatchLists recommend_batch_with_skip_penalty(const Recommender& model, std::span<const std::int32_t> users,
                                             std::int32_t n, bool exclude_seen, const ItemSkipPenalty& skips,
                                             ThreadPool* pool) {
  if (n <= 0) throw UsageError("n: must be at least 1, got " + std::to_string(n));
  for (const std::int32_t u : users)
    if (u < 0 || u >= model.n_users()) throw UsageError("users: user index " + std::to_string(u) + " out of range");
  if (skips.probability.size() != static_cast<std::size_t>(model.n_items()))
    throw UsageError("skip penalty: " + std::to_string(skips.probability.size()) + " probabilities for " +
                     std::to_string(model.n_items()) + " items");
  BatchLists lists;
  lists.n = std::min(n, model.n_items());
  lists.items.resize(users.size() * static_cast<std::size_t>(lists.n));
  lists.counts.assign(users.size(), 0);
  const std::size_t width = static_cast<std::size_t>(model.n_items());
  // Whole rows are needed (the row's sd scales the penalty): blocks of at most
  // 4 Mi scores (16 MB) per thread.
  const std::int64_t block = std::clamp<std::int64_t>((4ll << 20) / std::max(model.n_items(), 1), 1, 256);
  const auto total = static_cast<std::int64_t>(users.size());
  parallel_for(
      0, (total + block - 1) / block, 1,
      [&](std::int64_t first_block, std::int64_t last_block, int) {
        std::vector<float> scores;
        std::vector<ScoredItem> top;
        for (std::int64_t b = first_block; b < last_block; ++b) {
          const std::int64_t begin = b * block;
          const std::int64_t end = std::min(begin + block, total);
          const auto rows = users.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
          scores.resize(rows.size() * width);
          model.score_users(rows, scores.data());
          for (std::size_t r = 0; r < rows.size(); ++r) {
            const std::span<float> row(scores.data() + r * width, width);
            penalise_row(row, skips);
            top_k(row, exclude_seen ? model.history().row_indices(rows[r]) : std::span<const std::int32_t>(), lists.n,
                  top);
            const std::size_t at = static_cast<std::size_t>(begin) + r;
            std::copy(top.begin(), top.end(), lists.items.begin() + static_cast<std::ptrdiff_t>(at * lists.n));
            lists.counts[at] = static_cast<std::int32_t>(top.size());
          }
        }
      },
      pool);
  return lists;
}

}  // namespace segue
