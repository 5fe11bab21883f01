#include "audio/rhythm_metre.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "audio/onset.h"
#include "audio/rhythm.h"
#include "audio/tonal.h"
#include "signals.h"

namespace segue::audio {
namespace {

constexpr int kRate = 22050;

const MetreCandidate* with_factor(const std::vector<MetreCandidate>& candidates, double factor) {
  for (const MetreCandidate& c : candidates)
    if (c.factor == factor) return &c;
  return nullptr;
}

// A chromagram whose chord alternates between C major and G major every
// `chord_seconds` (binary pitch-class vectors, one frame per 10 ms).
Chroma alternating_chords(double seconds, double chord_seconds) {
  Chroma c;
  c.hop_seconds = 0.01;
  c.frames = static_cast<std::int64_t>(seconds / c.hop_seconds);
  c.values.assign(static_cast<std::size_t>(c.frames * 12), 0.0f);
  for (std::int64_t f = 0; f < c.frames; ++f) {
    const bool g_major = static_cast<std::int64_t>(std::floor(f * c.hop_seconds / chord_seconds)) % 2 == 1;
    for (const int p : g_major ? std::vector<int>{7, 11, 2} : std::vector<int>{0, 4, 7})
      c.values[static_cast<std::size_t>(f * 12 + p)] = 1.0f;
  }
  return c;
}

TEST(AudioMetre, ClickTrackCandidatesAreHalfOwnAndDoubleWithTheRightSaliences) {
  const double seconds = 30.0;
  const OnsetEnvelope env = onset_strength(segue::testing::click_track(120.0, seconds, kRate), kRate);
  const double period = env.frame_rate * 0.5;  // 120 BPM
  const std::vector<MetreCandidate> candidates = metre_candidates({env.strength, env.frame_rate, period, 2.0, nullptr});
  ASSERT_EQ(candidates.size(), 3u);
  const MetreCandidate* fast = with_factor(candidates, 0.5);
  const MetreCandidate* own = with_factor(candidates, 1.0);
  const MetreCandidate* slow = with_factor(candidates, 2.0);
  ASSERT_TRUE(fast && own && slow);
  EXPECT_NEAR(fast->bpm, 240.0, 0.5);
  EXPECT_NEAR(own->bpm, 120.0, 0.5);
  EXPECT_NEAR(slow->bpm, 60.0, 0.5);
  // Features: 0 log2(bpm/120), 3 beat salience, 4 offbeat salience, 5 log2 onsets per beat, 6 harmonic change.
  EXPECT_NEAR(own->features[0], 0.0, 0.01);
  EXPECT_NEAR(slow->features[0], -1.0, 0.01);
  EXPECT_NEAR(own->features[1], own->features[0] * own->features[0], 1e-12);
  // At 120 the midpoints between beats are silent; at 60 they are the other clicks.
  EXPECT_GT(own->features[3], 5.0 * own->features[4]);
  EXPECT_GT(slow->features[4], 0.5 * slow->features[3]);
  EXPECT_NEAR(own->features[5], std::log2(2.0 * 60.0 / 120.0), 1e-9);
  EXPECT_EQ(own->features[6], 0.0);  // no chroma given
  EXPECT_GE(own->beats.size(), 55u);
  EXPECT_GE(fast->beats.size(), slow->beats.size() * 3);
}

TEST(AudioMetre, HarmonicChangeGrowsWithTheBeatPeriod) {
  const double seconds = 30.0;
  const OnsetEnvelope env = onset_strength(segue::testing::click_track(120.0, seconds, kRate), kRate);
  const Chroma chroma = alternating_chords(seconds, 1.0);  // a chord every other beat at 120 BPM
  const std::vector<MetreCandidate> candidates =
      metre_candidates({env.strength, env.frame_rate, env.frame_rate * 0.5, 2.0, &chroma});
  const MetreCandidate* fast = with_factor(candidates, 0.5);
  const MetreCandidate* own = with_factor(candidates, 1.0);
  ASSERT_TRUE(fast && own);
  // 1 − cos(C major, G major) = 2/3: every second beat-to-beat pair changes at
  // 120 BPM (1/3 on average), every fourth at 240 (1/6).
  EXPECT_NEAR(own->features[6], 1.0 / 3.0, 0.06);
  EXPECT_NEAR(fast->features[6], 1.0 / 6.0, 0.05);
}

TEST(AudioMetre, ChoiceFollowsTheScoreAndTiesGoToTheInputPeriod) {
  std::vector<MetreCandidate> c(3);
  c[0].factor = 0.5, c[1].factor = 1.0, c[2].factor = 2.0;
  EXPECT_EQ(choose_metre(c), 1u);
  c[2].score = 0.3;
  EXPECT_EQ(choose_metre(c), 2u);
  c[0].score = 0.4;
  EXPECT_EQ(choose_metre(c), 0u);
  std::vector<MetreCandidate> no_input(2);
  no_input[0].factor = 0.5, no_input[1].factor = 2.0;
  EXPECT_EQ(choose_metre(no_input), 0u);
}

TEST(AudioMetre, NothingToChooseFromWithoutAnEnvelopeOrAPeriod) {
  EXPECT_TRUE(metre_candidates({{}, 43.0, 20.0, 1.0, nullptr}).empty());
  const std::vector<float> env(1000, 1.0f);
  EXPECT_TRUE(metre_candidates({env, 43.0, 0.0, 1.0, nullptr}).empty());
  EXPECT_TRUE(metre_candidates({env, 0.0, 20.0, 1.0, nullptr}).empty());
}

TEST(AudioMetre, RhythmReportsTheCandidatesItChoseFrom) {
  const Rhythm r = analyze_rhythm(segue::testing::click_track(100.0, 20.0, kRate), kRate);
  ASSERT_FALSE(r.metre.empty());
  ASSERT_LT(r.metre_choice, r.metre.size());
  EXPECT_DOUBLE_EQ(r.bpm, r.metre[r.metre_choice].bpm);
  EXPECT_EQ(r.beats.size(), r.metre[r.metre_choice].beats.size());
}

}  // namespace
}  // namespace segue::audio
