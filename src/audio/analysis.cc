#include "audio/analysis.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <stdexcept>

#include "audio/resample.h"
#include "audio/spectrum.h"
#include "data/csv_writer.h"
#include "data/error.h"

namespace segue::audio {

namespace {

// The analysis STFT shared by the timbre descriptors (2048-point frames, hop 512 at 22,050 Hz).
constexpr int kFrameSize = 2048;
constexpr int kHop = 512;

void append_number(std::string& row, double value, const char* column, const std::string& item) {
  // A descriptor that is not finite is a bug in segue, not in the file: say
  // which one rather than writing NaN into a feature file.
  if (!std::isfinite(value))
    throw std::logic_error("audio analysis of '" + item + "': " + column + " is not finite");
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  row.push_back(',');
  row += buffer;
}

}  // namespace

TrackAnalysis analyze_audio(const AudioBuffer& audio, const AnalyzeOptions& options) {
  TrackAnalysis out;
  out.duration_seconds = audio.seconds();
  out.sample_rate = audio.sample_rate;
  out.channels = audio.channels;
  out.loudness = measure_loudness(audio);
  const std::vector<float> mono =
      resample(mix_to_mono(audio), audio.sample_rate, options.analysis_rate);
  const double rate = options.analysis_rate;
  const Chroma chroma = chromagram(mono, rate);
  out.rhythm = analyze_rhythm(mono, rate, &chroma);
  out.key = estimate_key(chroma);
  out.chords = estimate_chords(chroma, out.rhythm.beats, out.duration_seconds);
  out.chord_summary = summarise_chords(out.chords);
  out.timbre = analyze_timbre(stft_magnitude(mono, rate, kFrameSize, kHop), mono);
  out.perceptual = perceptual_scores(out.loudness, out.rhythm, out.key, out.timbre);
  return out;
}

std::vector<std::string> analysis_columns() {
  std::vector<std::string> columns = {"item_id", "duration_ms", "sample_rate", "channels", "tempo", "tempo_confidence",
                                      "beat_count", "beat_strength", "onset_rate", "loudness_lufs", "loudness",
                                      "loudness_range", "true_peak_dbtp", "key", "mode", "key_strength",
                                      "chord_changes_per_minute", "distinct_chords", "chord_transitions"};
  for (int k = 0; k < kMfccCoefficients; ++k) columns.push_back("mfcc_mean_" + std::to_string(k));
  for (int k = 0; k < kMfccCoefficients; ++k) columns.push_back("mfcc_std_" + std::to_string(k));
  for (const char* name : {"spectral_centroid", "spectral_rolloff", "spectral_flatness", "spectral_flux",
                           "zero_crossing_rate", "rms", "dynamic_range", "energy", "danceability", "acousticness",
                           "valence"})
    columns.emplace_back(name);
  return columns;
}

std::string analysis_row(const TrackAnalysis& t) {
  std::string row;
  append_csv_field(row, t.item_id);
  const auto number = [&](double value, const char* column) { append_number(row, value, column, t.item_id); };
  const auto text = [&](std::string_view value) {
    row.push_back(',');
    append_csv_field(row, value);
  };
  number(std::round(t.duration_seconds * 1000.0), "duration_ms");
  number(t.sample_rate, "sample_rate");
  number(t.channels, "channels");
  number(t.rhythm.bpm, "tempo");
  number(t.rhythm.bpm_confidence, "tempo_confidence");
  number(static_cast<double>(t.rhythm.beats.size()), "beat_count");
  number(t.rhythm.beat_strength, "beat_strength");
  number(t.rhythm.onset_rate, "onset_rate");
  number(t.loudness.integrated_lufs, "loudness_lufs");
  number(t.loudness.integrated_lufs, "loudness");  // the items CSV's audio column (docs/FEATURES.md)
  number(t.loudness.range_lu, "loudness_range");
  number(t.loudness.true_peak_dbtp, "true_peak_dbtp");
  text(pitch_class_name(t.key.tonic));
  text(t.key.major ? "major" : "minor");
  number(t.key.strength, "key_strength");
  number(t.chord_summary.changes_per_minute, "chord_changes_per_minute");
  number(t.chord_summary.distinct_chords, "distinct_chords");
  text(t.chord_summary.top_transitions);
  for (const double v : t.timbre.mfcc_mean) number(v, "mfcc_mean");
  for (const double v : t.timbre.mfcc_std) number(v, "mfcc_std");
  number(t.timbre.centroid_hz, "spectral_centroid");
  number(t.timbre.rolloff_hz, "spectral_rolloff");
  number(t.timbre.flatness, "spectral_flatness");
  number(t.timbre.flux, "spectral_flux");
  number(t.timbre.zero_crossing_rate, "zero_crossing_rate");
  number(t.timbre.rms, "rms");
  number(t.timbre.dynamic_range_db, "dynamic_range");
  number(t.perceptual.energy, "energy");
  number(t.perceptual.danceability, "danceability");
  number(t.perceptual.acousticness, "acousticness");
  number(t.perceptual.valence, "valence");
  return row;
}

void write_analysis_details(const TrackAnalysis& track, const std::string& dir) {
  const std::filesystem::path base = std::filesystem::path(dir) / track.item_id;
  const auto open = [](const std::filesystem::path& path) {
    std::ofstream out(path);
    if (!out) throw InputError(path.string(), 0, "", "cannot write");
    return out;
  };
  {
    auto beats = open(base.string() + ".beats.txt");
    beats << std::fixed << std::setprecision(4);
    for (const double t : track.rhythm.beats) beats << t << '\n';
  }
  {
    // The metrical-level candidates and their features: what fit_metre.py learns from.
    auto metre = open(base.string() + ".tempo.tsv");
    metre << "bpm\tchosen\tscore";
    for (const char* name : metre_feature_names()) metre << '\t' << name;
    metre << '\n' << std::setprecision(6);
    for (std::size_t i = 0; i < track.rhythm.metre.size(); ++i) {
      const MetreCandidate& c = track.rhythm.metre[i];
      metre << c.bpm << '\t' << (i == track.rhythm.metre_choice ? 1 : 0) << '\t' << c.score;
      for (const double f : c.features) metre << '\t' << f;
      metre << '\n';
    }
  }
  auto chords = open(base.string() + ".chords.lab");
  chords << std::fixed << std::setprecision(4);
  for (const ChordSegment& c : track.chords) chords << c.start << '\t' << c.end << '\t' << chord_label(c) << '\n';
  if (!chords) throw InputError(base.string() + ".chords.lab", 0, "", "write failed");
}

}  // namespace segue::audio
