// The service the request targets call: the service tests' served world
// (tests/served_world.h) with an itemknn model, built once per process in the
// scratch directory and the rule for an answer. Like the HTTP layer, a target turns
// the result or the refusal into JSON text: a refusal must be an ApiError
// below 500 or a UsageError (a 400); anything else, or JSON that cannot be
// written (invalid UTF-8 echoed back), would be a 500 and is a finding.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "data/error.h"
#include "data/store.h"
#include "fuzz/fuzz_input.h"
#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "serve/service.h"
#include "tests/served_world.h"

namespace segue::fuzz {

inline Service& served() {
  static Service* service = [] {
    const Dataset world = segue::testing::served_world();
    const std::string store = scratch_dir() + "/world";
    save_dataset(world, store);
    auto model = make_recommender("itemknn");
    model->fit(build_feedback(world));
    model->set_id_maps(world.users, world.items);
    const std::string path = scratch_dir() + "/world.model";
    model->save(path);
    ServiceOptions options;
    options.model_path = path;
    options.data_dir = store;
    options.ann = "exact";
    options.max_live_users = 2000;  // bounded memory over a long run
    return new Service(options);
  }();
  return *service;
}

// Writes the answer as the HTTP layer would; aborts on what would be a 500.
template <class Call>
void answer(Call call) {
  try {
    (void)call().dump();
  } catch (const ApiError& error) {
    if (error.status() >= 500) {
      std::fprintf(stderr, "segue fuzz: status %d: %s\n", error.status(), error.what());
      std::abort();
    }
    (void)nlohmann::json{{"error", error.what()}, {"field", error.field()}}.dump();
  } catch (const UsageError& error) {
    (void)nlohmann::json{{"error", error.what()}}.dump();
  }
}

}  // namespace segue::fuzz
