#include "serve/item_catalog.h"

#include <algorithm>
#include <numeric>

#include "data/error.h"

namespace segue {

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

ItemCatalog::ItemCatalog(const IdMap& item_ids, const Dataset* store, std::span<const float> popularity)
    : item_ids_(item_ids), popularity_(popularity.begin(), popularity.end()) {
  const auto n = static_cast<std::size_t>(item_ids.size());
  popularity_.resize(n, 0.0f);
  labels_.resize(n);
  artists_.resize(n);
  names_.resize(n);
  if (store != nullptr) store_rows_.assign(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    const auto item = static_cast<std::int32_t>(i);
    const std::string_view id = item_ids.name(item);
    std::string name, artist;
    if (store != nullptr) {
      const std::int32_t row = store->items.find(id);
      store_rows_[i] = row;
      if (row >= 0) {
        name = std::string(store->item_attributes.string_value("name", row));
        artist = std::string(store->item_attributes.string_value("artist", row));
      }
    }
    if (name.empty()) labels_[i] = std::string(id);
    else if (artist.empty() || artist == name) labels_[i] = name;
    else labels_[i] = artist + " - " + name;
    artists_[i] = std::move(artist);
    names_[i] = std::move(name);
  }
}

void ItemCatalog::build_indexes() const {
  std::call_once(indexes_once_, [this] {
    const std::size_t n = labels_.size();
    lowered_labels_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto item = static_cast<std::int32_t>(i);
      lowered_labels_[i] = lower_ascii(labels_[i]);
      by_label_[lowered_labels_[i]].push_back(item);
      if (!names_[i].empty()) by_name_[lower_ascii(names_[i])].push_back(item);
      if (!artists_[i].empty()) by_artist_[lower_ascii(artists_[i])].push_back(item);
    }
    for (auto& [artist, items] : by_artist_)
      std::stable_sort(items.begin(), items.end(), [&](std::int32_t a, std::int32_t b) {
        return popularity_[static_cast<std::size_t>(a)] > popularity_[static_cast<std::size_t>(b)];
      });
  });
}

std::string_view ItemCatalog::artist(std::int32_t item) const { return artists_[static_cast<std::size_t>(item)]; }

ResolvedRef ItemCatalog::resolve(std::string_view text, std::string_view field, std::int32_t artist_tracks) const {
  const std::int32_t by_id = item_ids_.find(text);
  if (by_id != IdMap::kMissing) return {{by_id}, "id"};
  build_indexes();
  const std::string key = lower_ascii(text);
  const auto ambiguous = [&](const std::vector<std::int32_t>& items) {
    std::string choices;
    for (std::size_t k = 0; k < items.size() && k < 5; ++k)
      choices += (k ? "; " : "") + labels_[static_cast<std::size_t>(items[k])] + " (id " +
                 std::string(id(items[k])) + ")";
    return UsageError(std::string(field) + ": '" + std::string(text) + "' names " + std::to_string(items.size()) +
                      " items, give an id or 'Artist - Title': " + choices + (items.size() > 5 ? "; ..." : ""));
  };
  if (const auto it = by_label_.find(key); it != by_label_.end()) {
    if (it->second.size() > 1) throw ambiguous(it->second);
    return {{it->second.front()}, "name"};
  }
  if (const auto it = by_name_.find(key); it != by_name_.end()) {
    if (it->second.size() > 1) {
      // The same title by one artist is one song listed twice: take the most popular.
      bool one_artist = true;
      for (const std::int32_t item : it->second) one_artist &= artist(item) == artist(it->second.front());
      if (!one_artist) throw ambiguous(it->second);
      return {{*std::max_element(it->second.begin(), it->second.end(), [&](std::int32_t a, std::int32_t b) {
                 return popularity_[static_cast<std::size_t>(a)] < popularity_[static_cast<std::size_t>(b)];
               })},
              "name"};
    }
    return {{it->second.front()}, "name"};
  }
  if (const auto it = by_artist_.find(key); it != by_artist_.end()) {
    const auto take = std::min<std::size_t>(it->second.size(), static_cast<std::size_t>(std::max(artist_tracks, 1)));
    return {{it->second.begin(), it->second.begin() + static_cast<std::ptrdiff_t>(take)}, "artist"};
  }
  throw UsageError(std::string(field) + ": no item has the id, name or artist '" + std::string(text) + "'");
}

std::vector<CatalogMatch> ItemCatalog::search(std::string_view query, std::int32_t limit) const {
  std::vector<CatalogMatch> out;
  if (query.size() < 2 || limit <= 0) return out;
  build_indexes();
  const std::string key = lower_ascii(query);
  std::vector<std::int32_t> prefix, inside;
  for (std::size_t i = 0; i < lowered_labels_.size(); ++i) {
    const std::size_t at = lowered_labels_[i].find(key);
    if (at == std::string::npos) continue;
    // A match at the start of the label or of its title part ranks first.
    const bool starts = at == 0 || (at >= 3 && lowered_labels_[i].compare(at - 3, 3, " - ") == 0);
    (starts ? prefix : inside).push_back(static_cast<std::int32_t>(i));
  }
  const auto by_popularity = [&](std::int32_t a, std::int32_t b) {
    const float pa = popularity_[static_cast<std::size_t>(a)], pb = popularity_[static_cast<std::size_t>(b)];
    return pa != pb ? pa > pb : a < b;
  };
  for (auto* group : {&prefix, &inside}) {
    const auto take = std::min<std::size_t>(group->size(), static_cast<std::size_t>(limit) - out.size());
    std::partial_sort(group->begin(), group->begin() + static_cast<std::ptrdiff_t>(take), group->end(), by_popularity);
    for (std::size_t k = 0; k < take; ++k) out.push_back({(*group)[k], labels_[static_cast<std::size_t>((*group)[k])]});
    if (out.size() >= static_cast<std::size_t>(limit)) break;
  }
  return out;
}

}  // namespace segue
