// Harmony of the mono mix: a chromagram (pitch-class energy per frame), the key
// (chroma correlated with key profiles) and the chord sequence (chord templates
// smoothed by an HMM decoded with Viterbi), with a per-track summary of the
// progression. docs/AUDIO.md gives the details and sources.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace segue::audio {

// Pitch classes 0 = C … 11 = B.
const char* pitch_class_name(int pitch_class);  // "C", "C#", … "B"

struct Chroma {
  double hop_seconds = 0.0;     // frame k is centred at k · hop_seconds
  std::int64_t frames = 0;
  std::vector<float> values;    // frames × 12, each frame's energies (not normalised)
};

Chroma chromagram(std::span<const float> mono, double sample_rate);

struct Key {
  int tonic = 0;          // pitch class
  bool major = true;
  double strength = 0.0;  // correlation of the best profile (0 for silence, which reports C major)
};

Key estimate_key(const Chroma& chroma);

struct ChordSegment {
  double start = 0.0, end = 0.0;  // seconds
  int root = -1;                  // pitch class; -1 = no chord ("N")
  bool major = true;
};

// Harte-style label as mir_eval reads it: "C:maj", "F#:min", "N".
std::string chord_label(const ChordSegment& chord);

// Contiguous segments covering [0, duration]; `beats` (may be empty) lets the
// decoder prefer changes on beats.
std::vector<ChordSegment> estimate_chords(const Chroma& chroma, std::span<const double> beats, double duration);

struct ChordSummary {
  double changes_per_minute = 0.0;  // harmonic change rate
  int distinct_chords = 0;
  std::string top_transitions;      // the most common transitions, "C:maj>G:maj|G:maj>A:min|…" (at most 3)
};

ChordSummary summarise_chords(std::span<const ChordSegment> chords);

}  // namespace segue::audio
