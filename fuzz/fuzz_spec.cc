// Spec strings ("ials:factors=128,reg=0.05", nested ones in blend/mmr/two-stage
// models). An accepted spec must print to a canonical form that parses back to
// the same spec, and constructing its model may refuse only with a UsageError.
#include <memory>

#include "data/error.h"
#include "models/recommender.h"
#include "models/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  segue::ModelSpec spec;
  try {
    spec = segue::parse_spec(text);
  } catch (const segue::UsageError&) {
    return 0;
  }
  const std::string printed = spec.to_string();
  segue::ModelSpec again;
  try {
    again = segue::parse_spec(printed);
  } catch (const segue::UsageError& error) {
    std::fprintf(stderr, "segue fuzz: the canonical form '%s' is refused: %s\n", printed.c_str(), error.what());
    std::abort();
  }
  if (!(again == spec)) {
    std::fprintf(stderr, "segue fuzz: '%s' parses back to '%s'\n", printed.c_str(), again.to_string().c_str());
    std::abort();
  }
  try {
    const std::unique_ptr<segue::Recommender> model = segue::make_recommender(spec);
  } catch (const segue::UsageError&) {
  }
  return 0;
}
