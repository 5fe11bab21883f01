#include "home/shelf_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/error.h"

namespace segue::home {

namespace {

struct GeneratorName {
  Generator generator;
  std::string_view name;
};

constexpr GeneratorName kGenerators[] = {
    {Generator::kBecauseYouPlayed, "because_you_played"}, {Generator::kMoreOfArtist, "more_of_artist"},
    {Generator::kKeepTheVibe, "keep_the_vibe"},           {Generator::kMadeForYou, "made_for_you"},
    {Generator::kNewToYou, "new_to_you"},                 {Generator::kForThisHour, "for_this_hour"},
    {Generator::kFriends, "friends"},                     {Generator::kNewReleases, "new_releases"},
    {Generator::kPopular, "popular"},
};

std::string generator_names() {
  std::string out;
  for (const auto& g : kGenerators) out += (out.empty() ? "" : ", ") + std::string(g.name);
  return out;
}

}  // namespace

std::string_view to_string(Generator generator) {
  for (const auto& g : kGenerators)
    if (g.generator == generator) return g.name;
  return "unknown";
}

Generator parse_generator(std::string_view text) {
  for (const auto& g : kGenerators)
    if (g.name == text) return g.generator;
  throw UsageError("generator: unknown '" + std::string(text) + "' (one of " + generator_names() + ")");
}

ShelfConfig default_shelf_config() {
  ShelfConfig config;
  config.shelves = {
      {"because_you_played", Generator::kBecauseYouPlayed, "Because you played {seed}"},
      {"more_of_artist", Generator::kMoreOfArtist, "More of {artist}"},
      {"keep_the_vibe", Generator::kKeepTheVibe, "Keep the vibe going"},
      {"made_for_you", Generator::kMadeForYou, "Made for you"},
      {"new_to_you", Generator::kNewToYou, "New to you"},
      {"for_this_hour", Generator::kForThisHour, "For {hour}"},
      {"friends", Generator::kFriends, "Friends are listening"},
      {"new_releases", Generator::kNewReleases, "New releases for you"},
      {"popular", Generator::kPopular, "Popular now"},
  };
  return config;
}

ShelfConfig parse_shelf_config(std::string_view json_text, const std::string& source) {
  const auto fail = [&](const std::string& field, const std::string& what) -> InputError {
    return InputError(source, 0, field, what);
  };
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& error) {  // parse errors, and numbers too large for a double
    throw fail("", std::string("not valid JSON: ") + error.what());
  }
  if (!root.is_object()) throw fail("", "expected a JSON object with \"shelves\"");
  ShelfConfig config;
  if (root.contains("max_shelves")) {
    const auto& m = root["max_shelves"];
    if (!m.is_number_integer() || m.get<std::int64_t>() < 1 || m.get<std::int64_t>() > 50)
      throw fail("max_shelves", "expected an integer in 1..50");
    config.max_shelves = m.get<std::int32_t>();
  }
  if (!root.contains("shelves") || !root["shelves"].is_array() || root["shelves"].empty())
    throw fail("shelves", "expected a non-empty array of shelves");
  std::set<std::string> names;
  const auto& shelves = root["shelves"];
  for (std::size_t i = 0; i < shelves.size(); ++i) {
    const std::string at = "shelves[" + std::to_string(i) + "]";
    const auto& s = shelves[i];
    if (!s.is_object()) throw fail(at, "expected an object");
    const auto text = [&](const char* key, bool required) -> std::string {
      if (!s.contains(key)) {
        if (required) throw fail(at + "." + key, "missing");
        return {};
      }
      if (!s[key].is_string() || s[key].get<std::string>().empty()) throw fail(at + "." + key, "expected a non-empty string");
      return s[key].get<std::string>();
    };
    const auto integer = [&](const char* key, std::int32_t fallback, std::int64_t lo, std::int64_t hi) {
      if (!s.contains(key)) return fallback;
      if (!s[key].is_number_integer() || s[key].get<std::int64_t>() < lo || s[key].get<std::int64_t>() > hi)
        throw fail(at + "." + key, "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
      return s[key].get<std::int32_t>();
    };
    ShelfSpec spec;
    spec.name = text("name", true);
    if (!names.insert(spec.name).second) throw fail(at + ".name", "duplicate shelf name '" + spec.name + "'");
    try {
      spec.generator = parse_generator(text("generator", true));
    } catch (const UsageError& error) {
      throw fail(at + ".generator", error.what());
    }
    spec.title = text("title", false);
    if (spec.title.empty()) spec.title = spec.name;
    spec.cards = integer("cards", 10, 1, 100);
    spec.candidates = integer("candidates", std::max(30, spec.cards), 1, 1000);
    if (spec.candidates < spec.cards) throw fail(at + ".candidates", "must be at least cards (" + std::to_string(spec.cards) + ")");
    config.shelves.push_back(std::move(spec));
  }
  return config;
}

ShelfConfig load_shelf_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open the shelf configuration");
  std::stringstream text;
  text << in.rdbuf();
  return parse_shelf_config(text.str(), path);
}

}  // namespace segue::home
