// Reading audio files with libsndfile (WAV, AIFF, FLAC, OGG/Vorbis, Opus and,
// from libsndfile 1.1 on, MP3). Every problem is an InputError naming the file:
// not audio, an unsupported format, a truncated stream (fewer frames than the
// header promises), non-finite samples, no channels.
#pragma once

#include <cstdint>
#include <string>

#include "audio/audio_buffer.h"

namespace segue::audio {

struct DecodeOptions {
  // Longest audio read (seconds; 0 = all): a guard against huge files, which
  // are an error naming the length rather than an out-of-memory crash.
  double max_seconds = 3600.0;
};

AudioBuffer read_audio(const std::string& path, const DecodeOptions& options = {});

// Writes 16-bit PCM WAV (tests and fixtures; FLAC when the path ends in .flac).
void write_audio(const std::string& path, const AudioBuffer& audio);

}  // namespace segue::audio
