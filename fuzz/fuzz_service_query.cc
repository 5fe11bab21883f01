// The service's URL parameters: "PATH?QUERY" as a client sends it, decoded as
// cpp-httplib decodes it, to the GET endpoints (the first byte picks one:
// recommendations, home, history, similar items, item search, users).
#include <httplib.h>

#include "fuzz/fuzz_service.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  segue::Service& service = segue::fuzz::served();
  const int endpoint = data[0] % 6;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t question = text.find('?');
  const std::string id = httplib::detail::decode_url(text.substr(0, question), false);
  httplib::Params params;
  if (question != std::string::npos) httplib::detail::parse_query_text(text.substr(question + 1), params);
  const segue::QueryParams query(params.begin(), params.end());
  segue::fuzz::answer([&]() -> nlohmann::json {
    switch (endpoint) {
      case 0: return service.user_recommendations(id, query);
      case 1: return service.home_page(id, query);
      case 2: return service.user_history(id, query);
      case 3: return service.similar_items(id, query);
      case 4: return service.search_items(query);
      default: return service.list_users(query);
    }
  });
  return 0;
}
