// The Spotify Sequential Skip Prediction importer: a directory with log_0.csv
// and an optional tf_0.csv (track features), separated in one input by a "%%" line.
#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  segue::fuzz::import_parts(std::string_view(reinterpret_cast<const char*>(data), size), "spotify-skips",
                            {{"log_0.csv", false}, {"tf_0.csv", true}}, "");
  return 0;
}
