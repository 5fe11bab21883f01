// Synthetic signals with known answers for the audio tests: sines, chords of
// sines, click tracks, white noise, silence. Deterministic (seeded).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "audio/audio_buffer.h"

namespace segue::testing {

inline double midi_hz(int note) { return 440.0 * std::pow(2.0, (note - 69) / 12.0); }

// Σ amplitude · sin(2π f t) over `hz`, `seconds` long.
inline std::vector<float> tones(std::initializer_list<double> hz, double seconds, int rate, double amplitude = 0.3) {
  std::vector<float> out(static_cast<std::size_t>(seconds * rate));
  for (std::size_t n = 0; n < out.size(); ++n) {
    double v = 0.0;
    for (const double f : hz) v += amplitude * std::sin(2.0 * M_PI * f * static_cast<double>(n) / rate);
    out[n] = static_cast<float>(v);
  }
  return out;
}

// Harmonic tone of a MIDI note (6 partials, 1/k amplitudes) with a decaying
// envelope: closer to an instrument than a sine, for chroma and key tests.
inline void add_note(std::vector<float>& out, int rate, int note, double start, double length, double amplitude = 0.2) {
  const double f0 = midi_hz(note);
  const std::size_t from = static_cast<std::size_t>(start * rate);
  const std::size_t to = std::min(out.size(), static_cast<std::size_t>((start + length) * rate));
  for (std::size_t n = from; n < to; ++n) {
    const double t = static_cast<double>(n - from) / rate;
    double v = 0.0;
    for (int k = 1; k <= 6; ++k) v += std::sin(2.0 * M_PI * k * f0 * t) / k;
    out[n] += static_cast<float>(amplitude * std::exp(-2.0 * t) * v);
  }
}

// Clicks (10 ms decaying noise bursts) every 60 / bpm seconds from `offset`.
inline std::vector<float> click_track(double bpm, double seconds, int rate, double offset = 0.0, std::uint32_t seed = 7) {
  std::vector<float> out(static_cast<std::size_t>(seconds * rate), 0.0f);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  for (double t = offset; t < seconds; t += 60.0 / bpm) {
    const std::size_t at = static_cast<std::size_t>(t * rate);
    for (std::size_t k = 0; k < static_cast<std::size_t>(0.01 * rate) && at + k < out.size(); ++k)
      out[at + k] += 0.8f * noise(rng) * static_cast<float>(std::exp(-static_cast<double>(k) / (0.002 * rate)));
  }
  return out;
}

inline std::vector<float> white_noise(double seconds, int rate, double amplitude = 0.3, std::uint32_t seed = 3) {
  std::vector<float> out(static_cast<std::size_t>(seconds * rate));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> noise(-1.0f, 1.0f);
  for (float& v : out) v = static_cast<float>(amplitude) * noise(rng);
  return out;
}

inline audio::AudioBuffer mono_buffer(std::vector<float> samples, int rate) {
  audio::AudioBuffer b;
  b.sample_rate = rate;
  b.channels = 1;
  b.samples = std::move(samples);
  return b;
}

// The same signal on every channel.
inline audio::AudioBuffer multichannel(const std::vector<float>& mono, int rate, int channels) {
  audio::AudioBuffer b;
  b.sample_rate = rate;
  b.channels = channels;
  b.samples.resize(mono.size() * static_cast<std::size_t>(channels));
  for (std::size_t n = 0; n < mono.size(); ++n)
    for (int c = 0; c < channels; ++c) b.samples[n * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = mono[n];
  return b;
}

}  // namespace segue::testing
