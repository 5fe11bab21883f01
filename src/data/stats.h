// Descriptive statistics of a dataset: what `segue stats` prints and what a
// user checks first after an import.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"

namespace segue {

struct Distribution {
  std::int64_t min = 0, median = 0, max = 0;
  double mean = 0;
};

struct DatasetStats {
  std::int64_t users = 0, items = 0, interactions = 0;
  std::int64_t pairs = 0;  // distinct (user, item)
  double density = 0;      // interactions / (users × items)
  std::int64_t users_with_events = 0, items_with_events = 0;
  Distribution events_per_user, users_per_item;
  std::vector<std::pair<std::string, std::int64_t>> events_by_type;
  bool has_weights = false, has_timestamps = false, has_positions = false;
  double weight_min = 0, weight_max = 0, weight_mean = 0;
  std::int64_t time_min = 0, time_max = 0;
  std::int64_t sessions = 0, friend_edges = 0;
  std::vector<std::string> context_columns, user_columns, item_columns;
  std::int64_t item_tags = 0, tag_vocabulary = 0;
  std::string source;
};

DatasetStats compute_stats(const Dataset& dataset);
nlohmann::json to_json(const DatasetStats& stats);
std::string to_text(const DatasetStats& stats);

}  // namespace segue
