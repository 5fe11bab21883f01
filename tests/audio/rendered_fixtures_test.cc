// Rendered music with exact labels (tests/fixtures/audio: generated MIDI through
// FluidSynth, Ogg Vorbis): the whole analysis against the labels — key and
// mode, tempo up to the metrical level (mir_eval's Accuracy2 idea), beats,
// chords. The benchmark (bench/audio) scores hundreds of such files with
// mir_eval; this keeps a handful from regressing.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audio/analysis.h"

namespace segue::audio {
namespace {

const std::string kDir = std::string(SEGUE_SOURCE_DIR) + "/tests/fixtures/audio/";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<double> read_times(const std::string& path) {
  std::ifstream in(path);
  std::vector<double> out;
  for (double t; in >> t;) out.push_back(t);
  return out;
}

struct Segment {
  double start, end;
  std::string label;
};

std::vector<Segment> read_lab(const std::string& path) {
  std::ifstream in(path);
  std::vector<Segment> out;
  for (Segment s; in >> s.start >> s.end >> s.label;) out.push_back(s);
  return out;
}

// F-measure of `estimated` against `reference` with a ±70 ms window (greedy one-to-one matching).
double f_measure(const std::vector<double>& reference, const std::vector<double>& estimated) {
  if (reference.empty() || estimated.empty()) return 0.0;
  std::vector<bool> used(estimated.size(), false);
  std::size_t hits = 0;
  for (const double r : reference)
    for (std::size_t e = 0; e < estimated.size(); ++e)
      if (!used[e] && std::abs(estimated[e] - r) <= 0.07) {
        used[e] = true;
        ++hits;
        break;
      }
  const double precision = static_cast<double>(hits) / estimated.size(), recall = static_cast<double>(hits) / reference.size();
  return hits == 0 ? 0.0 : 2 * precision * recall / (precision + recall);
}

std::vector<double> every_other(const std::vector<double>& beats, std::size_t phase) {
  std::vector<double> out;
  for (std::size_t k = phase; k < beats.size(); k += 2) out.push_back(beats[k]);
  return out;
}

// The share of the labelled time where the estimate names the same chord.
double chord_overlap(const std::vector<Segment>& reference, const std::vector<ChordSegment>& estimated) {
  double agree = 0, total = 0;
  for (const Segment& r : reference) {
    total += r.end - r.start;
    for (const ChordSegment& e : estimated) {
      const double overlap = std::min(r.end, e.end) - std::max(r.start, e.start);
      if (overlap > 0 && chord_label(e) == r.label) agree += overlap;
    }
  }
  return total > 0 ? agree / total : 0.0;
}

class RenderedFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(RenderedFixture, AnalysisAgreesWithTheLabels) {
  const std::string id = GetParam();
  TrackAnalysis track = analyze_audio(read_audio(kDir + id + ".ogg"));
  // Key and mode exactly ("C# minor").
  std::string key = slurp(kDir + id + ".key");
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  EXPECT_EQ(std::string(pitch_class_name(track.key.tonic)) + (track.key.major ? " major" : " minor"), key) << id;
  // Tempo within 4% of the labelled one, its double or its half.
  const double tempo = std::stod(slurp(kDir + id + ".tempo"));
  bool tempo_ok = false;
  for (const double factor : {1.0, 2.0, 0.5}) tempo_ok |= std::abs(track.rhythm.bpm - tempo * factor) <= 0.04 * tempo * factor;
  EXPECT_TRUE(tempo_ok) << id << ": " << track.rhythm.bpm << " BPM, labelled " << tempo;
  // Beats at the labelled level or at half of it (either phase).
  const std::vector<double> beats = read_times(kDir + id + ".beats");
  const double f = std::max({f_measure(beats, track.rhythm.beats), f_measure(every_other(beats, 0), track.rhythm.beats),
                             f_measure(every_other(beats, 1), track.rhythm.beats)});
  EXPECT_GE(f, 0.85) << id;
  // Chords: the labelled triad most of the time.
  EXPECT_GE(chord_overlap(read_lab(kDir + id + ".chords.lab"), track.chords), 0.7) << id;
  // The render holds every labelled beat (whole bars and the release tail: 16–20 s).
  EXPECT_GT(track.duration_seconds, beats.back()) << id;
  EXPECT_LT(track.duration_seconds, 21.0) << id;
}

INSTANTIATE_TEST_SUITE_P(AudioRendered, RenderedFixture, ::testing::Values("g0000", "g0004", "g0013", "g0018"));

}  // namespace
}  // namespace segue::audio
