// Skip-aware re-ranking: a recommender's scores shifted down by the skip
// model's P(skip | session slot, track), so that tracks likely to be skipped
// in this slot of the session fall. `segue recommend --skip-model`; the slot,
// the scale of the penalty and the candidate pool are in docs/CONTEXT.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "context/skip_model.h"
#include "data/dataset.h"
#include "data/id_map.h"
#include "models/batch_recommend.h"
#include "models/recommender.h"

namespace segue {

class ThreadPool;

// The slot of the session being filled, as the request gives it. Unset fields
// are unknown: the skip model imputes them as missing, as in training.
struct SessionSlot {
  int position = 1;                          // 1-based
  std::optional<int> session_length;         // unset: max(20, position)
  std::optional<int> hour;                   // 0..23, UTC like the log's hour
  std::optional<int> previous_skip;          // 0 or 1
  std::optional<std::string> context_type;   // one of the skip model's levels
};

// The SkipContext for `slot`. UsageError naming the flag (--position,
// --session-length, --hour, --previous-skip, --context-type) for a position
// below 1, a length below the position, an hour outside 0..23, a previous
// skip other than 0/1 or one the model does not use, and a context type the
// model has not learned (the message lists the known ones).
SkipContext skip_context_for(const SkipModel& model, const SessionSlot& slot);
// "position 8 of 20, context_type radio, hour 22, previous skip 1" (unset fields left out).
std::string describe(const SessionSlot& slot);

// P(skip) for every item of a recommender, in its item id order.
struct ItemSkipPenalty {
  float penalty = 0.0f;            // in standard deviations of the user's score row, per unit of P(skip)
  std::vector<float> probability;  // per model item; NaN = no skip-model features there: no penalty
  std::int32_t without_features = 0;  // items with NaN probability
};

// Maps the recommender's items (`items`, its item_ids()) to `store` rows by
// external id and computes P(skip | context, track) for each. An item has no
// skip-model features when the store lacks it, or has no value for any of the
// model's track features; a model without track features gives every item the
// same, context-only probability. UsageError when penalty is negative or not
// finite (--skip-penalty).
ItemSkipPenalty item_skip_penalty(const SkipModel& skips, const Dataset& store, const IdMap& items,
                                  const SkipContext& context, float penalty);

// Penalises one full score row in place: scores[i] -= penalty · sd · p[i],
// where sd is the standard deviation of the row's finite scores (1 when it is
// 0), so a penalty means the same for every model and user. Items with NaN
// probability are left as they are. Returns penalty · sd, the shift per unit
// of probability. Penalty 0 leaves the row bit for bit unchanged.
float penalise_row(std::span<float> scores, const ItemSkipPenalty& skips);

// Top-n of a known user over the whole penalised row (exactly top_k() after
// penalise_row; penalty 0 gives Recommender::recommend's list). `shift`, when
// given, receives penalise_row's return value.
std::vector<ScoredItem> recommend_with_skip_penalty(const Recommender& model, std::int32_t user, std::int32_t n,
                                                    bool exclude_seen, const ItemSkipPenalty& skips,
                                                    float* shift = nullptr);
// The same for a new user's history (fold-in, weights 1), excluding the history.
std::vector<ScoredItem> recommend_history_with_skip_penalty(const Recommender& model,
                                                            std::span<const std::int32_t> history, std::int32_t n,
                                                            const ItemSkipPenalty& skips, float* shift = nullptr);
// Every user of `users` (the batch form of recommend_with_skip_penalty, on the
// thread pool). UsageError for n <= 0 or an unknown user.
BatchLists recommend_batch_with_skip_penalty(const Recommender& model, std::span<const std::int32_t> users,
                                             std::int32_t n, bool exclude_seen, const ItemSkipPenalty& skips,
                                             ThreadPool* pool = nullptr);

}  // namespace segue
