// The user-features CSV (`--users USERS.csv`: user_id plus friends, country,
// age, ...) against a small set of training users.
#include "data/id_map.h"
#include "features/user_features.h"
#include "fuzz/fuzz_feature_check.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  segue::fuzz::clear_scratch();
  const std::string path = segue::fuzz::write_file("users.csv", input);
  segue::IdMap users;
  for (const char* id : {"1", "2", "3", "u1", "u2"}) users.intern(id);
  try {
    segue::UserFeatureReport report;
    const segue::FeatureMatrix m = segue::build_user_features(path, users, &report);
    segue::fuzz::expect_valid(m, users.size());
  } catch (const segue::InputError& error) {
    segue::fuzz::expect_named(error);
  }
  return 0;
}
