#include "audio/loudness.h"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

namespace segue::audio {

namespace {

constexpr double kFloor = -70.0;            // BS.1770's absolute gate: what silence reads
constexpr std::int64_t kBlockFrames = 1 << 16;  // frames per ebur128_add_frames_float call

struct StateFree {
  void operator()(ebur128_state* state) const { ebur128_destroy(&state); }
};
using State = std::unique_ptr<ebur128_state, StateFree>;

void check(int code, const char* what) {
  if (code != EBUR128_SUCCESS) throw std::runtime_error(std::string("libebur128: ") + what + " failed (error " + std::to_string(code) + ")");
}

double floored(double value) { return std::isfinite(value) ? std::max(kFloor, value) : kFloor; }
double linear_to_db(double amplitude) { return amplitude > 0.0 ? floored(20.0 * std::log10(amplitude)) : kFloor; }

// The channel order is inferred from the count (the decoder keeps no layout):
// WAV/SMPTE order L R C LFE Ls Rs (libebur128's default) for 5.1, L R C Ls Rs
// for 5.0 (EBU Tech 3341 case 6), L R Ls Rs for quad. BS.1770-4 weighs L, R, C
// by 1 and the surrounds by 1.41 (+1.5 dB) and leaves the LFE out. 7.1 (L R C
// LFE + 4 surrounds) weighs all four rear/side channels as surrounds; channels
// past the eighth count with weight 1 (BS.1770-4 gives 1 to any channel not
// at ±60°..±120° azimuth).
int channel_role(int channels, int c) {
  switch (channels) {
    case 1: return EBUR128_LEFT;  // weight 1: a mono file reads 3 LU below the same signal on two channels
    case 2: return c == 0 ? EBUR128_LEFT : EBUR128_RIGHT;
    case 3: { constexpr int map[] = {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER}; return map[c]; }
    case 4: { constexpr int map[] = {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND}; return map[c]; }
    case 5: { constexpr int map[] = {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND}; return map[c]; }
    default: {
      constexpr int map[] = {EBUR128_LEFT, EBUR128_RIGHT, EBUR128_CENTER, EBUR128_UNUSED,
                             EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND, EBUR128_LEFT_SURROUND, EBUR128_RIGHT_SURROUND};
      return c < 8 ? map[c] : EBUR128_LEFT;
    }
  }
}

}  // namespace

Loudness measure_loudness(const AudioBuffer& audio) {
  Loudness out;
  if (audio.channels <= 0 || audio.frames() == 0) return out;
  if (audio.sample_rate <= 0) throw std::runtime_error("libebur128: sample rate must be positive");
  const int mode = EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_SAMPLE_PEAK;
  State state(ebur128_init(static_cast<unsigned>(audio.channels), static_cast<unsigned long>(audio.sample_rate), mode));
  if (!state)
    throw std::runtime_error("libebur128: init failed for " + std::to_string(audio.channels) + " channels at " +
                             std::to_string(audio.sample_rate) + " Hz");
  for (int c = 0; c < audio.channels; ++c)
    check(ebur128_set_channel(state.get(), static_cast<unsigned>(c), channel_role(audio.channels, c)), "set_channel");

  const std::int64_t frames = audio.frames();
  for (std::int64_t at = 0; at < frames; at += kBlockFrames) {
    const std::int64_t n = std::min(kBlockFrames, frames - at);
    check(ebur128_add_frames_float(state.get(), audio.samples.data() + at * audio.channels, static_cast<std::size_t>(n)),
          "add_frames_float");
  }

  double integrated = 0.0, range = 0.0;
  check(ebur128_loudness_global(state.get(), &integrated), "loudness_global");  // -HUGE_VAL when every block is gated out
  check(ebur128_loudness_range(state.get(), &range), "loudness_range");
  out.integrated_lufs = floored(integrated);
  out.range_lu = std::isfinite(range) ? std::max(0.0, range) : 0.0;

  double true_peak = 0.0, sample_peak = 0.0;
  for (int c = 0; c < audio.channels; ++c) {
    double tp = 0.0, sp = 0.0;
    check(ebur128_true_peak(state.get(), static_cast<unsigned>(c), &tp), "true_peak");
    check(ebur128_sample_peak(state.get(), static_cast<unsigned>(c), &sp), "sample_peak");
    true_peak = std::max(true_peak, tp);
    sample_peak = std::max(sample_peak, sp);
  }
  out.true_peak_dbtp = linear_to_db(true_peak);
  out.sample_peak_dbfs = linear_to_db(sample_peak);
  return out;
}

}  // namespace segue::audio
