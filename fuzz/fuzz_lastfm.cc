// The Last.fm HetRec importer: user_artists.dat, artists.dat, user_friends.dat,
// tags.dat and user_taggedartists.dat, separated in one input by "%%" lines.
#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  segue::fuzz::import_parts(std::string_view(reinterpret_cast<const char*>(data), size), "lastfm",
                            {{"user_artists.dat", false},
                             {"artists.dat", true},
                             {"user_friends.dat", true},
                             {"tags.dat", true},
                             {"user_taggedartists.dat", true}},
                            "");
  return 0;
}
