#include "audio/rhythm_metre.h"

#include <algorithm>
#include <cmath>

#include "audio/rhythm_beats.h"
#include "audio/rhythm_tempo.h"
#include "audio/tonal.h"

namespace segue::audio {

namespace {

// Fitted by bench/audio/fit_metre.py (conditional logit over each track's
// candidates, L2 3e-3 on standardised terms, chosen by 5-fold song-grouped
// cross-validation) on the development carve: the 181 POP909 songs whose
// number is a multiple of 5, 63 tempo-scaled/transposed renders of them, and
// 60 generated songs of seed 7 (304 files; tempo Accuracy1 0.564 with the
// prior's pick, 0.815 cross-validated). The benchmark reports the other songs. Order: the
// features (metre_feature_names()), then their pairwise products.
constexpr std::array<double, kMetreTerms> kWeights = {
    -0.199973468, 0.316314813, 2.1158862, 0.215984551, 0.386409303, 0.174420254, 9.85310925, 0.52652238,
    -0.299887184, 0.056124821, 0.316320783, 0.245158736, 1.02482179, -0.0228658717, 0.00569967886, 0.509132226,
    4.48396273, 0.193773317, -0.223300872, 0.111647308, -0.281280887, 0.611507582, -0.0520911728, -0.0418964816,
    0.0353351827, -1.10857407, 0.166040552, 0.511633023, 0.0299744313, -0.554080462, 0.248516117, 0.0520493652,
    -0.664237696, -4.25321205, -1.05343719, 0.687203099, -0.0164507077, -0.00981842083, 0.00352737034,
    0.0716707941, -0.135198414, -0.0252833794, 0.133286804, 0.0078586451, -0.00631852646, -0.104070369,
    0.746785909, -0.486716945, -0.544443121, -0.00227624345, -0.588999516, 2.28823671, -0.702831457,
    0.375243088, -0.291111635, -22.6537234, 0.798208187, -3.7483303, 2.97462045, 0.0582509724, 0.0138684069,
    0.0619971765, 0.225922988, -0.0480199319, -0.00495714708};

double score_of(const std::array<double, kMetreFeatures>& f) {
  double score = 0.0;
  std::size_t k = 0;
  for (std::size_t i = 0; i < kMetreFeatures; ++i) score += kWeights[k++] * f[i];
  for (std::size_t i = 0; i < kMetreFeatures; ++i)
    for (std::size_t j = i; j < kMetreFeatures; ++j) score += kWeights[k++] * f[i] * f[j];
  return score;
}

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
      "offbeat_salience",    "log2_onsets_per_beat",        "harmonic_change",
      "log2_offbeat_over_beat",      "log2_offbeat_over_beat_slower", "log2_offbeat_over_beat_faster"};
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
    const double beat_salience = mean > 0.0 ? at_beats / mean : 0.0;
    const double offbeat_salience = mean > 0.0 ? between / mean : 0.0;
    c.features = {octaves,
                  octaves * octaves,
                  ac.empty() ? 0.0 : autocorrelation_near(ac, c.period),
                  beat_salience,
                  offbeat_salience,
                  std::log2(onsets_per_beat),
                  in.chroma ? harmonic_change(*in.chroma, c.beats, in.frame_rate) : 0.0,
                  std::log2((offbeat_salience + 0.05) / (beat_salience + 0.05)),
                  0.0,   // filled below from the neighbours
                  0.0};
    out.push_back(std::move(c));
  }
  // How much the off-beats carry at the next slower and the next faster
  // candidate (the candidate's own value at either end): whether the level
  // above or below splits a pulse that is really there.
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].features[8] = out[i + 1 < out.size() ? i + 1 : i].features[7];
    out[i].features[9] = out[i > 0 ? i - 1 : i].features[7];
  }
  for (MetreCandidate& c : out) c.score = score_of(c.features);
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
