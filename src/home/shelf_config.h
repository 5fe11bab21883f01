// The shelves a home page may show, from one JSON file (docs/HOME.md): each
// shelf is a candidate generator, a title template and limits. The policy
// decides which of them a listener sees and in which order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace segue::home {

enum class Generator {
  kBecauseYouPlayed,  // items like one recent seed track (the model's similar items)
  kMoreOfArtist,      // the listener's most played artist's other tracks
  kKeepTheVibe,       // the current session folded in (the model's fold-in over the last plays)
  kMadeForYou,        // the main model's list
  kNewToYou,          // the model's picks among less-known tracks, one per artist
  kForThisHour,       // the model's list re-ranked for the hour of day
  kFriends,           // what the listener's friends play
  kNewReleases,       // tracks that appeared last in the data, ranked by the model
  kPopular,           // the most played tracks
};

// "because_you_played", ... (the explanation type logged with each card).
std::string_view to_string(Generator generator);
Generator parse_generator(std::string_view text);  // UsageError listing the names

struct ShelfSpec {
  std::string name;   // unique; logged as the impression's shelf
  Generator generator = Generator::kMadeForYou;
  // Title template: {seed} (the seed track), {artist}, {hour} ("tonight"),
  // {friend}; e.g. "Because you played {seed}".
  std::string title;
  std::int32_t cards = 10;       // cards shown on the shelf
  std::int32_t candidates = 30;  // candidates offered to the card policy (>= cards)
};

struct ShelfConfig {
  std::vector<ShelfSpec> shelves;
  std::int32_t max_shelves = 8;  // shelves on a page
};

// The nine shelves of the issue, 10 cards each from 30 candidates, 8 per page.
ShelfConfig default_shelf_config();
// {"max_shelves": 8, "shelves": [{"name", "generator", "title", "cards", "candidates"}, ...]}.
// InputError naming the file and the field (shelves[2].cards) for anything
// malformed: unknown generator, duplicate name, cards outside 1..100,
// candidates < cards or > 1000, no shelves.
ShelfConfig load_shelf_config(const std::string& path);
ShelfConfig parse_shelf_config(std::string_view json_text, const std::string& source);

}  // namespace segue::home
