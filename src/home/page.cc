#include "home/page.h"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "data/error.h"
#include "data/id_map.h"

namespace segue::home {

std::int32_t Page::cards() const {
  std::int32_t n = 0;
  for (const PageShelf& shelf : shelves) n += static_cast<std::int32_t>(shelf.cards.size());
  return n;
}

Page arrange_page(const std::vector<ShelfCandidates>& offered, const ShelfConfig& config, const PageContext& context,
                  const PagePolicies& policies, std::span<const float> popularity, const IdMap& item_ids, Rng& rng) {
  if (policies.shelves == nullptr || policies.cards == nullptr) throw UsageError("policies: a shelf and a card policy are needed");
  Page page;
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng.next()));
  page.id = id;
  page.context = context;
  page.shelf_policy = policies.shelves->spec();
  page.card_policy = policies.cards->spec();
  const std::uint32_t bucket = hour_band(context.hour);

  // Rows: the shelf policy orders the offered shelves.
  std::vector<Arm> shelf_arms(offered.size());
  for (std::size_t s = 0; s < offered.size(); ++s) {
    shelf_arms[s].features = shelf_features(context, offered[s].name, offered[s].explanation);
    shelf_arms[s].key = shelf_key(offered[s].name);
  }
  std::vector<Pick> shelf_picks;
  const std::int32_t rows = std::min<std::int32_t>(config.max_shelves, static_cast<std::int32_t>(offered.size()));
  if (rows > 0) policies.shelves->decide(Decision{shelf_arms, rows, bucket}, rng, shelf_picks);

  std::unordered_set<std::int32_t> on_page;
  std::vector<Arm> card_arms;
  std::vector<std::size_t> candidate_of_arm;
  std::vector<Pick> card_picks;
  std::int32_t position = 0;
  for (const Pick& shelf_pick : shelf_picks) {
    const ShelfCandidates& shelf = offered[static_cast<std::size_t>(shelf_pick.arm)];
    const ShelfSpec& spec = config.shelves[static_cast<std::size_t>(shelf.spec)];
    // Cards: this shelf's candidates not already on the page.
    card_arms.clear();
    candidate_of_arm.clear();
    for (std::size_t c = 0; c < shelf.items.size(); ++c) {
      const std::int32_t item = shelf.items[c].item;
      if (on_page.count(item) != 0) continue;
      const CardOffer offer{item_ids.name(item), shelf.name, shelf.explanation, static_cast<std::int32_t>(c),
                            popularity[static_cast<std::size_t>(item)]};
      Arm arm;
      arm.features = card_features(context, offer);
      arm.key = card_key(offer.item_id, shelf.explanation);
      card_arms.push_back(std::move(arm));
      candidate_of_arm.push_back(c);
    }
    const std::int32_t slots = std::min<std::int32_t>(spec.cards, static_cast<std::int32_t>(card_arms.size()));
    if (slots == 0) continue;
    card_picks.clear();
    policies.cards->decide(Decision{card_arms, slots, bucket}, rng, card_picks);
    PageShelf row;
    row.name = shelf.name;
    row.title = shelf.title;
    row.explanation = shelf.explanation;
    row.shelf_position = shelf_pick.slot;  // the slot its propensity is for (a dropped shelf leaves a gap)
    row.propensity = shelf_pick.propensity;
    row.mc_draws = shelf_pick.mc_draws;
    for (const Pick& pick : card_picks) {
      const std::size_t c = candidate_of_arm[static_cast<std::size_t>(pick.arm)];
      const std::int32_t item = shelf.items[c].item;
      on_page.insert(item);
      Card card;
      card.item = item;
      card.item_id = std::string(item_ids.name(item));
      card.reason = shelf.reasons[c];
      card.card_position = static_cast<std::int32_t>(row.cards.size());
      card.position = position++;
      card.propensity = shelf_pick.propensity * pick.propensity;
      card.mc_draws = std::max(shelf_pick.mc_draws, pick.mc_draws);
      card.predicted_reward = pick.predicted_reward;
      card.context = card_context(context, CardOffer{card.item_id, shelf.name, shelf.explanation,
                                                     static_cast<std::int32_t>(c), popularity[static_cast<std::size_t>(item)]});
      row.cards.push_back(std::move(card));
    }
    page.shelves.push_back(std::move(row));
  }
  return page;
}

std::uint64_t shelf_key(std::string_view shelf) { return feature_index("shelf", shelf); }

std::uint64_t card_key(std::string_view item_id, std::string_view explanation) {
  return static_cast<std::uint64_t>(feature_index("item", item_id)) |
         (static_cast<std::uint64_t>(feature_index("explanation", explanation)) << 32);
}

std::vector<Feature> shown_card_features(const Page& page, const PageShelf& shelf, const Card& card) {
  return logged_card_features(page.context.user, card.item_id, shelf.name, shelf.explanation, card.context,
                              shelf.shelf_position, card.card_position);
}

}  // namespace segue::home
