// The service tests' fixture: the served world (served_world.h), a store and fitted model files.
#pragma once

#include <memory>
#include <string>

#include "data/store.h"
#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "served_world.h"
#include "test_util.h"

namespace segue::testing {

// Fits `spec` on the whole world and saves it; returns the model file path.
inline std::string fit_and_save(const Dataset& world, const std::string& spec, const std::string& path) {
  const FeedbackMatrix train = build_feedback(world);
  auto model = make_recommender(spec);
  model->fit(train);
  model->set_id_maps(world.users, world.items);
  model->save(path);
  return path;
}

}  // namespace segue::testing
