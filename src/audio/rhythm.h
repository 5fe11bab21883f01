// Tempo and beats of the mono mix: an onset-strength envelope (half-wave
// rectified log-mel spectral flux), a tempo from its autocorrelation weighted
// by a log-Gaussian prior around 120 BPM, its half, itself or its double as
// the metrical level (rhythm_metre.h), and beat times by Ellis's (2007)
// dynamic programming. docs/AUDIO.md gives the details and sources.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "audio/rhythm_metre.h"

namespace segue::audio {

struct Rhythm {
  double bpm = 0.0;             // 0 when there is no pulse (silence, a file shorter than a few beats)
  double bpm_confidence = 0.0;  // 0..1: how much the winning period stands out
  std::vector<double> beats;    // seconds, increasing
  double onset_rate = 0.0;      // detected onsets per second
  double beat_strength = 0.0;   // mean onset strength at the beats relative to the envelope's mean (pulse clarity)
  std::vector<MetreCandidate> metre;  // the half, own and double tempo considered (rhythm_metre.h)
  std::size_t metre_choice = 0;       // which of them won
};

// With a chromagram of the same signal the metrical level also weighs harmonic
// change per beat; without one that feature is 0.
Rhythm analyze_rhythm(std::span<const float> mono, double sample_rate, const Chroma* chroma = nullptr);

}  // namespace segue::audio
