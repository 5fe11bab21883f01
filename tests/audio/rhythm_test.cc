#include "audio/rhythm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "audio/onset.h"
#include "signals.h"

namespace segue::audio {
namespace {

constexpr int kRate = 22050;

std::vector<double> beat_times(double bpm, double seconds, double offset = 0.0) {
  std::vector<double> out;
  for (double t = offset; t < seconds; t += 60.0 / bpm) out.push_back(t);
  return out;
}

// Beat-tracking F-measure (MIREX): each estimate may match one reference beat
// within ±window seconds.
double f_measure(const std::vector<double>& estimated, const std::vector<double>& reference, double window = 0.07) {
  if (estimated.empty() || reference.empty()) return 0.0;
  std::vector<bool> used(reference.size(), false);
  int hits = 0;
  for (const double e : estimated) {
    for (std::size_t r = 0; r < reference.size(); ++r) {
      if (!used[r] && std::abs(reference[r] - e) <= window) {
        used[r] = true;
        ++hits;
        break;
      }
    }
  }
  const double precision = static_cast<double>(hits) / estimated.size(), recall = static_cast<double>(hits) / reference.size();
  return hits == 0 ? 0.0 : 2.0 * precision * recall / (precision + recall);
}

void expect_finite(const Rhythm& r) {
  EXPECT_TRUE(std::isfinite(r.bpm));
  EXPECT_TRUE(std::isfinite(r.bpm_confidence));
  EXPECT_TRUE(std::isfinite(r.onset_rate));
  EXPECT_TRUE(std::isfinite(r.beat_strength));
  for (const double b : r.beats) EXPECT_TRUE(std::isfinite(b));
}

void expect_increasing(const std::vector<double>& beats) {
  for (std::size_t i = 1; i < beats.size(); ++i) EXPECT_LT(beats[i - 1], beats[i]);
}

class AudioRhythmClicks : public ::testing::TestWithParam<double> {};

TEST_P(AudioRhythmClicks, TempoWithin2PercentAndBeatsOnTheClicks) {
  const double bpm = GetParam(), seconds = 30.0;
  const Rhythm r = analyze_rhythm(segue::testing::click_track(bpm, seconds, kRate), kRate);
  expect_finite(r);
  EXPECT_NEAR(r.bpm, bpm, 0.02 * bpm);
  EXPECT_GT(r.bpm_confidence, 0.5);
  EXPECT_LE(r.bpm_confidence, 1.0);
  expect_increasing(r.beats);
  EXPECT_GE(f_measure(r.beats, beat_times(bpm, seconds)), 0.9);
  // Every click is an onset: the onset rate is the click rate.
  EXPECT_NEAR(r.onset_rate, bpm / 60.0, 0.05 * bpm / 60.0);
  EXPECT_GT(r.beat_strength, 3.0);  // clicks alone: the envelope is concentrated at the beats
}

INSTANTIATE_TEST_SUITE_P(AudioRhythmTempi, AudioRhythmClicks, ::testing::Values(90.0, 120.0, 140.0));

TEST(AudioRhythm, ClickTrackWithAnOffsetPutsBeatsOnTheClicksNotTheGrid) {
  const double bpm = 120.0, seconds = 20.0, offset = 0.23;  // half-way between two beats of a zero-offset grid
  const Rhythm r = analyze_rhythm(segue::testing::click_track(bpm, seconds, kRate, offset), kRate);
  EXPECT_NEAR(r.bpm, bpm, 0.02 * bpm);
  EXPECT_GE(f_measure(r.beats, beat_times(bpm, seconds, offset)), 0.9);
  EXPECT_LT(f_measure(r.beats, beat_times(bpm, seconds, 0.0)), 0.3);
  ASSERT_FALSE(r.beats.empty());
  EXPECT_NEAR(r.beats.front(), offset, 0.07);
}

TEST(AudioRhythm, OtherSampleRatesGiveTheSameTempo) {
  for (const int rate : {16000, 44100}) {
    const Rhythm r = analyze_rhythm(segue::testing::click_track(120.0, 20.0, rate), rate);
    EXPECT_NEAR(r.bpm, 120.0, 2.4) << rate;
    EXPECT_GE(f_measure(r.beats, beat_times(120.0, 20.0)), 0.9) << rate;
  }
}

// A melody of harmonic notes on every beat at 100 BPM and a bass on every
// other beat: notes that overlap and decay, as in music, not isolated clicks.
TEST(AudioRhythm, SongOfNotesOnTheBeatAt100Bpm) {
  const double bpm = 100.0, beat = 60.0 / bpm, seconds = 30.0, offset = 0.4;
  std::vector<float> song(static_cast<std::size_t>(seconds * kRate), 0.0f);
  const int melody[] = {72, 74, 76, 79, 77, 76, 74, 71};
  int i = 0;
  for (double t = offset; t < seconds; t += beat, ++i) {
    segue::testing::add_note(song, kRate, melody[i % 8], t, 0.9 * beat, 0.15);
    if (i % 2 == 0) segue::testing::add_note(song, kRate, i % 8 < 4 ? 48 : 43, t, 2 * beat, 0.2);
  }
  const Rhythm r = analyze_rhythm(song, kRate);
  expect_finite(r);
  EXPECT_NEAR(r.bpm, bpm, 0.02 * bpm);
  EXPECT_GE(f_measure(r.beats, beat_times(bpm, seconds, offset)), 0.9);
  EXPECT_GT(r.beat_strength, 1.5);
}

TEST(AudioRhythm, SilenceHasNoPulse) {
  const Rhythm r = analyze_rhythm(std::vector<float>(10 * kRate, 0.0f), kRate);
  expect_finite(r);
  EXPECT_EQ(r.bpm, 0.0);
  EXPECT_EQ(r.bpm_confidence, 0.0);
  EXPECT_TRUE(r.beats.empty());
  EXPECT_EQ(r.onset_rate, 0.0);
  EXPECT_EQ(r.beat_strength, 0.0);
}

TEST(AudioRhythm, HalfASecondIsTooShortForATempoAndEmptyInputIsDefined) {
  const Rhythm r = analyze_rhythm(segue::testing::click_track(120.0, 0.5, kRate), kRate);
  expect_finite(r);
  EXPECT_EQ(r.bpm, 0.0);
  EXPECT_TRUE(r.beats.empty());
  const Rhythm empty = analyze_rhythm(std::vector<float>{}, kRate);
  expect_finite(empty);
  EXPECT_EQ(empty.bpm, 0.0);
  EXPECT_TRUE(empty.beats.empty());
}

TEST(AudioRhythm, SteadyToneAndWhiteNoiseHaveNoPulse) {
  const Rhythm tone = analyze_rhythm(segue::testing::tones({440.0}, 10.0, kRate), kRate);
  expect_finite(tone);
  EXPECT_LT(tone.onset_rate, 0.5);
  EXPECT_EQ(tone.bpm, 0.0);
  EXPECT_TRUE(tone.beats.empty());
  for (const std::uint32_t seed : {3u, 11u, 29u}) {
    const Rhythm noise = analyze_rhythm(segue::testing::white_noise(20.0, kRate, 0.3, seed), kRate);
    expect_finite(noise);
    EXPECT_EQ(noise.bpm, 0.0) << seed;
    EXPECT_TRUE(noise.beats.empty()) << seed;
  }
}

// The prior prefers periods near 120 BPM and picks 100 for a 200 BPM click
// track (every other click is also a pulse); the metrical-level model
// (rhythm_metre.h) sees nothing between the clicks at 200 and everything
// between them at 100, and reports the clicks' own rate with a beat on each.
TEST(AudioRhythm, FastClicksAreReportedAtTheirOwnRate) {
  const double seconds = 20.0;
  const Rhythm r = analyze_rhythm(segue::testing::click_track(200.0, seconds, kRate), kRate);
  EXPECT_NEAR(r.bpm, 200.0, 4.0);
  ASSERT_EQ(r.metre.size(), 3u);
  EXPECT_NEAR(r.metre[1].bpm, 100.0, 2.0);  // the prior's pick, not chosen
  EXPECT_EQ(r.metre[r.metre_choice].factor, 0.5);
  EXPECT_GE(f_measure(r.beats, beat_times(200.0, seconds)), 0.9);
}

TEST(AudioRhythm, OnsetEnvelopePeaksAtTheClicks) {
  const OnsetEnvelope e = onset_strength(segue::testing::click_track(120.0, 5.0, kRate, 1.0), kRate);
  ASSERT_GT(e.frame_rate, 0.0);
  const auto peak = std::max_element(e.strength.begin(), e.strength.end()) - e.strength.begin();
  const double at = static_cast<double>(peak) / e.frame_rate;
  const double nearest = std::round((at - 1.0) / 0.5) * 0.5 + 1.0;
  EXPECT_NEAR(at, nearest, 0.035);  // within about one hop of a click
  EXPECT_GE(at, 0.95);               // nothing before the first click
}

}  // namespace
}  // namespace segue::audio
