// The track-catalogue importer (the SpotifyFeatures.csv layout: audio features, no events).
#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  segue::fuzz::import_parts(std::string_view(reinterpret_cast<const char*>(data), size), "tracks",
                            {{"tracks.csv", false}}, "tracks.csv");
  return 0;
}
