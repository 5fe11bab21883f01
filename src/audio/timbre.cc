#include "audio/timbre.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace segue::audio {

namespace {

constexpr int kMelBands = 40;
constexpr double kRolloffShare = 0.85;
constexpr double kSilentFrameDb = -80.0;  // frames quieter than this have no timbre (gated out)
constexpr double kRmsFloorDb = -120.0;
constexpr double kMelPowerFloor = 1e-10;  // log floor: −100 dB on |X|² (FFT scale)
constexpr double kFlatnessFloor = 1e-20;  // keeps ln() finite in empty bins

double power_db(double power) { return power > 0.0 ? std::max(kRmsFloorDb, 10.0 * std::log10(power)) : kRmsFloorDb; }

// Orthonormal DCT-II rows: c_k = s_k Σ_m x_m cos(π k (m + ½) / M).
std::vector<double> dct_matrix() {
  std::vector<double> rows(static_cast<std::size_t>(kMfccCoefficients * kMelBands));
  for (int k = 0; k < kMfccCoefficients; ++k) {
    const double scale = std::sqrt((k == 0 ? 1.0 : 2.0) / kMelBands);
    for (int m = 0; m < kMelBands; ++m)
      rows[static_cast<std::size_t>(k * kMelBands + m)] = scale * std::cos(M_PI * k * (m + 0.5) / kMelBands);
  }
  return rows;
}

// Linear interpolation between order statistics (numpy's default percentile).
double percentile(std::vector<double>& values, double q) {
  const double at = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(at);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
  const double below = values[lo];
  if (lo + 1 >= values.size()) return below;
  const double above = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1, values.end());
  return below + (at - static_cast<double>(lo)) * (above - below);
}

void mfcc_statistics(const Spectrogram& spectrum, Timbre& out) {
  const auto filters = mel_filter_bank(kMelBands, spectrum.frame_size, spectrum.sample_rate, 0.0, spectrum.sample_rate / 2.0);
  const auto mel = mel_spectrogram(spectrum, filters, kMelBands);
  const auto dct = dct_matrix();
  std::array<double, kMelBands> log_mel{};
  std::array<double, kMfccCoefficients> sum{}, sum_sq{};
  for (std::int64_t k = 0; k < spectrum.frames; ++k) {
    const float* row = mel.data() + k * kMelBands;
    for (int m = 0; m < kMelBands; ++m) log_mel[static_cast<std::size_t>(m)] = 10.0 * std::log10(std::max<double>(kMelPowerFloor, row[m]));
    for (int c = 0; c < kMfccCoefficients; ++c) {
      double v = 0.0;
      const double* basis = dct.data() + c * kMelBands;
      for (int m = 0; m < kMelBands; ++m) v += basis[m] * log_mel[static_cast<std::size_t>(m)];
      sum[static_cast<std::size_t>(c)] += v;
      sum_sq[static_cast<std::size_t>(c)] += v * v;
    }
  }
  const double n = static_cast<double>(std::max<std::int64_t>(1, spectrum.frames));
  for (std::size_t c = 0; c < kMfccCoefficients; ++c) {
    out.mfcc_mean[c] = sum[c] / n;
    out.mfcc_std[c] = std::sqrt(std::max(0.0, sum_sq[c] / n - out.mfcc_mean[c] * out.mfcc_mean[c]));
  }
}

