#include "audio/rhythm.h"

#include <algorithm>
#include <cmath>

#include "audio/onset.h"
#include "audio/rhythm_beats.h"
#include "audio/rhythm_metre.h"
#include "audio/rhythm_tempo.h"

namespace segue::audio {

namespace {

constexpr double kMinSeconds = 2.0;  // below this there are too few beats to call a tempo
// Below this normalised autocorrelation at the winning period there is no pulse
// to speak of: 20 s of white noise reach up to 0.11 (the sample
// autocorrelation's spread over the lags the prior favours), steady tones
// < 0.01, click tracks > 0.9, rendered songs 0.23 and up.
constexpr double kMinConfidence = 0.15;

}  // namespace

Rhythm analyze_rhythm(std::span<const float> mono, double sample_rate, const Chroma* chroma) {
  Rhythm out;
  if (mono.empty() || !(sample_rate > 0)) return out;
  const OnsetEnvelope envelope = onset_strength(mono, sample_rate);
  const double seconds = static_cast<double>(mono.size()) / sample_rate;
  out.onset_rate = static_cast<double>(pick_onsets(envelope).size()) / seconds;
  if (seconds < kMinSeconds) return out;

  const TempoEstimate tempo = estimate_tempo(envelope.strength, envelope.frame_rate);
  if (!(tempo.bpm > 0.0) || tempo.confidence < kMinConfidence) return out;
  out.metre = metre_candidates({envelope.strength, envelope.frame_rate, tempo.period, out.onset_rate, chroma});
  if (out.metre.empty()) return out;  // a pulse needs at least two beats
  out.metre_choice = choose_metre(out.metre);
  const MetreCandidate& chosen = out.metre[out.metre_choice];
  const std::vector<std::int64_t>& beats = chosen.beats;
  out.bpm = chosen.bpm;
  out.bpm_confidence = chosen.factor == 1.0 ? tempo.confidence : std::clamp(chosen.features[2], 0.0, 1.0);
  out.beats.reserve(beats.size());
  for (const std::int64_t k : beats) out.beats.push_back(static_cast<double>(k) / envelope.frame_rate);

  out.beat_strength = chosen.features[3];  // the beat salience the metre model already measured
  return out;
}

}  // namespace segue::audio
