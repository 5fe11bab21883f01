// The recordings the audio embedding trains on and embeds: files found from
// the command line's inputs, decoded (audio/decode.h), mixed to mono and
// resampled to the CNN's rate.
#pragma once

#include <string>
#include <vector>

#include "audio/audio_files.h"  // list_audio_files, audio_item_id

namespace segue::audio {

// Mono at `rate`. max_seconds > 0 keeps only that much from the middle of the
// track (training holds every track in memory). Errors name the file.
std::vector<float> load_mono(const std::string& path, int rate, double max_seconds = 0.0);

// load_mono over files on the default thread pool, in the files' order. With
// `skipped`, a file that fails to decode is left out (its error appended
// there) instead of failing the whole call.
std::vector<std::vector<float>> load_tracks(const std::vector<std::string>& files, int rate, double max_seconds = 0.0,
                                            std::vector<std::string>* skipped = nullptr);

}  // namespace segue::audio
