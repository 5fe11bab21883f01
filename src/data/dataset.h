// The one in-memory form of music listening data that every importer produces
// and every model, split and evaluator consumes (see docs/DATA.md).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "data/id_map.h"
#include "util/buffer.h"

namespace segue {

constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();
constexpr std::int32_t kNoSession = -1;
constexpr std::int32_t kNoPosition = -1;

// Per-event context field (hour_of_day, device, context_type, premium, ...).
// Categorical fields hold codes into `vocab` (-1 = missing); numeric ones hold
// floats (NaN = missing). Exactly one of codes/values is filled, one per event.
struct ContextColumn {
  std::string name;
  bool categorical = true;
  IdMap vocab;
  std::vector<std::int32_t> codes;
  std::vector<float> values;
};

// Events in CSR by user: the events of user u are [indptr[u], indptr[u+1]),
// in import order (importers emit each user's events in time/position order).
// Optional arrays are either empty (absent) or one entry per event.
struct Interactions {
  std::int32_t n_users = 0;
  std::int32_t n_items = 0;
  Buffer<std::int64_t> indptr{0};  // n_users + 1
  Buffer<std::int32_t> items;      // item of each event
  Buffer<float> weights;           // raw weight (play count, rating); absent = 1
  Buffer<std::int64_t> timestamps; // unix seconds; kNoTime = missing
  Buffer<std::int16_t> events;     // code into Dataset::event_names; absent = all "play"
  Buffer<std::int32_t> sessions;   // code into Dataset::sessions; kNoSession = none
  Buffer<std::int32_t> positions;  // position in playlist/session; kNoPosition = none
  std::vector<ContextColumn> context;

  std::int64_t size() const { return static_cast<std::int64_t>(items.size()); }
  std::int64_t begin(std::int32_t user) const { return indptr[user]; }
  std::int64_t end(std::int32_t user) const { return indptr[user + 1]; }
  std::int64_t count(std::int32_t user) const { return indptr[user + 1] - indptr[user]; }
  float weight(std::int64_t e) const { return weights.empty() ? 1.0f : weights[e]; }
  std::int16_t event(std::int64_t e) const { return events.empty() ? 0 : events[e]; }

  // Throws std::invalid_argument naming the broken invariant (used on load).
  void validate() const;
};

// One string per row (user or item); empty string = missing.
struct StringColumn {
  std::string name;
  std::vector<std::string> values;
};

// One float per row; NaN = missing.
struct NumericColumn {
  std::string name;
  std::vector<float> values;
};

// Token lists per row (tags, genres): CSR over a token vocabulary, with a
// count per (row, token) (e.g. how many users gave the tag).
struct TokenLists {
  IdMap vocab;
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> tokens;
  std::vector<float> counts;

  std::int64_t rows() const { return static_cast<std::int64_t>(indptr.size()) - 1; }
};

// Side data for users or items, rows aligned with the matching IdMap.
// Well-known item columns: name, artist, album, genre, year, url, text;
// user columns: name, description (playlists). Numeric item columns hold audio
// features (danceability, energy, tempo, loudness, ...).
struct Attributes {
  std::vector<StringColumn> strings;
  std::vector<NumericColumn> numbers;
  TokenLists tags;

  const StringColumn* find_string(std::string_view name) const;
  const NumericColumn* find_number(std::string_view name) const;
  std::string_view string_value(std::string_view column, std::int32_t row) const;  // "" if none
  bool empty() const { return strings.empty() && numbers.empty() && tags.tokens.empty(); }
};

// Undirected social edges (friends) between users, stored in both directions as CSR.
struct SocialGraph {
  std::vector<std::int64_t> indptr{0};
  std::vector<std::int32_t> neighbors;
  std::int64_t edges() const { return static_cast<std::int64_t>(neighbors.size()); }
};

// Everything one import produced.
struct Dataset {
  IdMap users;
  IdMap items;
  IdMap sessions;
  std::vector<std::string> event_names{"play"};  // code 0 is always "play"
  std::vector<float> event_signal{1.0f};         // implicit signal per event type; < 0 = negative feedback
  Interactions interactions;
  Attributes user_attributes;
  Attributes item_attributes;
  SocialGraph friends;
  std::string source;  // format and input path, for stats and provenance

  std::int32_t n_users() const { return users.size(); }
  std::int32_t n_items() const { return items.size(); }
  void validate() const;  // throws std::invalid_argument
};

}  // namespace segue
