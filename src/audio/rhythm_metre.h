// The metrical level. The autocorrelation peak nearest the 120 BPM prior is
// often the half or the double of the beat a listener (or a score) counts: the
// octave error. The tempo it picks, its half and its double are each described
// by a few rhythmic and harmonic features and scored by a quadratic model fitted
// on a development carve of labelled renders (bench/audio/fit_metre.py; the
// coefficients and their provenance are in rhythm_metre.cc, docs/AUDIO.md).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace segue::audio {

struct Chroma;

inline constexpr std::size_t kMetreFeatures = 10;
// The score is linear in the features and in all their pairwise products
// (i ≤ j, in the order (0,0), (0,1), …, (0,9), (1,1), …): a quadratic
// conditional logit.
inline constexpr std::size_t kMetreTerms = kMetreFeatures + kMetreFeatures * (kMetreFeatures + 1) / 2;

// Feature names, in order (the header of the details file <id>.tempo.tsv).
const std::array<const char*, kMetreFeatures>& metre_feature_names();

struct MetreCandidate {
  double factor = 1.0;                           // period / the input period: 0.5, 1 or 2
  double bpm = 0.0;
  double period = 0.0;                           // envelope frames per beat
  std::vector<std::int64_t> beats;               // beat frames tracked at this period
  std::array<double, kMetreFeatures> features{};  // see metre_feature_names()
  double score = 0.0;                            // the linear model's score; the highest wins
};

struct MetreInputs {
  std::span<const float> envelope;  // onset strength
  double frame_rate = 0.0;          // envelope frames per second
  double period = 0.0;              // the prior-weighted autocorrelation's period, in frames
  double onset_rate = 0.0;          // onsets per second
  const Chroma* chroma = nullptr;   // for the harmonic-change feature; null leaves it 0
};

// The candidates at period/2, period and 2·period that lie in 30..300 BPM and
// give at least two beats, scored. Empty when the input period itself gives
// fewer than two beats (no pulse).
std::vector<MetreCandidate> metre_candidates(const MetreInputs& inputs);

// Index of the highest-scoring candidate (the input period's on ties); candidates must not be empty.
std::size_t choose_metre(const std::vector<MetreCandidate>& candidates);

}  // namespace segue::audio
