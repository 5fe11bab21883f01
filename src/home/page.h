// A home page: the shelves a shelf policy picked, in its order, each with the
// cards a card policy picked from that shelf's candidates; no track twice on
// a page. Every card carries its propensity — the shelf's (that shelf at that
// row, given the rows above) × the card's (that card at that place on the
// shelf, given the cards before it and the tracks already on the page) —
// which is what the impression log records for off-policy evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "home/bandit.h"
#include "home/card_features.h"
#include "home/shelves.h"

namespace segue::home {

struct Card {
  std::int32_t item = 0;        // the model's item id
  std::string item_id;          // the data's id
  std::string reason;           // "Because you played …"
  std::int32_t card_position = 0;
  std::int32_t position = 0;    // on the page, row by row
  double propensity = 1.0;      // shelf × card
  std::int32_t mc_draws = 0;    // > 0: a Monte Carlo propensity (the larger draw count of the two)
  double predicted_reward = 0;  // the card policy's estimate
  std::string context;          // the log's context column (card_context)
};

struct PageShelf {
  std::string name;
  std::string title;
  std::string explanation;
  std::int32_t shelf_position = 0;
  double propensity = 1.0;
  std::int32_t mc_draws = 0;
  std::vector<Card> cards;
};

struct Page {
  std::string id;  // 16 hex digits
  PageContext context;
  std::vector<PageShelf> shelves;
  std::string shelf_policy, card_policy;  // specs
  std::int32_t cards() const;
};

struct PagePolicies {
  const Policy* shelves = nullptr;
  const Policy* cards = nullptr;
};

// Arranges `offered` (generate_shelves) into a page of at most
// config.max_shelves shelves. `popularity`: training count per model item
// (a card feature). Shelves left without cards after de-duplication are dropped.
Page arrange_page(const std::vector<ShelfCandidates>& offered, const ShelfConfig& config, const PageContext& context,
                  const PagePolicies& policies, std::span<const float> popularity, const IdMap& item_ids, Rng& rng);

// The stable keys of shelf and card arms (per-arm statistics: Thompson sampling).
std::uint64_t shelf_key(std::string_view shelf);
std::uint64_t card_key(std::string_view item_id, std::string_view explanation);

// The features a card was shown with (for the policy's update from its outcome).
std::vector<Feature> shown_card_features(const Page& page, const PageShelf& shelf, const Card& card);

}  // namespace segue::home
