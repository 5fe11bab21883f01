#include "home/card_features.h"

#include <charconv>
#include <cmath>

#include "data/error.h"

namespace segue::home {

namespace {

std::int32_t log2_bucket(double value) {
  return value <= 0 ? 0 : static_cast<std::int32_t>(std::floor(std::log2(1.0 + value)));
}

std::string band_text(int hour) { return std::to_string(hour_band(hour)); }

// The features of a card from its parts (decision and log share this).
std::vector<Feature> features_of(std::string_view user, std::string_view item_id, std::string_view shelf,
                                 std::string_view explanation, int hour, std::int32_t rank_bucket,
                                 std::int32_t pop_bucket, std::int32_t shelf_position, std::int32_t card_position) {
  const std::string band = band_text(hour);
  std::vector<Feature> out;
  out.reserve(10);
  out.push_back({feature_index("bias", "")});
  if (!user.empty()) out.push_back({feature_index("user", user)});
  out.push_back({feature_index("item", item_id)});
  out.push_back({feature_index("shelf", shelf)});
  out.push_back({feature_index("explanation", explanation)});
  out.push_back({feature_index("explanation_hour", std::string(explanation) + "|" + band)});
  out.push_back({feature_index("rank", std::to_string(rank_bucket))});
  out.push_back({feature_index("pop", std::to_string(pop_bucket))});
  if (shelf_position >= 0) out.push_back({feature_index("row", std::to_string(shelf_position))});
  if (card_position >= 0) out.push_back({feature_index("column", std::to_string(card_position))});
  return out;
}

}  // namespace

std::uint32_t hour_band(int hour) { return hour < 0 || hour > 23 ? 8u : static_cast<std::uint32_t>(hour / 3); }

std::vector<Feature> shelf_features(const PageContext& page, std::string_view shelf, std::string_view explanation) {
  std::vector<Feature> out;
  out.push_back({feature_index("bias", "")});
  if (!page.user.empty()) out.push_back({feature_index("user", page.user)});
  out.push_back({feature_index("shelf", shelf)});
  out.push_back({feature_index("explanation", explanation)});
  out.push_back({feature_index("shelf_hour", std::string(shelf) + "|" + band_text(page.hour))});
  return out;
}

std::string card_context(const PageContext& page, const CardOffer& offer) {
  return "hour=" + std::to_string(page.hour) + ",rank=" + std::to_string(log2_bucket(offer.rank)) +
         ",pop=" + std::to_string(log2_bucket(offer.popularity));
}

std::vector<Feature> card_features(const PageContext& page, const CardOffer& offer, std::int32_t shelf_position,
                                   std::int32_t card_position) {
  return features_of(page.user, offer.item_id, offer.shelf, offer.explanation, page.hour, log2_bucket(offer.rank),
                     log2_bucket(offer.popularity), shelf_position, card_position);
}

std::vector<Feature> logged_card_features(std::string_view user, std::string_view item_id, std::string_view shelf,
                                          std::string_view explanation, std::string_view context,
                                          std::int32_t shelf_position, std::int32_t card_position) {
  // context: "hour=H,rank=R,pop=P" in that order (card_context).
  int values[3] = {0, 0, 0};
  const char* keys[3] = {"hour=", "rank=", "pop="};
  std::string_view rest = context;
  for (int k = 0; k < 3; ++k) {
    const std::string_view key = keys[k];
    const std::size_t comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    if (part.substr(0, key.size()) != key)
      throw UsageError("context: expected '" + std::string(key) + "…' in '" + std::string(context) + "'");
    const std::string_view number = part.substr(key.size());
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), values[k]);
    if (error != std::errc() || end != number.data() + number.size())
      throw UsageError("context: '" + std::string(number) + "' is not an integer in '" + std::string(context) + "'");
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return features_of(user, item_id, shelf, explanation, values[0], values[1], values[2], shelf_position, card_position);
}

}  // namespace segue::home
