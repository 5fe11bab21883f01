#include "audio/spectrum.h"

#include <fftw3.h>

#include <cmath>
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace segue::audio {

namespace {

// One r2c plan per size, made once (FFTW_ESTIMATE: no timing runs, deterministic)
// with the alignment every fftwf_malloc'd buffer has, executed concurrently.
// The plans live for the process and are destroyed at exit (so leak checkers
// see FFTW's memory returned).
struct PlanCache {
  std::mutex mutex;
  std::map<int, fftwf_plan> plans;
  ~PlanCache() {
    for (auto& [size, plan] : plans) fftwf_destroy_plan(plan);
    fftwf_cleanup();
  }
};

fftwf_plan plan_for(int size) {
  static PlanCache cache;
  std::lock_guard<std::mutex> lock(cache.mutex);
  auto& plan = cache.plans[size];
  if (plan == nullptr) {
    float* in = fftwf_alloc_real(static_cast<std::size_t>(size));
    fftwf_complex* out = fftwf_alloc_complex(static_cast<std::size_t>(size / 2 + 1));
    plan = fftwf_plan_dft_r2c_1d(size, in, out, FFTW_ESTIMATE);
    fftwf_free(in);
    fftwf_free(out);
    if (plan == nullptr) throw std::runtime_error("FFTW could not plan a transform of size " + std::to_string(size));
  }
  return plan;
}

struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};

double hz_to_mel(double hz) {  // Slaney: linear below 1 kHz, logarithmic above
  constexpr double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  return hz < min_log_hz ? hz / f_sp : min_log_mel + std::log(hz / min_log_hz) / logstep;
}

double mel_to_hz(double mel) {
  constexpr double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  return mel < min_log_mel ? mel * f_sp : min_log_hz * std::exp(logstep * (mel - min_log_mel));
}

}  // namespace

Spectrogram stft_magnitude(std::span<const float> signal, double sample_rate, int frame_size, int hop) {
  if (frame_size < 16 || (frame_size & (frame_size - 1)) != 0)
    throw std::invalid_argument("stft: frame size must be a power of two >= 16");
  if (hop < 1) throw std::invalid_argument("stft: hop must be >= 1");
  Spectrogram out;
  out.sample_rate = sample_rate;
  out.frame_size = frame_size;
  out.hop = hop;
  out.bins = frame_size / 2 + 1;
  const std::int64_t n = static_cast<std::int64_t>(signal.size());
  out.frames = 1 + n / hop;
  out.magnitude.assign(static_cast<std::size_t>(out.frames * out.bins), 0.0f);
  std::vector<float> window(static_cast<std::size_t>(frame_size));
  for (int i = 0; i < frame_size; ++i)  // periodic Hann (as scipy/librosa)
    window[static_cast<std::size_t>(i)] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * M_PI * i / frame_size));
  const fftwf_plan plan = plan_for(frame_size);
  std::unique_ptr<float, FftwFree> in(fftwf_alloc_real(static_cast<std::size_t>(frame_size)));
  std::unique_ptr<fftwf_complex, FftwFree> spectrum(fftwf_alloc_complex(static_cast<std::size_t>(out.bins)));
  const std::int64_t half = frame_size / 2;
  for (std::int64_t k = 0; k < out.frames; ++k) {
    const std::int64_t start = k * hop - half;
    float* x = in.get();
    if (start >= 0 && start + frame_size <= n) {
      for (int i = 0; i < frame_size; ++i) x[i] = signal[static_cast<std::size_t>(start + i)] * window[static_cast<std::size_t>(i)];
    } else {
      for (int i = 0; i < frame_size; ++i) {
        const std::int64_t at = start + i;
        x[i] = at >= 0 && at < n ? signal[static_cast<std::size_t>(at)] * window[static_cast<std::size_t>(i)] : 0.0f;
      }
    }
    fftwf_execute_dft_r2c(plan, x, spectrum.get());
    float* row = out.magnitude.data() + k * out.bins;
    for (int b = 0; b < out.bins; ++b) row[b] = std::hypot(spectrum.get()[b][0], spectrum.get()[b][1]);
  }
  return out;
}

std::vector<float> mel_filter_bank(int n_mels, int frame_size, double sample_rate, double f_min, double f_max) {
  if (n_mels < 1 || f_max <= f_min || f_min < 0) throw std::invalid_argument("mel_filter_bank: bad band limits");
  const int bins = frame_size / 2 + 1;
  std::vector<double> edges(static_cast<std::size_t>(n_mels + 2));
  const double lo = hz_to_mel(f_min), hi = hz_to_mel(f_max);
  for (int m = 0; m < n_mels + 2; ++m) edges[static_cast<std::size_t>(m)] = mel_to_hz(lo + (hi - lo) * m / (n_mels + 1));
  std::vector<float> weights(static_cast<std::size_t>(n_mels * bins), 0.0f);
  for (int m = 0; m < n_mels; ++m) {
    const double left = edges[static_cast<std::size_t>(m)], centre = edges[static_cast<std::size_t>(m + 1)],
                 right = edges[static_cast<std::size_t>(m + 2)];
    const double area = 2.0 / (right - left);  // Slaney normalisation: constant energy per band
    for (int b = 0; b < bins; ++b) {
      const double hz = b * sample_rate / frame_size;
      const double rise = (hz - left) / (centre - left), fall = (right - hz) / (right - centre);
      const double w = std::max(0.0, std::min(rise, fall));
      weights[static_cast<std::size_t>(m * bins + b)] = static_cast<float>(w * area);
    }
  }
  return weights;
}

std::vector<float> mel_spectrogram(const Spectrogram& spectrum, std::span<const float> filters, int n_mels) {
  const int bins = spectrum.bins;
  if (filters.size() != static_cast<std::size_t>(n_mels) * static_cast<std::size_t>(bins))
    throw std::invalid_argument("mel_spectrogram: filter bank does not match the spectrogram's bins");
  // Each filter is non-zero over a short run of bins: find it once.
  std::vector<int> first(static_cast<std::size_t>(n_mels), bins), last(static_cast<std::size_t>(n_mels), 0);
  for (int m = 0; m < n_mels; ++m)
    for (int b = 0; b < bins; ++b)
      if (filters[static_cast<std::size_t>(m * bins + b)] > 0.0f)
        first[static_cast<std::size_t>(m)] = std::min(first[static_cast<std::size_t>(m)], b), last[static_cast<std::size_t>(m)] = b + 1;
  std::vector<float> out(static_cast<std::size_t>(spectrum.frames * n_mels));
  std::vector<float> power(static_cast<std::size_t>(bins));
  for (std::int64_t k = 0; k < spectrum.frames; ++k) {
    const auto frame = spectrum.frame(k);
    for (int b = 0; b < bins; ++b) power[static_cast<std::size_t>(b)] = frame[static_cast<std::size_t>(b)] * frame[static_cast<std::size_t>(b)];
    for (int m = 0; m < n_mels; ++m) {
      float sum = 0.0f;
      const float* w = filters.data() + static_cast<std::size_t>(m) * static_cast<std::size_t>(bins);
      for (int b = first[static_cast<std::size_t>(m)]; b < last[static_cast<std::size_t>(m)]; ++b) sum += w[b] * power[static_cast<std::size_t>(b)];
      out[static_cast<std::size_t>(k * n_mels + m)] = sum;
    }
  }
  return out;
}

}  // namespace segue::audio
