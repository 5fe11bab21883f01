// Global tempo from an onset envelope: the autocorrelation of the mean-removed
// envelope, weighted by a log-Gaussian prior on the beat period (Ellis 2007),
// its best lag refined by parabolic interpolation and by the peaks at 2, 3 and
// 4 periods (whose quantisation error is that much smaller per period).
#pragma once

#include <span>
#include <vector>

namespace segue::audio {

struct TempoOptions {
  double min_bpm = 30.0, max_bpm = 300.0;
  double prior_bpm = 120.0;      // centre of the prior
  double prior_octaves = 1.0;    // its standard deviation, in octaves of tempo
};

struct TempoEstimate {
  double bpm = 0.0;         // 0 when no lag correlates positively
  double period = 0.0;      // frames per beat (fractional)
  double confidence = 0.0;  // normalised autocorrelation at the period, clamped to 0..1
};

// The autocorrelation of the envelope, mean removed and smoothed over ±3 frames,
// for lags 0..max_lag (fewer when the envelope is shorter), normalised so that
// lag 0 is 1; empty when the envelope is constant.
std::vector<double> envelope_autocorrelation(std::span<const float> envelope, int max_lag);

TempoEstimate estimate_tempo(std::span<const float> envelope, double frame_rate, const TempoOptions& options = {});

}  // namespace segue::audio
