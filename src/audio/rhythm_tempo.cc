#include "audio/rhythm_tempo.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace segue::audio {

namespace {

// Vertex of the parabola through (−1, a), (0, b), (1, c): an offset in −0.5..0.5
// when b is a local maximum.
double parabolic_offset(double a, double b, double c) {
  const double curvature = a - 2.0 * b + c;
  if (!(curvature < 0.0)) return 0.0;
  return std::clamp(0.5 * (a - c) / curvature, -0.5, 0.5);
}

// The local maximum of `ac` within ±radius of `around` (interpolated), or −1.
double peak_near(const std::vector<double>& ac, double around, int radius) {
  const int n = static_cast<int>(ac.size());
  const int centre = static_cast<int>(std::lround(around));
  const int from = std::max(1, centre - radius), to = std::min(n - 2, centre + radius);
  int best = -1;
  for (int lag = from; lag <= to; ++lag)
    if (best < 0 || ac[static_cast<std::size_t>(lag)] > ac[static_cast<std::size_t>(best)]) best = lag;
  if (best < 0) return -1.0;
  const double a = ac[static_cast<std::size_t>(best - 1)], b = ac[static_cast<std::size_t>(best)], c = ac[static_cast<std::size_t>(best + 1)];
  if (!(b >= a && b >= c && b > 0.0)) return -1.0;
  return best + parabolic_offset(a, b, c);
}

}  // namespace

std::vector<double> envelope_autocorrelation(std::span<const float> envelope, int max_lag) {
  const int n = static_cast<int>(envelope.size());
  max_lag = std::min(max_lag, n - 1);
  if (n < 2 || max_lag < 1) return {};
  double mean = 0.0;
  for (const float v : envelope) mean += v;
  mean /= n;
  // Smoothed by a Gaussian of one frame (Ellis: 20 ms): a sharp onset falls
  // on either of two frames, and unsmoothed its autocorrelation at a period
  // between two integer lags would be split between them.
  constexpr int kRadius = 3;
  double kernel[2 * kRadius + 1];
  for (int i = -kRadius; i <= kRadius; ++i) kernel[i + kRadius] = std::exp(-0.5 * i * i);
  std::vector<double> x(static_cast<std::size_t>(n));
  for (int t = 0; t < n; ++t) {
    double sum = 0.0, weight = 0.0;
    for (int i = std::max(-kRadius, -t); i <= std::min(kRadius, n - 1 - t); ++i) {
      sum += kernel[i + kRadius] * envelope[static_cast<std::size_t>(t + i)];
      weight += kernel[i + kRadius];
    }
    x[static_cast<std::size_t>(t)] = sum / weight - mean;
  }
  // Unbiased autocorrelation (each lag averaged over its overlap), normalised by lag 0.
  std::vector<double> ac(static_cast<std::size_t>(max_lag + 1), 0.0);
  for (int lag = 0; lag <= max_lag; ++lag) {
    const double* a = x.data();
    const double* b = x.data() + lag;
    double sum = 0.0;
    for (int t = 0; t < n - lag; ++t) sum += a[t] * b[t];
    ac[static_cast<std::size_t>(lag)] = sum / (n - lag);
  }
  if (!(ac[0] > 0.0)) return {};
  const double zero = ac.front();
  for (double& v : ac) v /= zero;
  return ac;
}

TempoEstimate estimate_tempo(std::span<const float> envelope, double frame_rate, const TempoOptions& options) {
  TempoEstimate out;
  const int n = static_cast<int>(envelope.size());
  if (n < 4 || !(frame_rate > 0)) return out;
  const int min_lag = std::max(1, static_cast<int>(std::floor(60.0 * frame_rate / options.max_bpm)));
  // A period needs at least two repetitions inside the signal.
  const int max_lag = std::min(static_cast<int>(std::ceil(60.0 * frame_rate / options.min_bpm)), n / 2);
  if (max_lag <= min_lag + 1) return out;
  const int harmonics = 4;
  const int last_lag = std::min(n - 1, harmonics * max_lag + 2);

  const std::vector<double> ac = envelope_autocorrelation(envelope, last_lag);
  if (ac.empty()) return out;

  const double centre_lag = 60.0 * frame_rate / options.prior_bpm;
  int best = -1;
  double best_score = 0.0;
  for (int lag = min_lag; lag <= max_lag; ++lag) {
    const double octaves = std::log2(lag / centre_lag) / options.prior_octaves;
    const double score = ac[static_cast<std::size_t>(lag)] * std::exp(-0.5 * octaves * octaves);
    if (score > best_score) best_score = score, best = lag;
  }
  if (best < 0) return out;

  // Refine: the period from the k-th multiple's peak is k times as precise;
  // use the farthest multiple whose peak is still clearly there.
  double period = best;
  if (best > 0 && best + 1 <= last_lag) {
    const double a = ac[static_cast<std::size_t>(best - 1)], b = ac[static_cast<std::size_t>(best)], c = ac[static_cast<std::size_t>(best + 1)];
    if (b >= a && b >= c) period = best + parabolic_offset(a, b, c);
  }
  const double first_peak = ac[static_cast<std::size_t>(best)];
  for (int k = 2; k <= harmonics; ++k) {
    const double peak = peak_near(ac, k * period, 1 + k / 2);
    if (peak < 0.0 || ac[static_cast<std::size_t>(std::lround(peak))] < 0.5 * first_peak) break;
    period = peak / k;
  }
  out.period = period;
  out.bpm = 60.0 * frame_rate / period;
  out.confidence = std::clamp(first_peak, 0.0, 1.0);
  return out;
}

}  // namespace segue::audio
