#include "deep/audio_augment.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "audio/reencode.h"
#include "audio/resample.h"

namespace segue::audio {
namespace {

double uniform(Rng& rng, double lo, double hi) { return lo + (hi - lo) * rng.unit(); }

double gaussian(Rng& rng) {  // Box–Muller
  const double u = 1.0 - rng.unit();  // (0, 1]
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * rng.unit());
}

double rms(std::span<const float> x) {
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return x.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(x.size()));
}

}  // namespace

std::vector<float> plain_excerpt(std::span<const float> track, std::int64_t start, int samples) {
  std::vector<float> out(static_cast<std::size_t>(samples), 0.0f);
  const auto n = static_cast<std::int64_t>(track.size());
  for (std::int64_t i = std::max<std::int64_t>(0, -start); i < samples && start + i < n; ++i)
    out[static_cast<std::size_t>(i)] = track[static_cast<std::size_t>(start + i)];
  return out;
}

void apply_biquad(std::span<float> signal, BiquadKind kind, double f0_hz, double gain_db, double q, int rate) {
  const double a = std::pow(10.0, gain_db / 40.0);
  const double w0 = 2.0 * std::numbers::pi * f0_hz / rate;
  const double cw = std::cos(w0), alpha = std::sin(w0) / (2.0 * q);
  double b0, b1, b2, a0, a1, a2;
  if (kind == BiquadKind::kPeak) {
    b0 = 1 + alpha * a, b1 = -2 * cw, b2 = 1 - alpha * a;
    a0 = 1 + alpha / a, a1 = -2 * cw, a2 = 1 - alpha / a;
  } else {
    const double s = 2.0 * std::sqrt(a) * alpha;
    const double sign = kind == BiquadKind::kLowShelf ? 1.0 : -1.0;  // the high shelf mirrors the low one
    b0 = a * ((a + 1) - sign * (a - 1) * cw + s);
    b1 = sign * 2 * a * ((a - 1) - sign * (a + 1) * cw);
    b2 = a * ((a + 1) - sign * (a - 1) * cw - s);
    a0 = (a + 1) + sign * (a - 1) * cw + s;
    a1 = -sign * 2 * ((a - 1) + sign * (a + 1) * cw);
    a2 = (a + 1) + sign * (a - 1) * cw - s;
  }
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (float& v : signal) {
    const double x = v;
    const double y = (b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2) / a0;
    x2 = x1, x1 = x, y2 = y1, y1 = y;
    v = static_cast<float>(y);
  }
}

std::vector<float> augmented_excerpt(std::span<const float> track, std::int64_t start, int samples, int rate,
                                     Rng& rng, const AugmentOptions& options) {
  // Speed in steps of 0.005 keeps from_rate / rate a small fraction (few polyphase phases).
  const int steps = static_cast<int>(std::floor(options.max_speed / 0.005 + 1e-9));
  const int step = steps > 0 ? static_cast<int>(rng.below(2 * steps + 1)) - steps : 0;
  const int from_rate = static_cast<int>(std::lround(rate * (1.0 + 0.005 * step)));
  std::vector<float> out;
  if (from_rate == rate) {
    out = plain_excerpt(track, start, samples);
  } else {
    constexpr int kMargin = 64;  // source samples on each side, so the filter's edges fall outside the excerpt
    const auto source_samples = static_cast<int>(std::ceil(static_cast<double>(samples) * from_rate / rate)) + 2 * kMargin;
    const std::vector<float> source = plain_excerpt(track, start - kMargin, source_samples);
    const std::vector<float> played = resample(source, from_rate, rate);
    const auto skip = static_cast<std::int64_t>(std::lround(static_cast<double>(kMargin) * rate / from_rate));
    out = plain_excerpt(played, skip, samples);
  }
  const double gain = std::pow(10.0, uniform(rng, -options.max_gain_db, options.max_gain_db) / 20.0);
  for (float& v : out) v = static_cast<float>(v * gain);
  const auto kind = static_cast<BiquadKind>(rng.below(3));
  const double f0 = 60.0 * std::pow(100.0, rng.unit());  // 60 Hz .. 6 kHz, log-uniform
  apply_biquad(out, kind, std::min(f0, 0.45 * rate), uniform(rng, -options.max_eq_db, options.max_eq_db),
               kind == BiquadKind::kPeak ? uniform(rng, 0.7, 2.0) : 0.7071, rate);
  if (options.reencode_probability > 0.0 && rng.unit() < options.reencode_probability) {
    static const std::vector<LossyCodec> codecs = [] {
      std::vector<LossyCodec> out;
      for (const LossyCodec c : {LossyCodec::kVorbis, LossyCodec::kMp3})
        if (can_reencode(c)) out.push_back(c);
      return out;
    }();
    if (!codecs.empty()) {
      const LossyCodec codec = codecs[rng.below(codecs.size())];
      out = reencode(out, rate, codec, uniform(rng, options.min_quality, options.max_quality));
    }
  }
  const double snr_db = uniform(rng, options.min_snr_db, options.max_snr_db);
  const double noise = std::max(rms(out), 1e-4) * std::pow(10.0, -snr_db / 20.0);
  for (float& v : out) v = static_cast<float>(v + noise * gaussian(rng));
  return out;
}

}  // namespace segue::audio
