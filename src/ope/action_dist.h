// A context-free evaluation policy: the probability of each item at each slot
// (the same in every round), as the Open Bandit Pipeline's action_dist with
// one row tiled over the rounds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ope/logged_feedback.h"

namespace segue::ope {

struct ActionDist {
  std::int32_t n_items = 0;
  std::int32_t n_slots = 0;
  std::vector<double> prob;  // n_items × n_slots, row-major: prob[item * n_slots + slot]

  double at(std::int32_t item, std::int32_t slot) const {
    return prob[static_cast<std::size_t>(item) * static_cast<std::size_t>(n_slots) + static_cast<std::size_t>(slot)];
  }
};

// 1 / n_items for every item at every slot.
ActionDist uniform_action_dist(std::int32_t n_items, std::int32_t n_slots);

// DIST.csv (header item_id,position,prob; positions numbered like the log's):
// every prob in [0, 1], every (item, position) at most once, items and
// positions within the log's, and each position's probabilities summing to 1
// (within 1e-6). Missing pairs are 0. InputError names file, line and field
// (line 0 for a position whose sum is wrong: the fault is in no single line).
ActionDist read_action_dist(const std::string& path, const LoggedFeedback& log);

// Rows of DIST.csv for `dist`, positions numbered from `position_base`.
std::string action_dist_csv(const ActionDist& dist, std::int32_t position_base);

}  // namespace segue::ope
