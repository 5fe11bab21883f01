// The generic CSV/TSV importer (`segue import --format csv`): user_id,
// item_id and the optional columns it detects (weight, timestamp, event,
// session, position), plus a "device" context column when the header names one.
#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  segue::ImportOptions options;
  options.columns.detect_optional = true;
  const std::string_view header = input.substr(0, input.find('\n'));
  if (header.find("device") != std::string_view::npos) options.columns.context.push_back("device");
  if (header.find("hour") != std::string_view::npos) options.columns.context.push_back("hour:num");
  segue::fuzz::import_parts(input, "csv", {{"events.csv", false}}, "events.csv", options);
  return 0;
}
