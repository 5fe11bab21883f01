#include "audio/loudness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "signals.h"

namespace segue::audio {
namespace {

constexpr int kRate = 48000;  // EBU Tech 3341/3342 signals are specified at 48 kHz

double dbfs(double db) { return std::pow(10.0, db / 20.0); }

// A 1 kHz sine whose peak per segment is the given dBFS (the Tech 3341
// convention: "−23 dBFS" is the sine's peak amplitude 10^(−23/20)), phase
// continuous across segments, on `channels` identical channels.
AudioBuffer sine_segments(const std::vector<std::pair<double, double>>& db_and_seconds, int channels, double hz = 1000.0) {
  std::vector<float> mono;
  for (const auto& [db, seconds] : db_and_seconds) {
    const double amplitude = dbfs(db);
    const std::size_t n = static_cast<std::size_t>(std::llround(seconds * kRate));
    for (std::size_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(mono.size()) / kRate;
      mono.push_back(static_cast<float>(amplitude * std::sin(2.0 * M_PI * hz * t)));
    }
  }
  return segue::testing::multichannel(mono, kRate, channels);
}

// Tech 3341 table 1, cases 1–5: stereo 1 kHz sines, expected integrated loudness ±0.1 LU.
TEST(AudioLoudness, EbuTech3341StereoCasesReadTheirIntegratedLoudness) {
  EXPECT_NEAR(measure_loudness(sine_segments({{-23, 20}}, 2)).integrated_lufs, -23.0, 0.1);
  EXPECT_NEAR(measure_loudness(sine_segments({{-33, 20}}, 2)).integrated_lufs, -33.0, 0.1);
  EXPECT_NEAR(measure_loudness(sine_segments({{-36, 10}, {-23, 60}, {-36, 10}}, 2)).integrated_lufs, -23.0, 0.1);
  EXPECT_NEAR(measure_loudness(sine_segments({{-72, 10}, {-36, 10}, {-23, 60}, {-36, 10}, {-72, 10}}, 2)).integrated_lufs,
              -23.0, 0.1);
  EXPECT_NEAR(measure_loudness(sine_segments({{-26, 20}, {-20, 20.1}, {-26, 20}}, 2)).integrated_lufs, -23.0, 0.1);
}

// Tech 3341 case 6: 5.0 (L R C Ls Rs) at −28/−28/−24/−30/−30 dBFS reads −23.0:
// the surrounds weigh +1.5 dB (BS.1770-4).
TEST(AudioLoudness, EbuTech3341FiveChannelCaseWeighsTheSurrounds) {
  const double level[] = {-28, -28, -24, -30, -30};
  const std::size_t n = 20 * kRate;
  AudioBuffer five;
  five.sample_rate = kRate;
  five.channels = 5;
  five.samples.resize(n * 5);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < 5; ++c)
      five.samples[i * 5 + c] = static_cast<float>(dbfs(level[c]) * std::sin(2.0 * M_PI * 1000.0 * static_cast<double>(i) / kRate));
  EXPECT_NEAR(measure_loudness(five).integrated_lufs, -23.0, 0.1);

  // The same as 5.1 (L R C LFE Ls Rs, WAV order) with a loud LFE: the LFE is left out.
  AudioBuffer six;
  six.sample_rate = kRate;
  six.channels = 6;
  six.samples.resize(n * 6);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < 5; ++c) six.samples[i * 6 + (c < 3 ? c : c + 1)] = five.samples[i * 5 + c];
    six.samples[i * 6 + 3] = static_cast<float>(0.9 * std::sin(2.0 * M_PI * 60.0 * static_cast<double>(i) / kRate));
  }
  EXPECT_NEAR(measure_loudness(six).integrated_lufs, -23.0, 0.1);
}

// Tech 3342 cases 1–3: two 20 s segments of a stereo 1 kHz sine; LRA ±1 LU.
TEST(AudioLoudness, EbuTech3342LoudnessRange) {
  EXPECT_NEAR(measure_loudness(sine_segments({{-20, 20}, {-30, 20}}, 2)).range_lu, 10.0, 1.0);
  EXPECT_NEAR(measure_loudness(sine_segments({{-20, 20}, {-15, 20}}, 2)).range_lu, 5.0, 1.0);
  EXPECT_NEAR(measure_loudness(sine_segments({{-40, 20}, {-20, 20}}, 2)).range_lu, 20.0, 1.0);
  EXPECT_NEAR(measure_loudness(sine_segments({{-23, 20}}, 2)).range_lu, 0.0, 0.5);
}

