// The recordings the audio embedding trains on and embeds: files found from
// the command line's inputs, decoded (audio/decode.h), mixed to mono and
// resampled to the CNN's rate.
#pragma once

#include <string>
#include <vector>

namespace segue::audio {

// Each FILE as given (whatever its extension: decoding says if it is not
// audio); each DIR searched recursively for .wav .flac .ogg .oga .opus .mp3
// .aif .aiff files. Sorted, duplicates removed. InputError for an input that
// does not exist or a directory without audio files.
std::vector<std::string> list_audio_files(const std::vector<std::string>& inputs);

// The file name without directory and extension: the CSV's item_id.
std::string audio_item_id(const std::string& path);

// Mono at `rate`. max_seconds > 0 keeps only that much from the middle of the
// track (training holds every track in memory). Errors name the file.
std::vector<float> load_mono(const std::string& path, int rate, double max_seconds = 0.0);

// load_mono over files on the default thread pool, in the files' order. With
// `skipped`, a file that fails to decode is left out (its error appended
// there) instead of failing the whole call.
std::vector<std::vector<float>> load_tracks(const std::vector<std::string>& files, int rate, double max_seconds = 0.0,
                                            std::vector<std::string>* skipped = nullptr);

}  // namespace segue::audio
