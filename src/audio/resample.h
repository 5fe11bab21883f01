// Sample-rate conversion by a rational polyphase windowed-sinc filter: output
// sample n sits at input time t = n · from / to; y[n] = Σ_i x[i] g(t − i) with
// g(u) = s · sinc(s u) · kaiser(u s / half_width), s = min(1, to / from) so
// that downsampling low-passes below the new Nyquist frequency. The L = to/gcd
// phases of g are tabulated once (direct evaluation when L is huge).
#pragma once

#include <span>
#include <vector>

namespace segue::audio {

struct ResampleOptions {
  int half_width = 16;  // zero crossings of the sinc on each side (filter length ≈ 2 · half_width / s taps)
  double beta = 8.6;    // Kaiser window shape: ~ -86 dB stop band
};

std::vector<float> resample(std::span<const float> input, int from_rate, int to_rate,
                            const ResampleOptions& options = {});

}  // namespace segue::audio
