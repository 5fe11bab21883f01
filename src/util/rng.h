// splitmix64: the small, fast, seedable generator the SGD models (bpr, hybrid)
// draw sample indices with — one per thread, seeded from (seed, thread), so a
// one-thread fit is deterministic.
#pragma once

#include <cstdint>

namespace segue {

inline std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(splitmix64_mix(seed + 0x9E3779B97F4A7C15ull)) {}
  std::uint64_t next() { return splitmix64_mix(state_ += 0x9E3779B97F4A7C15ull); }
  // Uniform in [0, n) for n < 2^32 (multiply-shift; bias < n / 2^32).
  std::uint32_t below(std::uint64_t n) { return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32); }
  float unit() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }  // [0, 1)

 private:
  std::uint64_t state_;
};

}  // namespace segue
