// Shelf candidate generators: for one listener, each configured shelf offers
// its candidates (items with the reason a card would show), through the same
// library request the CLI and the server use (ServingModel::recommend). What
// the generators need beyond the model (artists' tracks, the newest items,
// friends) is indexed once per served model (HomeIndex).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "home/shelf_config.h"
#include "models/top_k.h"
#include "serve/serving_model.h"

namespace segue::home {

class HomeIndex {
 public:
  explicit HomeIndex(const ServingModel& served);

  // An artist's items, most played first (empty for an unknown artist).
  std::span<const std::int32_t> artist_tracks(std::string_view artist) const;
  // Items whose first event in the store is among the latest 5% of the
  // catalogue's first appearances (at most 5,000), sorted by id; empty
  // without timestamps.
  std::span<const std::int32_t> new_releases() const { return new_releases_; }
  // Training count at or below which an item counts as less known (the
  // 90th percentile of the counts of items with plays: outside the hits).
  float less_known_threshold() const { return less_known_; }
  // The listener's friends as the model's user ids (store's social graph,
  // matched by id string); empty without one.
  std::vector<std::int32_t> friends_of(std::int32_t user) const;
  bool has_timestamps() const { return has_timestamps_; }

 private:
  const ServingModel& served_;
  std::unordered_map<std::string, std::vector<std::int32_t>> artist_tracks_;
  std::vector<std::int32_t> new_releases_;
  std::vector<std::int32_t> store_row_of_user_;  // model user -> store user row (-1)
  std::vector<std::int32_t> model_user_of_row_;  // store user row -> model user (-1)
  float less_known_ = 0.0f;
  bool has_timestamps_ = false;
};

// One listener as the generators see them.
struct Listener {
  std::string id;                     // the data's user id
  std::int32_t user = -1;             // the model's id, -1 when unknown to it
  std::vector<std::int32_t> history;  // received plays to fold in (model ids), with weights
  std::vector<float> history_weights;
  std::vector<std::int32_t> skipped;  // received skips
  std::vector<std::int32_t> touched;  // every item with a received event (never shown)
  std::vector<std::int32_t> recent;   // newest first: received plays, then training items
  int hour = -1;                      // 0..23, -1 = unknown
};

// The recent items of a listener: received plays newest first, then their
// training items (a sequence model's sequence newest first; else the most
// played first), distinct, at most `limit`.
std::vector<std::int32_t> recent_items(const ServingModel& served, std::int32_t user,
                                       std::span<const std::int32_t> received_newest_first, std::size_t limit);

// What one shelf offers.
struct ShelfCandidates {
  std::int32_t spec = 0;      // index into ShelfConfig::shelves
  std::string name;           // the spec's name
  std::string title;          // the template filled in
  std::string explanation;    // the generator's name: the explanation type of every card
  std::vector<ScoredItem> items;    // best first, by the generator's own score
  std::vector<std::string> reasons;  // one per item: the card's "because ..." text
};

// Every configured shelf that has candidates for this listener (a shelf
// without any — no friends, no timestamps, no history — is left out). Items
// the listener has (training or received) are never offered.
std::vector<ShelfCandidates> generate_shelves(const ShelfConfig& config, const ServingModel& served,
                                              const HomeIndex& index, const Listener& listener);

}  // namespace segue::home
