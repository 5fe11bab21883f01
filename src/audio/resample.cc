#include "audio/resample.h"

#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>

namespace segue::audio {

namespace {

double sinc(double x) { return std::abs(x) < 1e-12 ? 1.0 : std::sin(M_PI * x) / (M_PI * x); }

// The filter's value at input-sample offset u.
struct Kernel {
  double scale;       // s
  double half_width;  // in input samples: half_width / s
  double beta, norm;  // Kaiser: I0(beta)
  double operator()(double u) const {
    const double r = u / half_width;
    if (r <= -1.0 || r >= 1.0) return 0.0;
    const double window = std::cyl_bessel_i(0.0, beta * std::sqrt(1.0 - r * r)) / norm;
    return scale * sinc(scale * u) * window;
  }
};

}  // namespace

std::vector<float> resample(std::span<const float> input, int from_rate, int to_rate, const ResampleOptions& options) {
  if (from_rate <= 0 || to_rate <= 0) throw std::invalid_argument("resample: sample rates must be positive");
  if (from_rate == to_rate) return {input.begin(), input.end()};
  const std::int64_t divisor = std::gcd(from_rate, to_rate);
  const std::int64_t up = to_rate / divisor, down = from_rate / divisor;  // t = n · down / up
  const double s = std::min(1.0, static_cast<double>(to_rate) / from_rate);
  const Kernel kernel{s, options.half_width / s, options.beta, std::cyl_bessel_i(0.0, options.beta)};
  const std::int64_t reach = static_cast<std::int64_t>(std::ceil(kernel.half_width));
  const std::int64_t taps = 2 * reach + 1;
  const std::int64_t n_in = static_cast<std::int64_t>(input.size());
  const std::int64_t n_out = (n_in * up + down - 1) / down;
  // Phase p (= n · down mod up) at tap j weighs input base + j − reach, whose
  // offset from t = base + p / up is p / up − (j − reach).
  const bool tabulate = up <= 4096;
  std::vector<float> table;
  if (tabulate) {
    table.resize(static_cast<std::size_t>(up * taps));
    for (std::int64_t p = 0; p < up; ++p) {
      const double frac = static_cast<double>(p) / up;
      // Normalised per phase: the DC gain is exactly 1 whatever the phase.
      double sum = 0.0;
      for (std::int64_t j = 0; j < taps; ++j) sum += kernel(frac - static_cast<double>(j - reach));
      for (std::int64_t j = 0; j < taps; ++j)
        table[static_cast<std::size_t>(p * taps + j)] = static_cast<float>(kernel(frac - static_cast<double>(j - reach)) / sum);
    }
  }
  std::vector<float> out(static_cast<std::size_t>(n_out));
  std::vector<float> direct(tabulate ? 0 : static_cast<std::size_t>(taps));
  for (std::int64_t n = 0; n < n_out; ++n) {
    const std::int64_t position = n * down;
    const std::int64_t base = position / up, phase = position % up;
    const float* h;
    if (tabulate) {
      h = &table[static_cast<std::size_t>(phase * taps)];
    } else {
      const double frac = static_cast<double>(phase) / up;
      double sum = 0.0;
      for (std::int64_t j = 0; j < taps; ++j) sum += direct[static_cast<std::size_t>(j)] = static_cast<float>(kernel(frac - static_cast<double>(j - reach)));
      for (float& v : direct) v = static_cast<float>(v / sum);
      h = direct.data();
    }
    const std::int64_t first = base - reach;
    float acc = 0.0f;
    if (first >= 0 && first + taps <= n_in) {
      const float* x = input.data() + first;
      for (std::int64_t j = 0; j < taps; ++j) acc += h[j] * x[j];
    } else {  // edges: zeros outside the signal
      for (std::int64_t j = 0; j < taps; ++j) {
        const std::int64_t i = first + j;
        if (i >= 0 && i < n_in) acc += h[j] * input[static_cast<std::size_t>(i)];
      }
    }
    out[static_cast<std::size_t>(n)] = acc;
  }
  return out;
}

}  // namespace segue::audio
