// Dataset filters run before a split: duplicate merging, weight threshold and
// k-core. Each returns a new Dataset whose ids are dense, in their old order,
// with every side array (attributes, tags, friends, context) kept aligned.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace segue {

// The shared mechanism: keeps the events where keep[e] != 0 (one entry per
// event), all users and items stay. Throws std::invalid_argument on a size mismatch.
Dataset select_events(const Dataset& data, const std::vector<char>& keep);

// Removes users (and/or items) that have no events left, renumbering densely.
// Catalogue-only items (no events) count as unused.
Dataset drop_unused(const Dataset& data, bool users, bool items);

// The (min_user, min_item)-core: repeats until every remaining user has at
// least min_user distinct items and every remaining item at least min_item
// distinct users; 0 leaves that side unconstrained. Linear in the number of events.
Dataset kcore(const Dataset& data, int min_user, int min_item);

// How events with the same (user, item, event type) are merged.
//   kKeep:  no merging.
//   kSum:   one event with the summed weight; other fields of the first one.
//   kMax:   one event with the largest weight; other fields of the first one.
//   kFirst: the first event in the user's order (import order), as it is.
//   kLast:  the last event in the user's order, as it is.
enum class Duplicates { kKeep, kSum, kMax, kFirst, kLast };

Duplicates parse_duplicates(const std::string& text);  // keep|sum|max|first|last; UsageError otherwise
const char* to_string(Duplicates duplicates);

Dataset merge_duplicates(const Dataset& data, Duplicates duplicates);

// Keeps events whose weight (1 when the data has none) is >= min_weight.
Dataset filter_min_weight(const Dataset& data, float min_weight);

struct FilterOptions {
  int kcore_users = 0;  // min distinct items per user; 0 = off
  int kcore_items = 0;  // min distinct users per item; 0 = off
  Duplicates duplicates = Duplicates::kKeep;
  float min_weight = 0;  // events below are dropped; 0 keeps every (non-negative) weight
};

// What one filter step removed.
struct FilterStep {
  std::string name;  // "duplicates", "min_weight", "kcore"
  std::int64_t events_removed = 0;
  std::int64_t users_removed = 0;
  std::int64_t items_removed = 0;
};

struct FilterReport {
  std::int64_t events_before = 0, users_before = 0, items_before = 0;
  std::int64_t events_after = 0, users_after = 0, items_after = 0;
  std::vector<FilterStep> steps;  // only the steps that ran
  std::string summary() const;    // one line per step, for the CLI
};

// duplicates -> min weight -> k-core; `report` may be null.
Dataset apply_filters(const Dataset& data, const FilterOptions& options, FilterReport* report);

}  // namespace segue
