// Short-time Fourier transform magnitudes with FFTW (single precision): Hann
// window, frames centred at k · hop (the signal is zero-padded by half a frame
// at both ends, as librosa's center=True), contiguous frames × bins floats.
// FFTW's planner is not thread-safe; plans are made once per size under a lock
// and executed from any thread on per-call buffers (FFTW's new-array execute).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace segue::audio {

struct Spectrogram {
  double sample_rate = 0;
  int frame_size = 0;  // FFT size (samples)
  int hop = 0;         // samples between frames
  std::int64_t frames = 0;
  int bins = 0;                   // frame_size / 2 + 1
  std::vector<float> magnitude;   // frames × bins, |X|

  std::span<const float> frame(std::int64_t k) const {
    return {magnitude.data() + k * bins, static_cast<std::size_t>(bins)};
  }
  double bin_hz(int bin) const { return bin * sample_rate / frame_size; }
  double frame_seconds(std::int64_t k) const { return static_cast<double>(k) * hop / sample_rate; }
};

// frame_size a power of two ≥ 16; hop ≥ 1. An empty signal gives one silent frame.
Spectrogram stft_magnitude(std::span<const float> signal, double sample_rate, int frame_size, int hop);

// A triangular mel filter bank (Slaney's mel scale and area normalisation, as
// librosa's defaults): n_mels × bins weights, row-major.
std::vector<float> mel_filter_bank(int n_mels, int frame_size, double sample_rate, double f_min, double f_max);

// Mel band energies (power spectrum × filters): frames × n_mels.
std::vector<float> mel_spectrogram(const Spectrogram& spectrum, std::span<const float> filters, int n_mels);

}  // namespace segue::audio
