// A small synthetic training set shared by the concurrency, nested-scratch and
// partial-fit tests: users with clustered tastes (so every model has structure
// to learn), some skips (negatives) and item features (artist and tag groups).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "features/feature_matrix.h"
#include "models/feedback.h"

namespace segue::testing {

struct SyntheticData {
  FeedbackMatrix train;
  FeatureMatrix features;
};

// users × items; each user mostly plays items of one of 4 taste clusters,
// with play counts 1-5, and skips a few items of another cluster.
inline SyntheticData synthetic_data(std::int32_t users = 48, std::int32_t items = 36, std::uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < users; ++u) {
    const std::int32_t cluster = u % 4;
    for (std::int32_t i = 0; i < items; ++i) {
      const bool same = i % 4 == cluster;
      const std::uint32_t roll = rng() % 100;
      if (roll < (same ? 55u : 6u)) entries.push_back({u, i, static_cast<float>(1 + rng() % 5)});
      else if (i % 4 == (cluster + 1) % 4 && roll > 92) entries.push_back({u, i, -1.0f});
    }
  }
  SyntheticData data;
  data.train = build_feedback(users, items, entries);

  // Features: artist = item / 3 (12 artists), tag = item % 4 (the cluster) and a
  // second tag for every third item.
  FeatureMatrix& m = data.features;
  const std::int32_t artists = (items + 2) / 3;
  m.n_rows = items;
  m.n_features = artists + 5;
  m.groups = {"artist", "tag"};
  for (std::int32_t a = 0; a < artists; ++a) {
    m.names.push_back("artist=a" + std::to_string(a));
    m.group_of.push_back(0);
  }
  for (std::int32_t t = 0; t < 5; ++t) {
    m.names.push_back("tag=t" + std::to_string(t));
    m.group_of.push_back(1);
  }
  m.described.assign(static_cast<std::size_t>(items), 1);
  m.indptr = {0};
  for (std::int32_t i = 0; i < items; ++i) {
    m.indices.push_back(i / 3);
    m.indices.push_back(artists + i % 4);
    if (i % 3 == 0) m.indices.push_back(artists + 4);
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.values.assign(m.indices.size(), 1.0f);
  m.validate();
  return data;
}

}  // namespace segue::testing
