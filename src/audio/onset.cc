#include "audio/onset.h"

#include <algorithm>
#include <cmath>

#include "audio/spectrum.h"

namespace segue::audio {

namespace {

int power_of_two_near(double samples) {
  int size = 16;
  while (size * 1.5 < samples) size *= 2;  // the power of two within ×1.5 of the target
  return size;
}

}  // namespace

OnsetEnvelope onset_strength(std::span<const float> mono, double sample_rate, const OnsetOptions& options) {
  OnsetEnvelope out;
  if (mono.empty() || !(sample_rate > 0)) return out;
  const int frame_size = power_of_two_near(options.frame_seconds * sample_rate);
  const int hop = std::max(1, static_cast<int>(std::lround(options.hop_seconds * sample_rate)));
  out.frame_rate = sample_rate / hop;
  const Spectrogram spectrum = stft_magnitude(mono, sample_rate, frame_size, hop);
  const int mels = options.mels;
  const auto filters = mel_filter_bank(mels, frame_size, sample_rate, 0.0, sample_rate / 2.0);
  std::vector<float> db = mel_spectrogram(spectrum, filters, mels);
  // Power in dB against an absolute reference (silence stays flat at the floor),
  // then floored at top_db below the loudest band so that quiet noise cannot
  // dominate the differences.
  float loudest = -100.0f;
  for (float& v : db) {
    v = 10.0f * std::log10(std::max(v, 1e-10f));
    loudest = std::max(loudest, v);
  }
  const float floor_db = loudest - static_cast<float>(options.top_db);
  for (float& v : db) v = std::max(v, floor_db);

  // Flux at frame k compares frame k with k − 1. A centred frame already sees
  // an onset half a window early, and a rise from the floor is largest when
  // the onset first enters it: delay by half a window (as librosa) so that
  // peaks sit at the onsets.
  const std::int64_t frames = spectrum.frames;
  const std::int64_t delay = frame_size / (2 * hop);
  out.strength.assign(static_cast<std::size_t>(frames), 0.0f);
  for (std::int64_t k = 1; k < frames; ++k) {
    const float* now = db.data() + k * mels;
    const float* before = now - mels;
    float flux = 0.0f;
    for (int m = 0; m < mels; ++m) flux += std::max(0.0f, now[m] - before[m]);
    const std::int64_t at = k + delay;
    if (at < frames) out.strength[static_cast<std::size_t>(at)] = flux / static_cast<float>(mels);
  }
  return out;
}

std::vector<std::int64_t> pick_onsets(const OnsetEnvelope& envelope, double delta) {
  std::vector<std::int64_t> onsets;
  const auto& e = envelope.strength;
  const std::int64_t n = static_cast<std::int64_t>(e.size());
  if (n == 0) return onsets;
  const auto [lo_it, hi_it] = std::minmax_element(e.begin(), e.end());
  const float lo = *lo_it, range = *hi_it - *lo_it;
  if (!(range > 0.0f)) return onsets;
  const auto frames_of = [&](double seconds) { return std::max<std::int64_t>(1, std::llround(seconds * envelope.frame_rate)); };
  const std::int64_t max_span = frames_of(0.03), avg_span = frames_of(0.10), wait = frames_of(0.03);
  // Prefix sums give each ±100 ms mean in O(1).
  std::vector<double> prefix(static_cast<std::size_t>(n + 1), 0.0);
  for (std::int64_t k = 0; k < n; ++k) prefix[static_cast<std::size_t>(k + 1)] = prefix[static_cast<std::size_t>(k)] + (e[static_cast<std::size_t>(k)] - lo) / range;
  std::int64_t last = -wait - 1;
  for (std::int64_t k = 0; k < n; ++k) {
    const double v = (e[static_cast<std::size_t>(k)] - lo) / range;
    const std::int64_t a = std::max<std::int64_t>(0, k - max_span), b = std::min(n - 1, k + max_span);
    bool peak = v > 0.0;
    for (std::int64_t j = a; j <= b && peak; ++j) peak = (e[static_cast<std::size_t>(j)] - lo) / range <= v;
    if (!peak || k - last <= wait) continue;
    const std::int64_t from = std::max<std::int64_t>(0, k - avg_span), to = std::min(n, k + avg_span + 1);
    const double mean = (prefix[static_cast<std::size_t>(to)] - prefix[static_cast<std::size_t>(from)]) / static_cast<double>(to - from);
    if (v >= mean + delta) {
      onsets.push_back(k);
      last = k;
    }
  }
  return onsets;
}

}  // namespace segue::audio
