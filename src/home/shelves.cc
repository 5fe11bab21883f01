#include "home/shelves.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

#include "data/error.h"
#include "data/id_map.h"

namespace segue::home {

namespace {

std::string fill(std::string text, std::string_view key, std::string_view value) {
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
  return text;
}

std::string hour_phrase(int hour) {
  if (hour >= 5 && hour < 12) return "this morning";
  if (hour >= 12 && hour < 17) return "this afternoon";
  if (hour >= 17 && hour < 22) return "this evening";
  return "tonight";
}

bool contains(std::span<const std::int32_t> sorted, std::int32_t item) {
  return std::binary_search(sorted.begin(), sorted.end(), item);
}

}  // namespace

HomeIndex::HomeIndex(const ServingModel& served) : served_(served) {
  const Recommender& model = served.model();
  const ItemCatalog& catalog = served.catalog();
  const auto popularity = served.popularity();
  const std::int32_t n = model.n_items();
  // Artists' tracks, most played first.
  for (std::int32_t item = 0; item < n; ++item)
    if (const std::string_view artist = catalog.artist(item); !artist.empty())
      artist_tracks_[std::string(artist)].push_back(item);
  for (auto& [artist, items] : artist_tracks_)
    std::stable_sort(items.begin(), items.end(), [&](std::int32_t a, std::int32_t b) {
      return popularity[static_cast<std::size_t>(a)] > popularity[static_cast<std::size_t>(b)];
    });
  // Less known: below the 10% most played items (the count at the 90th percentile of items with plays).
  std::vector<float> played;
  for (const float p : popularity)
    if (p > 0) played.push_back(p);
  if (!played.empty()) {
    const std::size_t at = played.size() * 9 / 10;
    std::nth_element(played.begin(), played.begin() + static_cast<std::ptrdiff_t>(at), played.end());
    less_known_ = played[at];
  }
  const Dataset* store = served.store();
  if (store == nullptr) return;
  // New releases: the items that appeared last in the store.
  const auto& timestamps = store->interactions.timestamps;
  if (!timestamps.empty()) {
    std::vector<std::int64_t> first(static_cast<std::size_t>(n), std::numeric_limits<std::int64_t>::max());
    for (std::size_t e = 0; e < timestamps.size(); ++e) {
      if (timestamps[e] == kNoTime || timestamps[e] <= 0) continue;
      const std::int32_t row = store->interactions.items[e];
      const std::int32_t item = model.item_ids().find(store->items.name(row));
      if (item != IdMap::kMissing) first[static_cast<std::size_t>(item)] = std::min(first[static_cast<std::size_t>(item)], timestamps[e]);
    }
    std::vector<std::int32_t> dated;
    for (std::int32_t item = 0; item < n; ++item)
      if (first[static_cast<std::size_t>(item)] != std::numeric_limits<std::int64_t>::max()) dated.push_back(item);
    has_timestamps_ = !dated.empty();
    std::sort(dated.begin(), dated.end(), [&](std::int32_t a, std::int32_t b) {
      return first[static_cast<std::size_t>(a)] > first[static_cast<std::size_t>(b)];
    });
    const std::size_t keep = std::min<std::size_t>(5000, std::max<std::size_t>(1, dated.size() / 20));
    new_releases_.assign(dated.begin(), dated.begin() + static_cast<std::ptrdiff_t>(std::min(keep, dated.size())));
    std::sort(new_releases_.begin(), new_releases_.end());
  }
  // Friends: the store's graph between the model's users.
  if (store->friends.edges() > 0) {
    store_row_of_user_.assign(static_cast<std::size_t>(model.n_users()), -1);
    model_user_of_row_.assign(static_cast<std::size_t>(store->n_users()), -1);
    for (std::int32_t row = 0; row < store->n_users(); ++row) {
      const std::int32_t user = model.user_ids().find(store->users.name(row));
      if (user == IdMap::kMissing) continue;
      store_row_of_user_[static_cast<std::size_t>(user)] = row;
      model_user_of_row_[static_cast<std::size_t>(row)] = user;
    }
  }
}

std::span<const std::int32_t> HomeIndex::artist_tracks(std::string_view artist) const {
  const auto at = artist_tracks_.find(std::string(artist));
  if (at == artist_tracks_.end()) return {};
  return at->second;
}

std::vector<std::int32_t> HomeIndex::friends_of(std::int32_t user) const {
  std::vector<std::int32_t> out;
  if (user < 0 || static_cast<std::size_t>(user) >= store_row_of_user_.size()) return out;
  const std::int32_t row = store_row_of_user_[static_cast<std::size_t>(user)];
  if (row < 0) return out;
  const SocialGraph& graph = served_.store()->friends;
  for (std::int64_t k = graph.indptr[static_cast<std::size_t>(row)]; k < graph.indptr[static_cast<std::size_t>(row) + 1]; ++k) {
    const std::int32_t friend_user = model_user_of_row_[static_cast<std::size_t>(graph.neighbors[static_cast<std::size_t>(k)])];
    if (friend_user >= 0) out.push_back(friend_user);
  }
  return out;
}

std::vector<std::int32_t> recent_items(const ServingModel& served, std::int32_t user,
                                       std::span<const std::int32_t> received_newest_first, std::size_t limit) {
  std::vector<std::int32_t> out;
  std::unordered_set<std::int32_t> seen;
  const auto add = [&](std::int32_t item) {
    if (out.size() < limit && seen.insert(item).second) out.push_back(item);
  };
  for (const std::int32_t item : received_newest_first) add(item);
  if (user < 0 || out.size() >= limit) return out;
  const Recommender& model = served.model();
  std::vector<std::int32_t> items;
  std::vector<float> weights;
  model.history_row(user, items, weights);
  if (model.sequential_history()) {
    for (auto it = items.rbegin(); it != items.rend(); ++it) add(*it);
    return out;
  }
  std::vector<std::size_t> order(items.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return weights[a] > weights[b]; });
  for (const std::size_t k : order) add(items[k]);
  return out;
}

