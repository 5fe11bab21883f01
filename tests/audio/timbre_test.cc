#include "audio/timbre.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "audio/loudness.h"
#include "audio/perceptual.h"
#include "signals.h"

namespace segue::audio {
namespace {

constexpr int kRate = 22050;

Timbre timbre_of(const std::vector<float>& x) { return analyze_timbre(stft_magnitude(x, kRate, 2048, 512), x); }

// A harmonic tone of `partials` equal-amplitude partials on 220 Hz.
std::vector<float> harmonic(int partials, double seconds = 2.0) {
  std::vector<float> out(static_cast<std::size_t>(seconds * kRate));
  for (std::size_t n = 0; n < out.size(); ++n) {
    double v = 0.0;
    for (int k = 1; k <= partials; ++k) v += 0.1 * std::sin(2.0 * M_PI * 220.0 * k * static_cast<double>(n) / kRate);
    out[n] = static_cast<float>(v);
  }
  return out;
}

TEST(AudioTimbre, FlatnessSeparatesNoiseFromATone) {
  EXPECT_GT(timbre_of(segue::testing::white_noise(3.0, kRate)).flatness, 0.8);
  EXPECT_LT(timbre_of(segue::testing::tones({1000.0}, 3.0, kRate)).flatness, 0.05);
}

TEST(AudioTimbre, CentroidRolloffAndZeroCrossingsOfSines) {
  const Timbre k1 = timbre_of(segue::testing::tones({1000.0}, 3.0, kRate));
  EXPECT_NEAR(k1.centroid_hz, 1000.0, 30.0);
  EXPECT_NEAR(k1.rolloff_hz, 1000.0, 2.0 * kRate / 2048.0);
  const Timbre a4 = timbre_of(segue::testing::tones({440.0}, 3.0, kRate));
  EXPECT_NEAR(a4.zero_crossing_rate, 2.0 * 440.0 / kRate, 0.02 * 2.0 * 440.0 / kRate);
  EXPECT_NEAR(a4.centroid_hz, 440.0, 0.03 * 440.0);
}

TEST(AudioTimbre, RmsOfASineIsItsAmplitudeOverRootTwo) {
  const Timbre t = timbre_of(segue::testing::tones({440.0}, 3.0, kRate, 0.5));
  EXPECT_NEAR(t.rms, 0.5 / std::sqrt(2.0), 1e-3);
  EXPECT_NEAR(t.rms_db, 20.0 * std::log10(0.5 / std::sqrt(2.0)), 0.02);
  EXPECT_LT(t.dynamic_range_db, 1.0);  // steady level
}

TEST(AudioTimbre, BrighterSignalsHaveHigherCentroidAndRolloff) {
  const Timbre dull = timbre_of(harmonic(2)), bright = timbre_of(harmonic(12));
  EXPECT_GT(bright.centroid_hz, dull.centroid_hz * 2.0);
  EXPECT_GT(bright.rolloff_hz, dull.rolloff_hz * 2.0);
  // Equal partials: the centroid is their mean frequency.
  EXPECT_NEAR(dull.centroid_hz, 330.0, 0.03 * 330.0);
}

TEST(AudioTimbre, DynamicRangeIsTheSpreadOfTheFrameLevels) {
  // Alternating seconds at amplitude 0.5 and 0.05: 20 dB between the levels.
  std::vector<float> x = segue::testing::tones({440.0}, 10.0, kRate, 0.5);
  for (std::size_t n = 0; n < x.size(); ++n)
    if ((n / kRate) % 2 == 1) x[n] *= 0.1f;
  const Timbre t = timbre_of(x);
  EXPECT_NEAR(t.dynamic_range_db, 20.0, 1.0);
  EXPECT_GT(t.mfcc_std[0], timbre_of(segue::testing::tones({440.0}, 10.0, kRate, 0.5)).mfcc_std[0] + 10.0);
}

TEST(AudioTimbre, FluxIsLowForASteadyToneAndHighForAMelody) {
  const Timbre steady = timbre_of(segue::testing::tones({440.0}, 10.0, kRate));
  // A new note every 0.25 s: the normalised spectrum moves at each onset.
  std::vector<float> melody(10 * kRate, 0.0f);
  const int notes[] = {60, 64, 67, 72, 71, 67, 64, 62};
  for (int i = 0; i < 40; ++i) segue::testing::add_note(melody, kRate, notes[i % 8], 0.25 * i, 0.25);
  const Timbre moving = timbre_of(melody);
  EXPECT_LT(steady.flux, 0.01);  // what there is comes from the half-empty frames at both ends
  EXPECT_GT(moving.flux, 5.0 * steady.flux);
}

TEST(AudioTimbre, MfccOfSilenceIsTheFloorAndFinite) {
  const Timbre t = timbre_of(std::vector<float>(kRate, 0.0f));
  // Every band at the −100 dB floor: c0 = −100 √40 (orthonormal DCT-II), the rest 0.
  EXPECT_NEAR(t.mfcc_mean[0], -100.0 * std::sqrt(40.0), 1e-6);
  for (int c = 1; c < kMfccCoefficients; ++c) EXPECT_NEAR(t.mfcc_mean[static_cast<std::size_t>(c)], 0.0, 1e-6) << c;
  for (const double s : t.mfcc_std) EXPECT_NEAR(s, 0.0, 1e-6);
  EXPECT_EQ(t.centroid_hz, 0.0);
  EXPECT_EQ(t.rolloff_hz, 0.0);
  EXPECT_EQ(t.flatness, 0.0);
  EXPECT_EQ(t.flux, 0.0);
  EXPECT_EQ(t.zero_crossing_rate, 0.0);
  EXPECT_EQ(t.rms, 0.0);
  EXPECT_EQ(t.rms_db, -120.0);
  EXPECT_EQ(t.dynamic_range_db, 0.0);
  const Timbre empty = analyze_timbre(stft_magnitude(std::vector<float>{}, kRate, 2048, 512), {});
  EXPECT_TRUE(std::isfinite(empty.mfcc_mean[0]));
  EXPECT_EQ(empty.rms_db, -120.0);
}

TEST(AudioTimbre, MfccSeparatesBrightFromDull) {
  // c1 weighs the low bands against the high ones: a dull tone has the larger c1.
  EXPECT_GT(timbre_of(harmonic(2)).mfcc_mean[1], timbre_of(segue::testing::white_noise(2.0, kRate)).mfcc_mean[1]);
}

// --- perceptual scores ------------------------------------------------------

struct Track {
  Loudness loudness;
  Timbre timbre;
};

Track analyse(const std::vector<float>& x) { return {measure_loudness(segue::testing::mono_buffer(x, kRate)), timbre_of(x)}; }

void expect_unit(const Perceptual& p) {
  for (const double v : {p.energy, p.danceability, p.acousticness, p.valence}) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
}

TEST(AudioPerceptual, ScoresAreInTheUnitIntervalForSilenceNoiseAndSines) {
  const Rhythm no_pulse;
  const Key c_major;
  for (const auto& x : {std::vector<float>(3 * kRate, 0.0f), segue::testing::white_noise(3.0, kRate, 0.9),
                        segue::testing::tones({440.0}, 3.0, kRate)}) {
    const Track t = analyse(x);
    expect_unit(perceptual_scores(t.loudness, no_pulse, c_major, t.timbre));
  }
  // Out-of-range and non-finite inputs stay in range too.
  Loudness l;
  l.integrated_lufs = std::numeric_limits<double>::infinity();
  Rhythm r;
  r.bpm = std::numeric_limits<double>::quiet_NaN();
  r.bpm_confidence = 7.0;
  r.beat_strength = 1e9;
  r.onset_rate = -3.0;
  Key k;
  k.strength = -2.0;
  Timbre t;
  t.flatness = std::numeric_limits<double>::quiet_NaN();
  t.centroid_hz = 1e9;
  t.dynamic_range_db = -5.0;
  expect_unit(perceptual_scores(l, r, k, t));
}

TEST(AudioPerceptual, LoudNoiseHasMoreEnergyThanAQuietSine) {
  const Track noise = analyse(segue::testing::white_noise(5.0, kRate, 0.9));
  const Track sine = analyse(segue::testing::tones({440.0}, 5.0, kRate, 0.02));
  Rhythm busy, calm;
  busy.onset_rate = 6.0;
  const Key key;
  const Perceptual loud = perceptual_scores(noise.loudness, busy, key, noise.timbre);
  const Perceptual quiet = perceptual_scores(sine.loudness, calm, key, sine.timbre);
  EXPECT_GT(loud.energy, quiet.energy + 0.4);
  EXPECT_GT(quiet.acousticness, loud.acousticness);
}

TEST(AudioPerceptual, ValenceFollowsTheModeWithAllElseEqual) {
  const Track t = analyse(harmonic(6));
  Rhythm r;
  r.bpm = 110.0;
  Key major, minor;
  major.strength = minor.strength = 0.7;
  minor.major = false;
  const Perceptual happy = perceptual_scores(t.loudness, r, major, t.timbre);
  const Perceptual sad = perceptual_scores(t.loudness, r, minor, t.timbre);
  EXPECT_GT(happy.valence, sad.valence + 0.2);
  EXPECT_EQ(happy.energy, sad.energy);
  EXPECT_EQ(happy.danceability, sad.danceability);
}

// Each score rises (never falls) along its documented inputs, strictly inside the anchors.
TEST(AudioPerceptual, ScoresAreMonotoneInTheirInputs) {
  const Loudness base_loudness{-14.0, 6.0, -1.0, -1.0};
  Rhythm base_rhythm;
  base_rhythm.bpm = 100.0;
  base_rhythm.bpm_confidence = 0.5;
  base_rhythm.onset_rate = 3.0;
  base_rhythm.beat_strength = 1.8;
  Key base_key;
  base_key.strength = 0.5;
  Timbre base_timbre;
  base_timbre.flatness = 0.1;
  base_timbre.centroid_hz = 2000.0;
  base_timbre.flux = 0.05;
  base_timbre.dynamic_range_db = 12.0;

  // Sweeps one input from lo to hi; `sign` is +1 if the score should rise, −1 if fall.
  auto sweep = [&](const char* what, auto set, double lo, double hi, auto score, int sign) {
    double previous = 0.0;
    for (int i = 0; i <= 20; ++i) {
      Loudness l = base_loudness;
      Rhythm r = base_rhythm;
      Key k = base_key;
      Timbre t = base_timbre;
      set(l, r, k, t, lo + (hi - lo) * i / 20.0);
      const double s = score(perceptual_scores(l, r, k, t));
      if (i > 0) {
        EXPECT_GT(sign * (s - previous), 0.0) << what << " step " << i;
      }
      previous = s;
    }
  };
  const auto energy = [](const Perceptual& p) { return p.energy; };
  const auto dance = [](const Perceptual& p) { return p.danceability; };
  const auto acoustic = [](const Perceptual& p) { return p.acousticness; };
  const auto valence = [](const Perceptual& p) { return p.valence; };

  sweep("energy/loudness", [](Loudness& l, Rhythm&, Key&, Timbre&, double v) { l.integrated_lufs = v; }, -39, -7, energy, +1);
  sweep("energy/onsets", [](Loudness&, Rhythm& r, Key&, Timbre&, double v) { r.onset_rate = v; }, 0.1, 7.9, energy, +1);
  sweep("energy/flux", [](Loudness&, Rhythm&, Key&, Timbre& t, double v) { t.flux = v; }, 0.001, 0.149, energy, +1);
  sweep("energy/flatness", [](Loudness&, Rhythm&, Key&, Timbre& t, double v) { t.flatness = v; }, 0.01, 0.49, energy, +1);
  sweep("dance/confidence", [](Loudness&, Rhythm& r, Key&, Timbre&, double v) { r.bpm_confidence = v; }, 0, 1, dance, +1);
  sweep("dance/beat strength", [](Loudness&, Rhythm& r, Key&, Timbre&, double v) { r.beat_strength = v; }, 1.01, 2.99, dance, +1);
  sweep("dance/tempo below 120", [](Loudness&, Rhythm& r, Key&, Timbre&, double v) { r.bpm = v; }, 50, 119, dance, +1);
  sweep("dance/tempo above 120", [](Loudness&, Rhythm& r, Key&, Timbre&, double v) { r.bpm = v; }, 121, 220, dance, -1);
  sweep("acoustic/centroid", [](Loudness&, Rhythm&, Key&, Timbre& t, double v) { t.centroid_hz = v; }, 810, 3990, acoustic, -1);
  sweep("acoustic/flatness", [](Loudness&, Rhythm&, Key&, Timbre& t, double v) { t.flatness = v; }, 0.01, 0.49, acoustic, -1);
  sweep("acoustic/dynamic range", [](Loudness&, Rhythm&, Key&, Timbre& t, double v) { t.dynamic_range_db = v; }, 6.5, 29.5, acoustic, +1);
  sweep("acoustic/loudness", [](Loudness& l, Rhythm&, Key&, Timbre&, double v) { l.integrated_lufs = v; }, -23.5, -8.5, acoustic, -1);
  sweep("valence/major strength", [](Loudness&, Rhythm&, Key& k, Timbre&, double v) { k.strength = v; }, 0, 1, valence, +1);
  sweep("valence/tempo", [](Loudness&, Rhythm& r, Key&, Timbre&, double v) { r.bpm = v; }, 61, 159, valence, +1);
  sweep("valence/brightness", [](Loudness&, Rhythm&, Key&, Timbre& t, double v) { t.centroid_hz = v; }, 810, 3990, valence, +1);
  sweep("valence/loudness", [](Loudness& l, Rhythm&, Key&, Timbre&, double v) { l.integrated_lufs = v; }, -39, -7, valence, +1);
  base_key.major = false;
  sweep("valence/minor strength", [](Loudness&, Rhythm&, Key& k, Timbre&, double v) { k.strength = v; }, 0, 1, valence, -1);
}

TEST(AudioPerceptual, DanceabilityPrefersAClearPulseNear120Bpm) {
  const Loudness l;
  const Key k;
  const Timbre t;
  Rhythm groove;
  groove.bpm = 122.0;
  groove.bpm_confidence = 0.9;
  groove.beat_strength = 2.8;
  Rhythm drift = groove;
  drift.bpm = 0.0;
  drift.bpm_confidence = 0.0;
  drift.beat_strength = 1.0;
  EXPECT_GT(perceptual_scores(l, groove, k, t).danceability, 0.9);
  EXPECT_EQ(perceptual_scores(l, drift, k, t).danceability, 0.0);
}

}  // namespace
}  // namespace segue::audio
