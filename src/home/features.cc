// feature_index: the hashed feature space the reward model and the featurised
// policies share (src/home/bandit.h).
#include "home/bandit.h"

namespace segue::home {

std::uint32_t feature_index(std::string_view field, std::string_view name) {
  // FNV-1a 64 over field + '\0' + name: the separator keeps ("ab", "c") and
  // ("a", "bc") apart.
  std::uint64_t hash = 0xcbf29ce484222325ull;
  const auto mix = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 0x100000001b3ull;
  };
  for (const char c : field) mix(static_cast<unsigned char>(c));
  mix(0);
  for (const char c : name) mix(static_cast<unsigned char>(c));
  // Fold (xor the high bits onto the low ones) rather than truncate: FNV's low
  // bits alone mix poorly.
  constexpr std::uint64_t kMask = (std::uint64_t{1} << kFeatureBits) - 1;
  return static_cast<std::uint32_t>(((hash >> kFeatureBits) ^ hash) & kMask);
}

}  // namespace segue::home
