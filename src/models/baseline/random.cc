#include "models/baseline/random.h"

#include <algorithm>
#include <vector>

namespace segue {
namespace {

std::unique_ptr<Recommender> make_random(const ModelSpec& spec) { return std::make_unique<RandomRecommender>(spec); }

// splitmix64's finaliser: a cheap, well-mixed hash of one 64-bit word.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

ModelInfo random_info() {
  return ModelInfo{"random",
                   "a random ranking per user (deterministic for a seed); the floor",
                   {int_param("seed", 42, 0, 9007199254740991.0, "seed of the per-(user, item) hash")},
                   &make_random, ""};
}

RandomRecommender::RandomRecommender(const ModelSpec& spec)
    : Recommender(spec), seed_(static_cast<std::uint64_t>(spec.get_int("seed"))) {}

void RandomRecommender::score_key(std::uint64_t key, float* out) const {
  const std::uint64_t base = mix(seed_ ^ mix(key));
  for (std::int32_t item = 0; item < n_items(); ++item)
    out[item] = static_cast<float>(mix(base ^ static_cast<std::uint64_t>(item)) >> 40) * 0x1.0p-24f;
}

void RandomRecommender::score_users(std::span<const std::int32_t> users, float* out) const {
  for (std::size_t row = 0; row < users.size(); ++row)
    score_key(static_cast<std::uint64_t>(users[row]), out + row * static_cast<std::size_t>(n_items()));
}

void RandomRecommender::score_history(std::span<const std::int32_t> items, std::span<const float>, float* out) const {
  // Order-independent key of the history, kept apart from user ids by the top bit.
  std::uint64_t key = 0;
  for (std::int32_t item : items) key += mix(static_cast<std::uint64_t>(item));
  score_key(key | (1ull << 63), out);
}

}  // namespace segue

SEGUE_REGISTER_MODEL(random, ::segue::random_info())