TEST(AudioLoudness, MonoReadsThreeLuBelowTheSameSignalInStereo) {
  const Loudness mono = measure_loudness(sine_segments({{-23, 20}}, 1));
  const Loudness stereo = measure_loudness(sine_segments({{-23, 20}}, 2));
  EXPECT_NEAR(mono.integrated_lufs, -26.0, 0.1);
  EXPECT_NEAR(stereo.integrated_lufs - mono.integrated_lufs, 10.0 * std::log10(2.0), 0.02);
}

// Tech 3341's true-peak tolerance is +0.2 / −0.4 dB.
TEST(AudioLoudness, TruePeakFindsThePeaksBetweenSamples) {
  const Loudness full = measure_loudness(sine_segments({{0, 2}}, 2));
  EXPECT_NEAR(full.true_peak_dbtp, 0.0 - 0.1, 0.3);
  EXPECT_NEAR(full.sample_peak_dbfs, 0.0, 0.01);  // 48 samples a period: the peak is sampled
  // 12 kHz at 48 kHz with a 45° phase: every sample is ±0.707 (−3 dBFS), the waveform peaks at 1.
  std::vector<float> quarter(2 * kRate);
  for (std::size_t n = 0; n < quarter.size(); ++n)
    quarter[n] = static_cast<float>(std::sin(M_PI / 2.0 * static_cast<double>(n) + M_PI / 4.0));
  const Loudness between = measure_loudness(segue::testing::multichannel(quarter, kRate, 2));
  EXPECT_NEAR(between.sample_peak_dbfs, -3.01, 0.02);
  EXPECT_NEAR(between.true_peak_dbtp, 0.0 - 0.1, 0.3);
  // −6 dBFS (0.5) sine: both peaks near −6.
  const Loudness half = measure_loudness(sine_segments({{20 * std::log10(0.5), 2}}, 2, 576.0));
  EXPECT_NEAR(half.true_peak_dbtp, -6.02 - 0.1, 0.3);
}

TEST(AudioLoudness, SilenceAndTooShortInputReadTheFloorNeverInfinity) {
  for (const int channels : {1, 2, 6}) {
    const Loudness silent = measure_loudness(segue::testing::multichannel(std::vector<float>(3 * kRate, 0.0f), kRate, channels));
    EXPECT_EQ(silent.integrated_lufs, -70.0) << channels;
    EXPECT_EQ(silent.range_lu, 0.0);
    EXPECT_EQ(silent.true_peak_dbtp, -70.0);
    EXPECT_EQ(silent.sample_peak_dbfs, -70.0);
  }
  // 0.2 s: shorter than one 400 ms gating block; peaks are still measured.
  const Loudness brief = measure_loudness(sine_segments({{-10, 0.2}}, 2));
  EXPECT_EQ(brief.integrated_lufs, -70.0);
  EXPECT_NEAR(brief.sample_peak_dbfs, -10.0, 0.05);
  // Below the absolute gate (−70 LUFS): gated out, reads the floor.
  EXPECT_EQ(measure_loudness(sine_segments({{-85, 5}}, 2)).integrated_lufs, -70.0);
  const Loudness empty = measure_loudness(AudioBuffer{});
  EXPECT_EQ(empty.integrated_lufs, -70.0);
  EXPECT_EQ(empty.true_peak_dbtp, -70.0);
}

TEST(AudioLoudness, ARateLibebur128RejectsIsAnError) {
  AudioBuffer bad = segue::testing::mono_buffer(std::vector<float>(100, 0.1f), 8);
  EXPECT_THROW(measure_loudness(bad), std::runtime_error);
  bad.sample_rate = 0;
  EXPECT_THROW(measure_loudness(bad), std::runtime_error);
}

TEST(AudioLoudness, WorksAtTheFilesOwnRate) {
  // The same −23 dBFS stereo sine at 44.1 kHz reads the same loudness.
  const auto x = segue::testing::tones({1000.0}, 10.0, 44100, dbfs(-23));
  EXPECT_NEAR(measure_loudness(segue::testing::multichannel(x, 44100, 2)).integrated_lufs, -23.0, 0.1);
}

}  // namespace
}  // namespace segue::audio
