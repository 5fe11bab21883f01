// Harmonic pitch-class profile (HPCP, Gómez 2006) per STFT frame: spectral
// peaks between 55 Hz and 5 kHz, each spread over the pitch classes of the
// fundamentals it may be a partial of, with a cos² window around each pitch
// class so that slightly detuned notes still count. The reference tuning is
// estimated from the peaks themselves (weighted circular mean of their
// deviation from equal temperament around A = 440 Hz).
#include <algorithm>
#include <cmath>

#include "audio/spectrum.h"
#include "audio/tonal.h"

namespace segue::audio {

namespace {

constexpr double kMinHz = 55.0, kMaxHz = 5000.0;
constexpr double kWindowSeconds = 0.37;       // ≈ 8192 samples at 22,050 Hz: resolves semitones down to ~100 Hz
constexpr double kHalfWidth = 2.0 / 3.0;      // semitones each side of a pitch class that a peak reaches
constexpr int kHarmonics = 4;                 // a peak counts for f, f/2, f/3, f/4 …
constexpr double kHarmonicDecay = 0.6;        // … with weights 1, 0.6, 0.36, 0.216
constexpr double kRelativeFloor = 0.01;       // peaks below −40 dB of the frame's largest are sidelobes or noise
constexpr double kAbsoluteFloor = 1e-5;       // a sine of this amplitude is silence

struct Peak {
  float semitones;  // above A4 (440 Hz), fractional
  float magnitude;
  std::int32_t frame;
};

int frame_size_for(double sample_rate) {
  const double target = kWindowSeconds * sample_rate;
  int size = 256;
  while (size * 1.5 < target) size *= 2;  // the power of two nearest the target
  return size;
}

}  // namespace

const char* pitch_class_name(int pitch_class) {
  static const char* const names[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  return names[((pitch_class % 12) + 12) % 12];
}

Chroma chromagram(std::span<const float> mono, double sample_rate) {
  const int size = frame_size_for(sample_rate);
  const Spectrogram spectrum = stft_magnitude(mono, sample_rate, size, size / 4);
  Chroma out;
  out.hop_seconds = spectrum.hop / sample_rate;
  out.frames = spectrum.frames;
  out.values.assign(static_cast<std::size_t>(out.frames * 12), 0.0f);

  // Peaks with parabolic interpolation on log magnitudes (accurate to a few
  // cents with a Hann window).
  const int lo = std::max(2, static_cast<int>(kMinHz * size / sample_rate));
  const int hi = std::min(spectrum.bins - 2, static_cast<int>(kMaxHz * size / sample_rate) + 1);
  const float floor = static_cast<float>(kAbsoluteFloor * size / 4);  // |X| of that sine under the Hann window
  std::vector<Peak> peaks;
  peaks.reserve(static_cast<std::size_t>(out.frames) * 32);
  for (std::int64_t k = 0; k < spectrum.frames; ++k) {
    const float* m = spectrum.frame(k).data();
    const float loudest = *std::max_element(m + lo, m + hi + 1);
    const float threshold = std::max(floor, static_cast<float>(kRelativeFloor) * loudest);
    for (int b = lo; b <= hi; ++b) {
      if (m[b] <= threshold || m[b] <= m[b - 1] || m[b] < m[b + 1]) continue;
      const double a = std::log(std::max(m[b - 1], 1e-12f)), c = std::log(m[b]), d = std::log(std::max(m[b + 1], 1e-12f));
      const double denominator = a - 2 * c + d;
      const double offset = denominator < 0 ? 0.5 * (a - d) / denominator : 0.0;
      const double hz = (b + offset) * sample_rate / size;
      const double magnitude = std::exp(c - 0.25 * (a - d) * offset);
      peaks.push_back({static_cast<float>(12.0 * std::log2(hz / 440.0)), static_cast<float>(magnitude), static_cast<std::int32_t>(k)});
    }
  }

  // Tuning: where the peaks sit between the equal-tempered semitones.
  double sin_sum = 0, cos_sum = 0;
  for (const Peak& p : peaks) {
    const double phase = 2 * M_PI * (p.semitones - std::round(p.semitones));
    sin_sum += p.magnitude * std::sin(phase);
    cos_sum += p.magnitude * std::cos(phase);
  }
  const double tuning = sin_sum == 0 && cos_sum == 0 ? 0.0 : std::atan2(sin_sum, cos_sum) / (2 * M_PI);

  double harmonic_shift[kHarmonics], harmonic_weight[kHarmonics];
  for (int h = 0; h < kHarmonics; ++h) {
    harmonic_shift[h] = 12.0 * std::log2(h + 1.0);
    harmonic_weight[h] = std::pow(kHarmonicDecay, h);
  }
  const double min_semitones = 12.0 * std::log2(kMinHz / 440.0);
  for (const Peak& p : peaks) {
    float* row = out.values.data() + static_cast<std::size_t>(p.frame) * 12;
    for (int h = 0; h < kHarmonics; ++h) {
      const double pitch = p.semitones - tuning - harmonic_shift[h];
      if (pitch < min_semitones) break;
      const double position = pitch + 9.0;  // semitones above a C
      const double nearest = std::round(position);
      const int pc = ((static_cast<int>(nearest) % 12) + 12) % 12;
      const double d = position - nearest;  // in [−½, ½]
      const double scale = p.magnitude * harmonic_weight[h];
      const auto add = [&](int pitch_class, double distance) {
        if (std::abs(distance) >= kHalfWidth) return;
        const double w = std::cos(0.5 * M_PI * distance / kHalfWidth);
        row[pitch_class] += static_cast<float>(scale * w * w);
      };
      add(pc, d);
      add(d > 0 ? (pc + 1) % 12 : (pc + 11) % 12, d > 0 ? 1.0 - d : -1.0 - d);
    }
  }
  return out;
}

}  // namespace segue::audio
