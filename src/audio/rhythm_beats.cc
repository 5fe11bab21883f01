#include "audio/rhythm_beats.h"

#include <algorithm>
#include <cmath>

namespace segue::audio {

namespace {

// The envelope in units of its standard deviation, smoothed by a Gaussian of
// period / 32 frames (librosa): a beat's reward.
std::vector<double> local_score(std::span<const float> envelope, double period) {
  const std::size_t n = envelope.size();
  double mean = 0.0, square = 0.0;
  for (const float v : envelope) mean += v;
  mean /= static_cast<double>(n);
  for (const float v : envelope) square += (v - mean) * (v - mean);
  const double sd = std::sqrt(square / static_cast<double>(std::max<std::size_t>(1, n - 1)));
  std::vector<double> score(n, 0.0);
  if (!(sd > 0.0)) return score;
  const int half = static_cast<int>(std::lround(period));
  std::vector<double> kernel(static_cast<std::size_t>(2 * half + 1));
  for (int i = -half; i <= half; ++i) {
    const double z = i * 32.0 / period;
    kernel[static_cast<std::size_t>(i + half)] = std::exp(-0.5 * z * z);
  }
  const std::int64_t len = static_cast<std::int64_t>(n);
  for (std::int64_t t = 0; t < len; ++t) {
    double sum = 0.0;
    const std::int64_t from = std::max<std::int64_t>(-half, -t), to = std::min<std::int64_t>(half, len - 1 - t);
    for (std::int64_t i = from; i <= to; ++i) sum += kernel[static_cast<std::size_t>(i + half)] * envelope[static_cast<std::size_t>(t + i)];
    score[static_cast<std::size_t>(t)] = sum / sd;
  }
  return score;
}

// The last beat: the last local maximum of the cumulative score above half the
// median of those maxima (a track can end in silence).
std::int64_t last_beat(const std::vector<double>& cumulative) {
  const std::int64_t n = static_cast<std::int64_t>(cumulative.size());
  std::vector<double> maxima;
  const auto is_max = [&](std::int64_t t) {
    const double v = cumulative[static_cast<std::size_t>(t)];
    return (t == 0 || v > cumulative[static_cast<std::size_t>(t - 1)]) && (t == n - 1 || v >= cumulative[static_cast<std::size_t>(t + 1)]);
  };
  for (std::int64_t t = 0; t < n; ++t)
    if (is_max(t)) maxima.push_back(cumulative[static_cast<std::size_t>(t)]);
  if (maxima.empty()) return n - 1;
  std::nth_element(maxima.begin(), maxima.begin() + static_cast<std::ptrdiff_t>(maxima.size() / 2), maxima.end());
  const double median = maxima[maxima.size() / 2];
  for (std::int64_t t = n - 1; t >= 0; --t)
    if (is_max(t) && 2.0 * cumulative[static_cast<std::size_t>(t)] > median) return t;
  return n - 1;
}

// Drop leading and trailing beats whose smoothed strength is under half the
// RMS strength over all beats (librosa's trim).
void trim_weak_ends(std::vector<std::int64_t>& beats, const std::vector<double>& score) {
  const std::size_t n = beats.size();
  if (n == 0) return;
  std::vector<double> strength(n);
  for (std::size_t i = 0; i < n; ++i) {  // [0.5, 1, 0.5] over neighbouring beats
    double v = score[static_cast<std::size_t>(beats[i])];
    if (i > 0) v += 0.5 * score[static_cast<std::size_t>(beats[i - 1])];
    if (i + 1 < n) v += 0.5 * score[static_cast<std::size_t>(beats[i + 1])];
    strength[i] = v;
  }
  double square = 0.0;
  for (const double v : strength) square += v * v;
  const double threshold = 0.5 * std::sqrt(square / static_cast<double>(n));
  std::size_t first = 0, last = n;
  while (first < last && strength[first] <= threshold) ++first;
  while (last > first && strength[last - 1] <= threshold) --last;
  beats = std::vector<std::int64_t>(beats.begin() + static_cast<std::ptrdiff_t>(first), beats.begin() + static_cast<std::ptrdiff_t>(last));
}

}  // namespace

std::vector<std::int64_t> track_beats(std::span<const float> envelope, double period, const BeatOptions& options) {
  std::vector<std::int64_t> beats;
  const std::int64_t n = static_cast<std::int64_t>(envelope.size());
  if (n == 0 || !(period >= 1.0)) return beats;
  const std::vector<double> score = local_score(envelope, period);
  const double strongest = *std::max_element(score.begin(), score.end());
  if (!(strongest > 0.0)) return beats;

  // Predecessors lie between period / 2 and 2 · period frames back; the
  // transition penalty depends only on the distance, so tabulate it once.
  const std::int64_t shortest = std::max<std::int64_t>(1, std::lround(period / 2.0));
  const std::int64_t longest = std::max<std::int64_t>(shortest, std::lround(2.0 * period));
  std::vector<double> penalty(static_cast<std::size_t>(longest + 1), 0.0);
  for (std::int64_t d = shortest; d <= longest; ++d) {
    const double l = std::log(static_cast<double>(d) / period);
    penalty[static_cast<std::size_t>(d)] = -options.tightness * l * l;
  }
  std::vector<double> cumulative(static_cast<std::size_t>(n));
  std::vector<std::int64_t> previous(static_cast<std::size_t>(n), -1);
  bool before_first_onset = true;  // no chain starts in the silence before the music
  for (std::int64_t t = 0; t < n; ++t) {
    double best = -1e300;
    std::int64_t from = -1;
    for (std::int64_t d = shortest; d <= longest && d <= t; ++d) {
      const double v = cumulative[static_cast<std::size_t>(t - d)] + penalty[static_cast<std::size_t>(d)];
      if (v > best) best = v, from = t - d;
    }
    const double here = score[static_cast<std::size_t>(t)];
    if (before_first_onset && here < 0.01 * strongest) from = -1;
    else before_first_onset = false;
    cumulative[static_cast<std::size_t>(t)] = here + (from >= 0 ? best : 0.0);
    previous[static_cast<std::size_t>(t)] = from;
  }
  for (std::int64_t t = last_beat(cumulative); t >= 0; t = previous[static_cast<std::size_t>(t)]) beats.push_back(t);
  std::reverse(beats.begin(), beats.end());
  if (options.trim) trim_weak_ends(beats, score);
  return beats;
}

}  // namespace segue::audio
