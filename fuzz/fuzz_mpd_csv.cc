// The Million Playlist Dataset importer on its CSV conversion: playlists.csv and
// playlist_tracks.csv in one directory, separated in one input by a "%%" line.
#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  segue::fuzz::import_parts(std::string_view(reinterpret_cast<const char*>(data), size), "mpd",
                            {{"playlists.csv", false}, {"playlist_tracks.csv", false}}, "");
  return 0;
}
