#include "audio/perceptual.h"

#include <algorithm>
#include <cmath>

namespace segue::audio {

namespace {

// 0 at or below `lo`, 1 at or above `hi`, linear between: a bounded, monotone
// term whose anchors say which range of the descriptor matters.
double ramp(double x, double lo, double hi) {
  if (!std::isfinite(x)) return 0.0;
  return std::clamp((x - lo) / (hi - lo), 0.0, 1.0);
}

double unit(double x) { return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0; }

// 1 at 120 BPM, falling with the distance in octaves (0.5 at about 87 and 165 BPM); 0 without a pulse.
double danceable_tempo(double bpm) {
  if (!(bpm > 0.0) || !std::isfinite(bpm)) return 0.0;
  const double octaves = std::log2(bpm / 120.0);
  return std::exp(-octaves * octaves / (2.0 * 0.4 * 0.4));
}

}  // namespace

// Weighted means of bounded terms (weights sum to 1): each score is in [0, 1]
// and monotone in every input. The anchors are set by hand, not trained (no
// labelled data here); docs/AUDIO.md gives the reasons.
Perceptual perceptual_scores(const Loudness& loudness, const Rhythm& rhythm, const Key& key, const Timbre& timbre) {
  Perceptual out;
  const double loud = ramp(loudness.integrated_lufs, -40.0, -6.0);
  const double busy = ramp(rhythm.onset_rate, 0.0, 8.0);
  const double changing = ramp(timbre.flux, 0.0, 0.15);
  const double noisy = ramp(timbre.flatness, 0.0, 0.5);
  const double bright = ramp(timbre.centroid_hz, 800.0, 4000.0);

  out.energy = 0.5 * loud + 0.2 * busy + 0.15 * changing + 0.15 * noisy;

  out.danceability = 0.35 * unit(rhythm.bpm_confidence) + 0.35 * ramp(rhythm.beat_strength, 1.0, 3.0) +
                     0.3 * danceable_tempo(rhythm.bpm);

  out.acousticness = 0.35 * (1.0 - bright) + 0.25 * (1.0 - noisy) + 0.25 * ramp(timbre.dynamic_range_db, 6.0, 30.0) +
                     0.15 * (1.0 - ramp(loudness.integrated_lufs, -24.0, -8.0));

  const double mode = key.major ? 0.5 + 0.5 * unit(key.strength) : 0.5 - 0.5 * unit(key.strength);
  out.valence = 0.4 * mode + 0.3 * ramp(rhythm.bpm, 60.0, 160.0) + 0.2 * bright + 0.1 * loud;

  out.energy = unit(out.energy), out.danceability = unit(out.danceability);
  out.acousticness = unit(out.acousticness), out.valence = unit(out.valence);
  return out;
}

}  // namespace segue::audio
