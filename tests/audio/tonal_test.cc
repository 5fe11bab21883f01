#include "audio/tonal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "signals.h"

namespace segue::audio {
namespace {

constexpr int kRate = 22050;

// `notes` struck together every second from `start` for `seconds` (a piano-like
// comping pattern: each strike decays before the next).
void add_chord(std::vector<float>& out, std::initializer_list<int> notes, double start, double seconds) {
  for (double t = start; t < start + seconds - 1e-9; t += 1.0)
    for (const int note : notes) segue::testing::add_note(out, kRate, note, t, std::min(1.0, start + seconds - t));
}

std::vector<std::string> labels(const std::vector<ChordSegment>& chords) {
  std::vector<std::string> out;
  for (const auto& c : chords) out.push_back(chord_label(c));
  return out;
}

// Seconds of [0, duration] labelled `label`.
double seconds_of(const std::vector<ChordSegment>& chords, const std::string& label) {
  double total = 0;
  for (const auto& c : chords)
    if (chord_label(c) == label) total += c.end - c.start;
  return total;
}

void expect_contiguous(const std::vector<ChordSegment>& chords, double duration) {
  ASSERT_FALSE(chords.empty());
  EXPECT_EQ(chords.front().start, 0.0);
  EXPECT_DOUBLE_EQ(chords.back().end, duration);
  for (std::size_t i = 0; i < chords.size(); ++i) {
    EXPECT_LT(chords[i].start, chords[i].end) << i;
    if (i > 0) {
      EXPECT_EQ(chords[i].start, chords[i - 1].end) << i;
    }
  }
}

TEST(AudioTonal, PitchClassNamesUseSharps) {
  EXPECT_STREQ(pitch_class_name(0), "C");
  EXPECT_STREQ(pitch_class_name(6), "F#");
  EXPECT_STREQ(pitch_class_name(10), "A#");
  EXPECT_STREQ(pitch_class_name(11), "B");
  EXPECT_STREQ(pitch_class_name(-1), "B");
  EXPECT_EQ(chord_label({0, 1, 6, false}), "F#:min");
  EXPECT_EQ(chord_label({0, 1, 0, true}), "C:maj");
  EXPECT_EQ(chord_label({0, 1, -1, true}), "N");
}

TEST(AudioTonal, A440SinePeaksAtPitchClassA) {
  const auto x = segue::testing::tones({440.0}, 2.0, kRate);
  const Chroma c = chromagram(x, kRate);
  EXPECT_NEAR(c.hop_seconds, 2048.0 / kRate, 1e-12);
  EXPECT_EQ(c.frames, 1 + static_cast<std::int64_t>(x.size()) / 2048);
  ASSERT_EQ(c.values.size(), static_cast<std::size_t>(c.frames * 12));
  const float* row = c.values.data() + (c.frames / 2) * 12;
  EXPECT_EQ(std::max_element(row, row + 12) - row, 9);
  // A pure sine has one partial: its subharmonics (f/3 → D, …) weigh less.
  for (int pc = 0; pc < 12; ++pc)
    if (pc != 9) {
      EXPECT_LT(row[pc], 0.7f * row[9]) << pc;
    }
}

TEST(AudioTonal, ChromaFollowsTheNotesAtOtherRatesAndWhenDetuned) {
  for (const int rate : {16000, 44100}) {
    // E4 a quarter-tone less a bit sharp (+40 cents) still reads as E.
    const auto x = segue::testing::tones({segue::testing::midi_hz(64) * std::pow(2.0, 0.4 / 12)}, 2.0, rate);
    const Chroma c = chromagram(x, rate);
    const float* row = c.values.data() + (c.frames / 2) * 12;
    EXPECT_EQ(std::max_element(row, row + 12) - row, 4) << rate;
  }
}

TEST(AudioChord, MajorTriadIsCMajor) {
  std::vector<float> x(static_cast<std::size_t>(4.0 * kRate), 0.0f);
  add_chord(x, {60, 64, 67}, 0.0, 4.0);
  const auto chords = estimate_chords(chromagram(x, kRate), {}, 4.0);
  expect_contiguous(chords, 4.0);
  EXPECT_GE(seconds_of(chords, "C:maj"), 3.6);
}

TEST(AudioChord, MinorTriadIsAMinor) {
  std::vector<float> x(static_cast<std::size_t>(4.0 * kRate), 0.0f);
  add_chord(x, {57, 60, 64}, 0.0, 4.0);
  const auto chords = estimate_chords(chromagram(x, kRate), {}, 4.0);
  expect_contiguous(chords, 4.0);
  EXPECT_GE(seconds_of(chords, "A:min"), 3.6);
}

TEST(AudioChord, ProgressionGivesItsChordsInOrderWithBoundariesNearTheChanges) {
  std::vector<float> x(static_cast<std::size_t>(8.0 * kRate), 0.0f);
  add_chord(x, {48, 60, 64, 67}, 0.0, 2.0);  // C
  add_chord(x, {43, 59, 62, 67}, 2.0, 2.0);  // G
  add_chord(x, {45, 57, 60, 64}, 4.0, 2.0);  // Am
  add_chord(x, {41, 57, 60, 65}, 6.0, 2.0);  // F
  const Chroma chroma = chromagram(x, kRate);
  std::vector<double> beats;
  for (double t = 0; t < 8.0; t += 0.5) beats.push_back(t);
  for (const bool with_beats : {false, true}) {
    const auto chords = estimate_chords(chroma, with_beats ? std::span<const double>(beats) : std::span<const double>(), 8.0);
    expect_contiguous(chords, 8.0);
    EXPECT_EQ(labels(chords), (std::vector<std::string>{"C:maj", "G:maj", "A:min", "F:maj"})) << with_beats;
    if (chords.size() != 4) continue;
    for (int i = 1; i < 4; ++i) EXPECT_NEAR(chords[static_cast<std::size_t>(i)].start, 2.0 * i, 0.3) << with_beats << i;
  }
}

// I–IV–V–I then the major scale (or i–iv–V–i and the harmonic minor scale) from `tonic`.
std::vector<float> cadence_and_scale(int tonic, bool major) {
  std::vector<float> x(static_cast<std::size_t>(7.0 * kRate), 0.0f);
  const int third = major ? 4 : 3, sixth = major ? 9 : 8;
  const int root = 60 + tonic;
  add_chord(x, {root - 12, root, root + third, root + 7}, 0.0, 1.0);
  add_chord(x, {root - 7, root + 5, root + sixth, root + 12}, 1.0, 1.0);
  add_chord(x, {root - 5, root + 7, root + 11, root + 14}, 2.0, 1.0);
  add_chord(x, {root - 12, root, root + third, root + 7}, 3.0, 1.0);
  const int steps[8] = {0, 2, third, 5, 7, sixth, 11, 12};
  for (int i = 0; i < 8; ++i) segue::testing::add_note(x, kRate, root + steps[i], 4.0 + 0.375 * i, 0.375);
  return x;
}

TEST(AudioKey, CadenceAndScaleInCIsCMajor) {
  const Key key = estimate_key(chromagram(cadence_and_scale(0, true), kRate));
  EXPECT_EQ(key.tonic, 0);
  EXPECT_TRUE(key.major);
  EXPECT_GT(key.strength, 0.6);
  EXPECT_LE(key.strength, 1.0);
}

TEST(AudioKey, EveryMajorAndMinorKeyIsFound) {
  for (int tonic = 0; tonic < 12; ++tonic)
    for (const bool major : {true, false}) {
      const Key key = estimate_key(chromagram(cadence_and_scale(tonic, major), kRate));
      EXPECT_EQ(key.tonic, tonic) << pitch_class_name(tonic) << (major ? " major" : " minor");
      EXPECT_EQ(key.major, major) << pitch_class_name(tonic) << (major ? " major" : " minor");
    }
}

TEST(AudioKey, MinorCadenceWithoutScaleIsAMinor) {
  std::vector<float> x(static_cast<std::size_t>(4.0 * kRate), 0.0f);
  add_chord(x, {45, 57, 60, 64}, 0.0, 1.0);  // Am
  add_chord(x, {50, 57, 62, 65}, 1.0, 1.0);  // Dm
  add_chord(x, {52, 56, 59, 64}, 2.0, 1.0);  // E
  add_chord(x, {45, 57, 60, 64}, 3.0, 1.0);  // Am
  const Key key = estimate_key(chromagram(x, kRate));
  EXPECT_EQ(key.tonic, 9);
  EXPECT_FALSE(key.major);
}

TEST(AudioTonal, SilenceAndVeryShortInputsGiveDefinedResults) {
  const auto finite = [](const Chroma& c) {
    return std::all_of(c.values.begin(), c.values.end(), [](float v) { return std::isfinite(v); });
  };
  const Chroma silent = chromagram(std::vector<float>(10 * kRate, 0.0f), kRate);
  EXPECT_TRUE(finite(silent));
  EXPECT_TRUE(std::all_of(silent.values.begin(), silent.values.end(), [](float v) { return v == 0.0f; }));
  const Key key = estimate_key(silent);
  EXPECT_EQ(key.tonic, 0);
  EXPECT_TRUE(key.major);
  EXPECT_EQ(key.strength, 0.0);
  const auto chords = estimate_chords(silent, {}, 10.0);
  expect_contiguous(chords, 10.0);
  EXPECT_EQ(labels(chords), std::vector<std::string>{"N"});

  const Chroma short_silence = chromagram(std::vector<float>(static_cast<std::size_t>(0.2 * kRate), 0.0f), kRate);
  EXPECT_EQ(estimate_key(short_silence).strength, 0.0);
  EXPECT_EQ(labels(estimate_chords(short_silence, {}, 0.2)), std::vector<std::string>{"N"});

  const Chroma short_tone = chromagram(segue::testing::tones({261.63, 329.63, 392.0}, 0.2, kRate), kRate);
  EXPECT_TRUE(finite(short_tone));
  const Key short_key = estimate_key(short_tone);
  EXPECT_TRUE(std::isfinite(short_key.strength));
  EXPECT_GE(short_key.strength, 0.0);
  EXPECT_LE(short_key.strength, 1.0);
  expect_contiguous(estimate_chords(short_tone, {}, 0.2), 0.2);

  const Chroma empty = chromagram(std::vector<float>{}, kRate);
  EXPECT_TRUE(finite(empty));
  EXPECT_EQ(estimate_key(empty).strength, 0.0);
  EXPECT_TRUE(estimate_chords(empty, {}, 0.0).empty());
  EXPECT_TRUE(estimate_chords(Chroma{}, {}, 0.0).empty());
  EXPECT_EQ(labels(estimate_chords(Chroma{}, {}, 1.0)), std::vector<std::string>{"N"});
}

TEST(AudioChord, SummaryCountsTransitionsIgnoringNoChord) {
  const auto seg = [](double start, double end, int root, bool major) { return ChordSegment{start, end, root, major}; };
  const std::vector<ChordSegment> chords = {
      seg(0, 10, 0, true),  seg(10, 20, 7, true), seg(20, 25, -1, true), seg(25, 30, 7, true),
      seg(30, 40, 9, false), seg(40, 50, 5, true), seg(50, 60, 0, true), seg(60, 70, 7, true),
      seg(70, 80, 9, false)};
  // Without N: C G G Am F C G Am → C G Am F C G Am: 6 changes in 80 s.
  const ChordSummary s = summarise_chords(chords);
  EXPECT_DOUBLE_EQ(s.changes_per_minute, 6.0 / (80.0 / 60.0));
  EXPECT_EQ(s.distinct_chords, 4);
  // C>G and G>Am twice; A:min>F:maj and F:maj>C:maj once (label order breaks the tie).
  EXPECT_EQ(s.top_transitions, "C:maj>G:maj|G:maj>A:min|A:min>F:maj");

  const ChordSummary none = summarise_chords(std::vector<ChordSegment>{seg(0, 30, -1, true)});
  EXPECT_EQ(none.changes_per_minute, 0.0);
  EXPECT_EQ(none.distinct_chords, 0);
  EXPECT_EQ(none.top_transitions, "");
  EXPECT_EQ(summarise_chords({}).distinct_chords, 0);
}

}  // namespace
}  // namespace segue::audio
