// ItemCatalog: what a served model's items are called. Labels ("Artist - Title"
// or the store's name, else the id), the store row of each model item, name
// resolution for listeners who type artists or titles instead of ids, and
// search-as-you-type. Built once per loaded model; read-only afterwards.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/dataset.h"
#include "data/id_map.h"

namespace segue {

// One item reference as a client gives it: an id of the data, or a name.
struct ItemRef {
  std::string text;
  float weight = 1.0f;
};

// Where a reference landed: the model items it stands for (one for an id or a
// track name; an artist's most popular tracks for an artist name) and how.
struct ResolvedRef {
  std::vector<std::int32_t> items;
  std::string how;  // "id", "name", "artist"
};

struct CatalogMatch {
  std::int32_t item = 0;
  std::string label;
};

class ItemCatalog {
 public:
  // `item_ids`: the model's items; `store`: optional (names, artists); `popularity`:
  // training count per model item (orders artist tracks and search results).
  ItemCatalog(const IdMap& item_ids, const Dataset* store, std::span<const float> popularity);

  std::int32_t n_items() const { return static_cast<std::int32_t>(labels_.size()); }
  const std::string& label(std::int32_t item) const { return labels_[static_cast<std::size_t>(item)]; }
  std::string_view artist(std::int32_t item) const;
  std::string_view id(std::int32_t item) const { return item_ids_.name(item); }
  // Row of the item in the store; -1 when there is no store or it lacks the item.
  std::int32_t store_row(std::int32_t item) const {
    return store_rows_.empty() ? -1 : store_rows_[static_cast<std::size_t>(item)];
  }

  // Resolves a reference, in this order: an exact item id; a label
  // ("Artist - Title", case-insensitive); a track/item name (case-insensitive)
  // that names exactly one item; an artist name (their `artist_tracks` most
  // popular items). UsageError naming `field` for an unknown reference, or an
  // ambiguous name (listing up to 5 labels to choose from).
  ResolvedRef resolve(std::string_view text, std::string_view field, std::int32_t artist_tracks = 3) const;

  // Items whose label contains `query` (case-insensitive; at least 2
  // characters), labels starting with it first, then by popularity; at most `limit`.
  std::vector<CatalogMatch> search(std::string_view query, std::int32_t limit) const;

 private:
  const IdMap& item_ids_;
  std::vector<std::string> labels_;
  std::vector<std::string> artists_;
  std::vector<std::int32_t> store_rows_;
  std::vector<float> popularity_;
  // The name indexes are built on first use: a server that is only asked by id
  // (or a CLI call by user) does not pay for them at start-up.
  void build_indexes() const;
  mutable std::once_flag indexes_once_;
  mutable std::vector<std::string> lowered_labels_;
  mutable std::unordered_map<std::string, std::vector<std::int32_t>> by_label_;   // lowercase label -> items
  mutable std::unordered_map<std::string, std::vector<std::int32_t>> by_name_;    // lowercase name -> items
  mutable std::unordered_map<std::string, std::vector<std::int32_t>> by_artist_;  // lowercase artist -> items, most popular first
  std::vector<std::string> names_;  // the store's name per item ("" = none)
};

// ASCII lower case (names are matched case-insensitively; other bytes as they are).
std::string lower_ascii(std::string_view text);

}  // namespace segue
