// Key: the track's mean chroma (each frame scaled to unit maximum, so loud
// passages do not outweigh the rest) correlated (Pearson) with the 24 rotations
// of a major and a minor key profile; the best correlation is the strength.
// Profiles: Temperley 2005 (Kostka–Payne corpus), which beat Krumhansl–Kessler
// on POP909 renders (docs/AUDIO.md).
#include <algorithm>
#include <array>
#include <cmath>

#include "audio/tonal.h"

namespace segue::audio {

namespace {

using Profile = std::array<double, 12>;

// Temperley, "Music and Probability" (2007) / Temperley 2005: probability that
// each scale degree occurs in a segment of a piece in that key.
constexpr Profile kMajor = {0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400};
constexpr Profile kMinor = {0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330};

// Pearson correlation of `chroma` with `profile` rotated to `tonic`.
double correlation(const std::array<double, 12>& chroma, const Profile& profile, int tonic) {
  double mean_c = 0, mean_p = 0;
  for (int i = 0; i < 12; ++i) mean_c += chroma[static_cast<std::size_t>(i)], mean_p += profile[static_cast<std::size_t>(i)];
  mean_c /= 12, mean_p /= 12;
  double cov = 0, var_c = 0, var_p = 0;
  for (int i = 0; i < 12; ++i) {
    const double c = chroma[static_cast<std::size_t>(i)] - mean_c;
    const double p = profile[static_cast<std::size_t>((i - tonic + 12) % 12)] - mean_p;
    cov += c * p, var_c += c * c, var_p += p * p;
  }
  return var_c <= 1e-12 * (mean_c * mean_c + 1e-30) || var_p <= 0 ? 0.0 : cov / std::sqrt(var_c * var_p);
}

}  // namespace

Key estimate_key(const Chroma& chroma) {
  std::array<double, 12> mean{};
  for (std::int64_t k = 0; k < chroma.frames; ++k) {
    const float* row = chroma.values.data() + k * 12;
    const float peak = *std::max_element(row, row + 12);
    if (!(peak > 0.0f)) continue;
    for (int i = 0; i < 12; ++i) mean[static_cast<std::size_t>(i)] += row[i] / peak;
  }
  Key best;  // C major, strength 0: what silence reports
  for (int tonic = 0; tonic < 12; ++tonic)
    for (const bool major : {true, false}) {
      const double r = correlation(mean, major ? kMajor : kMinor, tonic);
      if (r > best.strength) best = {tonic, major, r};
    }
  return best;
}

}  // namespace segue::audio