// Centroid, roll-off and flux per frame, averaged over the frames with sound;
// flatness of their mean power spectrum; the spread of the frames' RMS.
void spectral_shape(const Spectrogram& spectrum, Timbre& out) {
  const int bins = spectrum.bins;
  const auto nb = static_cast<std::size_t>(bins);
  const double hz_per_bin = spectrum.sample_rate / spectrum.frame_size;
  // Parseval for a one-sided spectrum of a Hann-windowed frame: RMS² = Σ|x w|² / Σ w², Σ w² = 3N/8.
  const double frame_power_scale = 1.0 / (static_cast<double>(spectrum.frame_size) * 3.0 * spectrum.frame_size / 8.0);
  std::vector<double> mean_power(nb, 0.0), previous(nb, 0.0), current(nb, 0.0), frame_db;
  frame_db.reserve(static_cast<std::size_t>(spectrum.frames));
  double centroid = 0.0, rolloff = 0.0, flux = 0.0;
  std::int64_t sounding = 0, flux_pairs = 0;
  bool previous_valid = false;
  for (std::int64_t k = 0; k < spectrum.frames; ++k) {
    const auto frame = spectrum.frame(k);
    double magnitude_sum = 0.0, weighted_hz = 0.0, power_sum = 0.0;
    for (int b = 0; b < bins; ++b) {
      const double m = frame[static_cast<std::size_t>(b)], p = m * m;
      magnitude_sum += m;
      weighted_hz += m * b;
      power_sum += p;
    }
    // Every bin but DC and Nyquist stands for a pair of conjugate bins.
    const double edge_power = static_cast<double>(frame[0]) * frame[0] + static_cast<double>(frame[nb - 1]) * frame[nb - 1];
    const double two_sided = 2.0 * power_sum - edge_power;
    // Flux: the positive change of the L1-normalised spectrum (a silent frame normalises to zeros).
    const double inverse_l1 = magnitude_sum > 0.0 ? 1.0 / magnitude_sum : 0.0;
    double rise = 0.0;
    for (std::size_t b = 0; b < nb; ++b) {
      current[b] = frame[b] * inverse_l1;
      const double d = current[b] - previous[b];
      if (d > 0.0) rise += d * d;
    }
    if (previous_valid) flux += std::sqrt(rise), ++flux_pairs;
    previous.swap(current);
    previous_valid = true;

    const double level_db = power_db(two_sided * frame_power_scale);
    if (level_db <= kSilentFrameDb) continue;
    ++sounding;
    frame_db.push_back(level_db);
    centroid += hz_per_bin * weighted_hz / magnitude_sum;
    double cumulative = 0.0;
    int edge = bins - 1;
    for (int b = 0; b < bins; ++b) {
      cumulative += static_cast<double>(frame[static_cast<std::size_t>(b)]) * frame[static_cast<std::size_t>(b)];
      if (cumulative >= kRolloffShare * power_sum) { edge = b; break; }
    }
    rolloff += spectrum.bin_hz(edge);
    for (std::size_t b = 0; b < nb; ++b) mean_power[b] += static_cast<double>(frame[b]) * frame[b];
  }
  out.flux = flux_pairs > 0 ? flux / static_cast<double>(flux_pairs) : 0.0;
  if (sounding == 0) return;  // silence: zeros
  out.centroid_hz = centroid / static_cast<double>(sounding);
  out.rolloff_hz = rolloff / static_cast<double>(sounding);
  // Wiener entropy of the frames' mean power spectrum (Welch): one periodogram's
  // bins scatter so much that white noise would read e^−γ ≈ 0.56, not 1.
  double log_sum = 0.0, arithmetic = 0.0;
  for (const double p : mean_power) log_sum += std::log(p + kFlatnessFloor), arithmetic += p;
  arithmetic /= static_cast<double>(bins);
  out.flatness = std::clamp(std::exp(log_sum / bins) / (arithmetic + kFlatnessFloor), 0.0, 1.0);
  out.dynamic_range_db = percentile(frame_db, 0.95) - percentile(frame_db, 0.10);
}

void waveform_statistics(std::span<const float> mono, Timbre& out) {
  if (mono.empty()) return;
  double energy = 0.0;
  std::int64_t crossings = 0;
  bool positive = mono[0] >= 0.0f;
  for (const float x : mono) {
    energy += static_cast<double>(x) * x;
    const bool now = x >= 0.0f;
    crossings += now != positive;
    positive = now;
  }
  const double n = static_cast<double>(mono.size());
  out.zero_crossing_rate = static_cast<double>(crossings) / n;
  out.rms = std::sqrt(energy / n);
  out.rms_db = out.rms > 0.0 ? std::max(kRmsFloorDb, 20.0 * std::log10(out.rms)) : kRmsFloorDb;
}

}  // namespace

Timbre analyze_timbre(const Spectrogram& spectrum, std::span<const float> mono) {
  Timbre out;
  if (spectrum.frames > 0 && spectrum.bins > 0) {
    mfcc_statistics(spectrum, out);
    spectral_shape(spectrum, out);
  }
  waveform_statistics(mono, out);
  return out;
}

}  // namespace segue::audio
