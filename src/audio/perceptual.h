// Spotify-style perceptual scores in [0, 1] (energy, danceability,
// acousticness, valence) as documented formulas over the other descriptors;
// docs/AUDIO.md gives each formula and what it rests on.
#pragma once

#include "audio/loudness.h"
#include "audio/rhythm.h"
#include "audio/timbre.h"
#include "audio/tonal.h"

namespace segue::audio {

struct Perceptual {
  double energy = 0.0, danceability = 0.0, acousticness = 0.0, valence = 0.0;
};

Perceptual perceptual_scores(const Loudness& loudness, const Rhythm& rhythm, const Key& key, const Timbre& timbre);

}  // namespace segue::audio
