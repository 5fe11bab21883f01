// Which files an audio command reads, and the item id each becomes; shared by
// `segue audio analyze` and the CNN embedding's train and embed commands.
#pragma once

#include <string>
#include <vector>

namespace segue::audio {

// Each FILE as given (whatever its extension: decoding says if it is not
// audio); each DIR searched recursively (following directory links) for .wav
// .flac .ogg .oga .opus .mp3 .aif .aiff .au .w64 files, sorted. Inputs keep
// their order; a file reached twice is listed once. InputError for an input
// that does not exist, a directory that cannot be listed or has no audio files.
std::vector<std::string> list_audio_files(const std::vector<std::string>& inputs);

// The file name without directory and extension ("music/01 Intro.flac" -> "01 Intro"): the CSV's item_id.
std::string audio_item_id(const std::string& path);

}  // namespace segue::audio
