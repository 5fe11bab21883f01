// Onset strength (Ellis 2007; librosa's onset_strength): the half-wave
// rectified first difference of the log-mel spectrogram, averaged over bands,
// one value per STFT frame; and onsets picked from its peaks.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace segue::audio {

struct OnsetEnvelope {
  double frame_rate = 0.0;      // envelope frames per second (sample rate / hop)
  std::vector<float> strength;  // ≥ 0; frame k describes time k / frame_rate
};

struct OnsetOptions {
  int mels = 64;
  double top_db = 80.0;          // bands more than this below the loudest value are floored
  double frame_seconds = 0.093;  // FFT size ≈ 2048 at 22,050 Hz (rounded to a power of two)
  double hop_seconds = 0.0232;   // ≈ 512 samples at 22,050 Hz
};

// Empty input gives an empty envelope; silence gives zeros.
OnsetEnvelope onset_strength(std::span<const float> mono, double sample_rate, const OnsetOptions& options = {});

// Frames of onsets: local maxima of the envelope (over ±30 ms) that exceed
// the mean of the surrounding ±100 ms by `delta` (on the envelope scaled to
// 0..1), at least 30 ms apart (librosa's onset_detect parameters).
std::vector<std::int64_t> pick_onsets(const OnsetEnvelope& envelope, double delta = 0.07);

}  // namespace segue::audio
