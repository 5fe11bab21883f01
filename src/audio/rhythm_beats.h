// Beat tracking by dynamic programming (Ellis 2007; librosa's beat_track):
// the best sequence of beats maximises Σ onset strength at the beats minus
// tightness · Σ log²(interval / period) over consecutive intervals.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace segue::audio {

struct BeatOptions {
  double tightness = 100.0;  // how strongly intervals are held to the period
  bool trim = true;          // drop weak beats at the start and end (fade-in, fade-out, silence)
};

// Beat frames (increasing) for a period in frames (fractional); empty when the
// envelope is silent or the period is not positive.
std::vector<std::int64_t> track_beats(std::span<const float> envelope, double period, const BeatOptions& options = {});

}  // namespace segue::audio
