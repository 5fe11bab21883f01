// The features a policy and its reward model see for a shelf or a card: a
// pure function of what the impression log records (listener, item, shelf,
// explanation, the card's context column, positions), so a batch re-fit from
// the log rebuilds exactly the features that were decided on. BaRT's reward
// is conditioned on the explanation: the explanation is a feature of its own
// and crossed with the hour band; the factorization machine learns the
// listener × explanation and item × explanation interactions itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "home/bandit.h"

namespace segue::home {

struct PageContext {
  std::string user;  // the data's listener id ("" = anonymous)
  int hour = -1;     // 0..23, -1 = unknown
};

// 3-hour bands 0..7 (8 = unknown): the context bucket of per-bucket statistics.
std::uint32_t hour_band(int hour);

std::vector<Feature> shelf_features(const PageContext& page, std::string_view shelf, std::string_view explanation);

// A card as offered: its rank in its generator's list and its item's training count.
struct CardOffer {
  std::string_view item_id;
  std::string_view shelf;
  std::string_view explanation;
  std::int32_t rank = 0;
  float popularity = 0.0f;
};

// The card's context column: "hour=21,rank=2,pop=5" (rank and popularity as
// log2 buckets).
std::string card_context(const PageContext& page, const CardOffer& offer);

// Features for deciding (positions -1: none) or for learning from an
// outcome (the positions it was shown at).
std::vector<Feature> card_features(const PageContext& page, const CardOffer& offer, std::int32_t shelf_position = -1,
                                   std::int32_t card_position = -1);
// The same from a log row; UsageError naming "context" for a malformed context column.
std::vector<Feature> logged_card_features(std::string_view user, std::string_view item_id, std::string_view shelf,
                                          std::string_view explanation, std::string_view context,
                                          std::int32_t shelf_position, std::int32_t card_position);

}  // namespace segue::home
