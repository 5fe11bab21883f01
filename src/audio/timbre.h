// Timbre and energy of the mono mix from its magnitude spectrogram: MFCC
// statistics (40 Slaney mel bands, log, DCT-II, 13 coefficients), spectral
// centroid, roll-off (85%), flatness (Wiener entropy), flux, zero-crossing rate
// and RMS energy. docs/AUDIO.md gives the details and sources.
#pragma once

#include <array>
#include <span>

#include "audio/spectrum.h"

namespace segue::audio {

inline constexpr int kMfccCoefficients = 13;

struct Timbre {
  std::array<double, kMfccCoefficients> mfcc_mean{}, mfcc_std{};
  double centroid_hz = 0.0;
  double rolloff_hz = 0.0;
  double flatness = 0.0;       // 0 (tonal) .. 1 (white noise)
  double flux = 0.0;           // mean positive change of the normalised spectrum between frames
  double zero_crossing_rate = 0.0;  // crossings per sample
  double rms = 0.0;            // of the whole signal
  double rms_db = -120.0;      // 20 log10 rms, floored
  double dynamic_range_db = 0.0;  // 95th − 10th percentile of frame RMS in dB
};

Timbre analyze_timbre(const Spectrogram& spectrum, std::span<const float> mono);

}  // namespace segue::audio
