// The service's JSON request bodies: POST /v1/recommendations (a history) and
// POST /v1/events (the input's length picks which), through the same parsing
// as the HTTP layer. Events go to the in-memory log (no database).
#include "fuzz/fuzz_service.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  segue::Service& service = segue::fuzz::served();
  const std::string body(reinterpret_cast<const char*>(data), size);
  segue::fuzz::answer([&] {
    const nlohmann::json request = segue::parse_json_body(body);
    return size % 2 ? service.post_events(request) : service.history_recommendations(request);
  });
  return 0;
}
