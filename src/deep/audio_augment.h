// Waveform augmentations for the audio embedding's metric learning: the two
// views of a track the CNN learns to bring together differ by where they are
// cut, by speed (resampling, so tempo and pitch move together), gain, one
// random EQ band, a lossy codec round trip (Ogg Vorbis or MP3 at a random
// quality, audio/reencode.h) and white noise.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "util/rng.h"

namespace segue::audio {

struct AugmentOptions {
  double max_gain_db = 6.0;     // gain uniform in ±max_gain_db
  double max_eq_db = 9.0;       // one biquad band (low shelf, peak or high shelf), gain uniform in ±max_eq_db
  double min_snr_db = 10.0;     // white noise at an SNR uniform in [min, max] (dB, against the excerpt's RMS)
  double max_snr_db = 40.0;
  double max_speed = 0.04;      // speed factor uniform in 1 ± max_speed, in steps of 0.005
  double reencode_probability = 0.5;  // chance of a codec round trip (Vorbis or MP3, whichever libsndfile writes)
  double min_quality = 0.0;     // its VBR quality, uniform in [min, max] (0 = smallest file)
  double max_quality = 0.6;
};

// `samples` samples of `track` from `start` (zero-padded past either end).
std::vector<float> plain_excerpt(std::span<const float> track, std::int64_t start, int samples);

// An excerpt of `samples` samples beginning at `start`, played at a random
// speed f: the source span of f · samples samples is resampled as if recorded
// at f · rate (audio/resample.h), so tempo and pitch both change by f (±4% is
// ±0.7 semitone). Then gain, one random biquad EQ band, sometimes a codec
// round trip, and noise.
std::vector<float> augmented_excerpt(std::span<const float> track, std::int64_t start, int samples, int rate,
                                     Rng& rng, const AugmentOptions& options = {});

// Robert Bristow-Johnson's cookbook biquads, applied in place (direct form I).
enum class BiquadKind { kLowShelf, kPeak, kHighShelf };
void apply_biquad(std::span<float> signal, BiquadKind kind, double f0_hz, double gain_db, double q, int rate);

}  // namespace segue::audio
