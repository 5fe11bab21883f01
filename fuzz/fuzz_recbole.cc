// The RecBole atomic-file importer: d.inter with optional d.item and d.user,
// separated in one input by "%%" lines.
#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  segue::fuzz::import_parts(std::string_view(reinterpret_cast<const char*>(data), size), "recbole",
                            {{"d.inter", false}, {"d.item", true}, {"d.user", true}}, "");
  return 0;
}
