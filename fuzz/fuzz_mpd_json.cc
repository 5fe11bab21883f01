// The Million Playlist Dataset importer on one JSON slice (mpd.slice.*.json, or .json.gz).
#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  segue::fuzz::import_parts(std::string_view(reinterpret_cast<const char*>(data), size), "mpd",
                            {{"mpd.slice.0-999.json", false}}, "mpd.slice.0-999.json");
  return 0;
}
