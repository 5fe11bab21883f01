// The regression model q̂(x, a, position) that DM and the doubly robust
// estimators need: either segue's own (a per (item, position) click rate
// shrunk toward the log's overall rate) or predictions read from a file, so
// the same q̂ can be fed to another tool (the Open Bandit Pipeline) as well.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ope/logged_feedback.h"

namespace segue::ope {

struct RewardPredictions {
  std::int32_t n_items = 0;
  std::int32_t n_slots = 0;
  bool per_round = false;  // false: one n_items × n_slots table for every round
  std::vector<double> q;   // [round ×] n_items × n_slots, row-major

  double at(std::size_t round, std::int32_t item, std::int32_t slot) const {
    const std::size_t table = static_cast<std::size_t>(n_items) * static_cast<std::size_t>(n_slots);
    return q[(per_round ? round * table : 0) + static_cast<std::size_t>(item) * static_cast<std::size_t>(n_slots) +
             static_cast<std::size_t>(slot)];
  }
};

// q̂(a, k) = (clicks(a, k) + m · p̄) / (shows(a, k) + m): the posterior mean of
// a Beta prior with mean p̄ (the log's overall reward rate) and strength m
// pseudo-shows. Context-free, so it ignores the feature columns: with ~50
// clicks in 10,000 rounds there is too little signal for a contextual model
// to beat it, and DR stays unbiased whatever q̂ is. Items of the evaluation
// policy never shown get p̄. m = 0 gives the raw rate (p̄ where unshown).
RewardPredictions fit_click_rate_model(const LoggedFeedback& log, std::int32_t n_items, double prior_strength);
// The same, fitted on the listed rounds only (repeats count: a bootstrap resample).
RewardPredictions fit_click_rate_model(const LoggedFeedback& log, std::int32_t n_items, double prior_strength,
                                       std::span<const std::uint32_t> rows);

// PRED.csv, header round,item_id,position,q_hat: round = 0-based data row of
// the log, position numbered like the log's. Every (round, item < n_items,
// position) must appear exactly once with a finite q_hat; InputError naming
// file, line and field otherwise (line 0 with the first missing triple).
RewardPredictions read_reward_predictions(const std::string& path, const LoggedFeedback& log, std::int32_t n_items);

}  // namespace segue::ope
