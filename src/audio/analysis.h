// One track's analysis: decode, loudness on the file's own channels, then the
// mono mix resampled to 22,050 Hz for rhythm, harmony, timbre and the
// perceptual scores; and the items-CSV row it becomes (docs/AUDIO.md).
#pragma once

#include <string>
#include <vector>

#include "audio/decode.h"
#include "audio/loudness.h"
#include "audio/perceptual.h"
#include "audio/rhythm.h"
#include "audio/timbre.h"
#include "audio/tonal.h"

namespace segue::audio {

inline constexpr int kAnalysisRate = 22050;

struct AnalyzeOptions {
  DecodeOptions decode;
  int analysis_rate = kAnalysisRate;
};

struct TrackAnalysis {
  std::string item_id;
  double duration_seconds = 0;
  int sample_rate = 0, channels = 0;  // the file's own
  Loudness loudness;
  Rhythm rhythm;
  Key key;
  std::vector<ChordSegment> chords;
  ChordSummary chord_summary;
  Timbre timbre;
  Perceptual perceptual;
};

TrackAnalysis analyze_audio(const AudioBuffer& audio, const AnalyzeOptions& options = {});

// The CSV columns, item_id first; the row of one track (no line break).
std::vector<std::string> analysis_columns();
std::string analysis_row(const TrackAnalysis& track);

// Per-track files for scoring (bench/audio): DIR/<item_id>.beats.txt (one beat
// time per line, seconds), DIR/<item_id>.chords.lab (start<TAB>end<TAB>label)
// and DIR/<item_id>.tempo.tsv (the metrical-level candidates with their features).
void write_analysis_details(const TrackAnalysis& track, const std::string& dir);

}  // namespace segue::audio