std::vector<ShelfCandidates> generate_shelves(const ShelfConfig& config, const ServingModel& served,
                                              const HomeIndex& index, const Listener& listener) {
  const Recommender& model = served.model();
  const ItemCatalog& catalog = served.catalog();
  const auto popularity = served.popularity();
  // Everything the listener has: never offered.
  std::vector<std::int32_t> owned(listener.touched.begin(), listener.touched.end());
  if (listener.user >= 0) {
    const auto trained = model.history().row_indices(listener.user);
    owned.insert(owned.end(), trained.begin(), trained.end());
  }
  owned.insert(owned.end(), listener.history.begin(), listener.history.end());
  owned.insert(owned.end(), listener.skipped.begin(), listener.skipped.end());
  owned = sorted_unique(std::move(owned));

  const auto base_request = [&](std::int32_t n) {
    RecommendRequest request;
    request.user = listener.user;
    request.history = listener.history;
    request.history_weights = listener.history_weights;
    request.skipped = listener.skipped;
    request.exclude = listener.touched;
    request.n = std::max(1, std::min(n, model.n_items()));
    request.popularity_fallback = false;
    return request;
  };
  const bool has_taste = listener.user >= 0 || !listener.history.empty();
  std::vector<ShelfCandidates> out;
  std::size_t seeds_used = 0;
  for (std::size_t s = 0; s < config.shelves.size(); ++s) {
    const ShelfSpec& spec = config.shelves[s];
    ShelfCandidates shelf;
    shelf.spec = static_cast<std::int32_t>(s);
    shelf.name = spec.name;
    shelf.title = spec.title;
    shelf.explanation = std::string(to_string(spec.generator));
    std::string reason;
    const auto take = [&](const std::vector<ScoredItem>& items) {
      for (const ScoredItem& item : items) {
        if (static_cast<std::int32_t>(shelf.items.size()) >= spec.candidates) break;
        if (contains(owned, item.item)) continue;
        shelf.items.push_back(item);
      }
    };
    switch (spec.generator) {
      case Generator::kBecauseYouPlayed: {
        if (seeds_used >= listener.recent.size()) break;
        const std::int32_t seed = listener.recent[seeds_used++];
        // The model's list for a listener who played only the seed: its
        // fold-in, so the ANN index answers (a factor model's similar_items
        // scans every item for cosines).
        RecommendRequest request = base_request(spec.candidates);
        request.user = -1;
        request.history = {seed};
        request.history_weights.clear();
        request.skipped.clear();
        request.exclude = owned;
        take(served.recommend(request).items);
        shelf.title = fill(shelf.title, "{seed}", catalog.label(seed));
        reason = "Because you played " + catalog.label(seed);
        break;
      }
      case Generator::kMoreOfArtist: {
        // The artist with the most of the listener's recent plays (ties: the more recent).
        std::unordered_map<std::string_view, std::int32_t> count;
        std::string_view best;
        std::int32_t best_count = 0;
        for (const std::int32_t item : listener.recent) {
          const std::string_view artist = catalog.artist(item);
          if (artist.empty()) continue;
          if (const std::int32_t c = ++count[artist]; c > best_count) best = artist, best_count = c;
        }
        if (best.empty()) break;
        std::vector<ScoredItem> tracks;
        for (const std::int32_t item : index.artist_tracks(best))
          tracks.push_back({item, popularity[static_cast<std::size_t>(item)]});
        take(tracks);
        shelf.title = fill(shelf.title, "{artist}", best);
        reason = "More of " + std::string(best);
        break;
      }
      case Generator::kKeepTheVibe: {
        if (listener.recent.empty()) break;
        // The session: the last few plays, oldest first, as a new listener's history.
        RecommendRequest request = base_request(spec.candidates);
        request.user = -1;
        const std::size_t length = std::min<std::size_t>(5, listener.recent.size());
        request.history.assign(listener.recent.rbegin() + static_cast<std::ptrdiff_t>(listener.recent.size() - length),
                               listener.recent.rend());
        request.history_weights.clear();
        request.exclude = owned;
        take(served.recommend(request).items);
        reason = "Keep the vibe going after " + catalog.label(listener.recent.front());
        break;
      }
      case Generator::kMadeForYou: {
        if (!has_taste) break;
        take(served.recommend(base_request(spec.candidates)).items);
        reason = "Made for you from your listening";
        break;
      }
      case Generator::kNewToYou: {
        if (!has_taste) break;
        // The model's picks beyond the hits (outside the 10% most played), one per artist.
        RecommendRequest request = base_request(std::min(1000, spec.candidates * 10));
        std::unordered_set<std::string_view> artists;
        std::vector<ScoredItem> picks;
        for (const ScoredItem& item : served.recommend(request).items) {
          if (popularity[static_cast<std::size_t>(item.item)] > index.less_known_threshold()) continue;
          const std::string_view artist = catalog.artist(item.item);
          if (!artist.empty() && !artists.insert(artist).second) continue;
          picks.push_back(item);
        }
        take(picks);
        reason = "New to you: beyond the hits, for your taste";
        break;
      }
      case Generator::kForThisHour: {
        if (!has_taste || listener.hour < 0 || !index.has_timestamps()) break;
        RecommendRequest request = base_request(spec.candidates);
        request.hour = listener.hour;
        try {
          take(served.recommend(request).items);
        } catch (const UsageError&) {  // the store cannot tell hours apart
          break;
        }
        shelf.title = fill(shelf.title, "{hour}", hour_phrase(listener.hour));
        reason = "For " + hour_phrase(listener.hour) + ": what you play at this hour";
        break;
      }
      case Generator::kFriends: {
        // Items most of the listener's friends have, their most played first.
        std::unordered_map<std::int32_t, float> votes;
        std::unordered_map<std::int32_t, std::int32_t> first_friend;
        for (const std::int32_t friend_user : index.friends_of(listener.user)) {
          const auto items = model.history().row_indices(friend_user);
          const auto values = model.history().row_values(friend_user);
          for (std::size_t k = 0; k < items.size(); ++k) {
            votes[items[k]] += 1.0f + 1e-3f * values[k];
            first_friend.emplace(items[k], friend_user);
          }
        }
        std::vector<ScoredItem> picks;
        for (const auto& [item, vote] : votes) picks.push_back({item, vote});
        std::sort(picks.begin(), picks.end(), [](const ScoredItem& a, const ScoredItem& b) {
          return a.score != b.score ? a.score > b.score : a.item < b.item;
        });
        take(picks);
        for (const ScoredItem& item : shelf.items)
          shelf.reasons.push_back("Your friend " + std::string(model.user_ids().name(first_friend[item.item])) +
                                  " listens to this");
        break;
      }
      case Generator::kNewReleases: {
        if (index.new_releases().empty()) break;
        RecommendRequest request = base_request(spec.candidates);
        request.allow.assign(index.new_releases().begin(), index.new_releases().end());
        request.popularity_fallback = true;
        take(served.recommend(request).items);
        reason = "New release for you";
        break;
      }
      case Generator::kPopular: {
        take(served.most_popular(spec.candidates, owned));
        reason = "Popular now";
        break;
      }
    }
    if (shelf.items.empty()) continue;
    if (shelf.reasons.empty()) shelf.reasons.assign(shelf.items.size(), reason);
    out.push_back(std::move(shelf));
  }
  return out;
}

}  // namespace segue::home
