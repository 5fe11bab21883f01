// Chords: each chroma frame scored against 24 major/minor triad templates and a
// flat "no chord" template (cosine similarity, Cho & Bello 2014's template
// baseline), then smoothed by an HMM with one uniform switch penalty (a sticky
// self-transition, Papadopoulos & Peeters 2007) decoded with Viterbi. Beats, when
// given, make switching cheaper at frame boundaries near a beat.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "audio/tonal.h"

namespace segue::audio {

namespace {

constexpr int kStates = 25;              // 0–11 major roots, 12–23 minor roots, 24 no chord
constexpr int kNoChord = 24;
constexpr float kSilence = 1e-3f;        // frames below this share of the loudest frame are "N"
constexpr float kNoChordOffset = 0.15f;  // a flat chroma must beat the best triad by this to be "N"
constexpr float kSwitchPenalty = 1.0f;   // cosine-frames of evidence a change needs …
constexpr float kOnBeatPenalty = 0.5f;   // … or, next to a beat, this many
constexpr float kOffBeatPenalty = 1.5f;  // … and this many away from beats

// Cosine of a unit-norm chroma with every state's template (scores: kStates floats).
void frame_scores(const float* chroma, float* scores) {
  const float triad = 1.0f / std::sqrt(3.0f), flat = 1.0f / std::sqrt(12.0f);
  float sum = 0;
  for (int i = 0; i < 12; ++i) sum += chroma[i];
  for (int root = 0; root < 12; ++root) {
    const float r = chroma[root], fifth = chroma[(root + 7) % 12];
    scores[root] = triad * (r + chroma[(root + 4) % 12] + fifth);
    scores[12 + root] = triad * (r + chroma[(root + 3) % 12] + fifth);
  }
  scores[kNoChord] = flat * sum - kNoChordOffset;
}

}  // namespace

std::string chord_label(const ChordSegment& chord) {
  if (chord.root < 0) return "N";
  return std::string(pitch_class_name(chord.root)) + (chord.major ? ":maj" : ":min");
}

std::vector<ChordSegment> estimate_chords(const Chroma& chroma, std::span<const double> beats, double duration) {
  std::vector<ChordSegment> out;
  if (!(duration > 0)) return out;
  const std::int64_t frames = chroma.frames;
  if (frames <= 0 || !(chroma.hop_seconds > 0)) {
    out.push_back({0.0, duration, -1, true});
    return out;
  }
  const auto T = static_cast<std::size_t>(frames);

  // Emission scores, frames × kStates.
  float loudest = 0;
  for (std::size_t t = 0; t < T; ++t) {
    float energy = 0;
    for (int i = 0; i < 12; ++i) energy += chroma.values[t * 12 + static_cast<std::size_t>(i)];
    loudest = std::max(loudest, energy);
  }
  std::vector<float> scores(T * kStates);
  for (std::size_t t = 0; t < T; ++t) {
    const float* row = chroma.values.data() + t * 12;
    float* s = scores.data() + t * kStates;
    float energy = 0, norm = 0;
    for (int i = 0; i < 12; ++i) energy += row[i], norm += row[i] * row[i];
    if (!(energy > kSilence * loudest) || !(norm > 0)) {
      std::fill(s, s + kStates, 0.0f);
      s[kNoChord] = 1.0f;
      continue;
    }
    float unit[12];
    const float inverse = 1.0f / std::sqrt(norm);
    for (int i = 0; i < 12; ++i) unit[i] = row[i] * inverse;
    frame_scores(unit, s);
  }

  // Switch penalty into each frame: lower where the boundary before it lies
  // within half a hop of a beat.
  std::vector<float> penalty(T, beats.empty() ? kSwitchPenalty : kOffBeatPenalty);
  for (const double beat : beats) {
    const double t = std::round(beat / chroma.hop_seconds + 0.5);  // boundary (t − ½)·hop nearest the beat
    if (t >= 1 && t < static_cast<double>(T)) penalty[static_cast<std::size_t>(t)] = kOnBeatPenalty;
  }

  // Viterbi with uniform switching: the best predecessor of a switch is the
  // best state overall, so each frame costs O(kStates).
  std::vector<std::uint8_t> from(T * kStates);
  std::vector<double> delta(scores.begin(), scores.begin() + kStates), next(kStates);
  for (std::size_t t = 1; t < T; ++t) {
    const int best = static_cast<int>(std::max_element(delta.begin(), delta.end()) - delta.begin());
    const double switched = delta[static_cast<std::size_t>(best)] - penalty[t];
    for (int s = 0; s < kStates; ++s) {
      const bool stay = delta[static_cast<std::size_t>(s)] >= switched;
      next[static_cast<std::size_t>(s)] = (stay ? delta[static_cast<std::size_t>(s)] : switched) + scores[t * kStates + static_cast<std::size_t>(s)];
      from[t * kStates + static_cast<std::size_t>(s)] = static_cast<std::uint8_t>(stay ? s : best);
    }
    delta.swap(next);
  }
  std::vector<std::uint8_t> path(T);
  path[T - 1] = static_cast<std::uint8_t>(std::max_element(delta.begin(), delta.end()) - delta.begin());
  for (std::size_t t = T - 1; t > 0; --t) path[t - 1] = from[t * kStates + path[t]];

  // Segments: a change between frames t − 1 and t happens at (t − ½)·hop.
  double start = 0.0;
  for (std::size_t t = 1; t <= T; ++t) {
    if (t < T && path[t] == path[t - 1]) continue;
    const double end = t == T ? duration : std::clamp((static_cast<double>(t) - 0.5) * chroma.hop_seconds, 0.0, duration);
    if (end > start) {
      const int state = path[t - 1];
      out.push_back({start, end, state == kNoChord ? -1 : state % 12, state < 12});
      start = end;
    }
  }
  if (out.empty()) out.push_back({0.0, duration, -1, true});
  out.back().end = duration;
  // Clamping at the ends can make neighbours equal: merge them.
  std::size_t kept = 0;
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].root == out[kept].root && (out[i].root < 0 || out[i].major == out[kept].major)) out[kept].end = out[i].end;
    else out[++kept] = out[i];
  }
  out.resize(kept + 1);
  return out;
}

ChordSummary summarise_chords(std::span<const ChordSegment> chords) {
  ChordSummary summary;
  if (chords.empty()) return summary;
  std::vector<std::string> sequence;  // chords without N, repeats merged
  std::set<std::string> distinct;
  for (const ChordSegment& c : chords) {
    if (c.root < 0) continue;
    std::string label = chord_label(c);
    distinct.insert(label);
    if (sequence.empty() || sequence.back() != label) sequence.push_back(std::move(label));
  }
  summary.distinct_chords = static_cast<int>(distinct.size());
  std::map<std::string, int> transitions;
  for (std::size_t i = 1; i < sequence.size(); ++i) ++transitions[sequence[i - 1] + ">" + sequence[i]];
  const double minutes = (chords.back().end - chords.front().start) / 60.0;
  const int changes = sequence.empty() ? 0 : static_cast<int>(sequence.size()) - 1;
  summary.changes_per_minute = minutes > 0 ? changes / minutes : 0.0;
  std::vector<std::pair<std::string, int>> ranked(transitions.begin(), transitions.end());  // label order
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (std::size_t i = 0; i < ranked.size() && i < 3; ++i) {
    if (i > 0) summary.top_transitions += '|';
    summary.top_transitions += ranked[i].first;
  }
  return summary;
}

}  // namespace segue::audio
