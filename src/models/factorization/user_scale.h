// Per-listener rescaling of play counts before they become confidences.
// Raw counts mix two things: how much a listener plays in general and how much
// they like this item. HetRec Last.fm keeps each listener's top 50 artists, so
// a count means most relative to the listener's own counts; ials members on
// these scales make a better ensemble than seeds alone (docs/MODELS.md "ensemble").
#pragma once

#include <span>
#include <string>

namespace segue {

enum class UserScale {
  none,    // the count itself
  median,  // count / the listener's median count
  share,   // 100 · count / the listener's total
  rank,    // the count's percentile among the listener's counts, (0, 1] (ties share their mean rank)
};

// "none", "median", "share" or "rank"; UsageError naming `key` otherwise.
UserScale parse_user_scale(const std::string& text, const std::string& key);

// Rescales one listener's weights in place. Only weights > 0 take part and
// change (ials ignores the others); a row without any is left alone.
void scale_user_row(UserScale scale, std::span<float> values);

// The weight `value` as scale_user_row would rescale it inside `row`, a
// listener's whole row (which should hold it).
float scale_in_row(UserScale scale, std::span<const float> row, float value);

}  // namespace segue
