// Metrics for skip / next-event prediction (label 1 = the track was skipped):
// accuracy, AUC, log-loss, and the Spotify Sequential Skip Prediction
// Challenge's mean average accuracy. Definitions in docs/METRICS.md.
#pragma once

#include <cstdint>
#include <span>

namespace segue {

// Share of events whose predicted class (probability >= threshold → 1) equals
// the label. UsageError: lengths differ, no event, a probability outside [0, 1]
// or NaN, a label other than 0/1.
double skip_accuracy(std::span<const float> probability, std::span<const std::uint8_t> label,
                     double threshold = 0.5);

// Area under the ROC curve = P(score of a random positive > score of a random
// negative), ties counting 1/2 (Mann-Whitney U with mid-ranks). NaN when all
// labels are the same class (undefined). Scores may be any finite numbers.
double auc(std::span<const float> score, std::span<const std::uint8_t> label);

// Mean of -[y log p + (1-y) log(1-p)] (natural log) with p clipped to
// [eps, 1 - eps] so a confident mistake costs log(1/eps) (34.5 at 1e-15), not infinity.
inline constexpr double kLogLossEps = 1e-15;
double log_loss(std::span<const float> probability, std::span<const std::uint8_t> label,
                double eps = kLogLossEps);

// Average accuracy of one predicted sequence: AA = (1/T) Σ_{i=1..T} A(i)·L(i),
// A(i) = correct predictions among the first i / i, L(i) = 1 if prediction i is
// correct. Errors early in the sequence cost more. UsageError for empty input.
double average_accuracy(std::span<const std::uint8_t> predicted, std::span<const std::uint8_t> actual);

// The challenge score over whole sessions: session s spans
// [session_offsets[s], session_offsets[s+1]) of the arrays, positions 1..n in
// listening order; only its second half — positions p with 2p > n, the tracks
// the challenge asked for — is scored with average_accuracy(), and the mean is
// over sessions (each counts once, whatever its length). Sessions of length 0
// are a UsageError; offsets must start at 0, rise, and end at the array size.
double mean_average_accuracy(std::span<const std::uint8_t> predicted, std::span<const std::uint8_t> actual,
                             std::span<const std::int64_t> session_offsets);
// The challenge's tie-breaker: accuracy of the first predicted track (position
// floor(n/2) + 1) of each session, averaged over sessions.
double first_prediction_accuracy(std::span<const std::uint8_t> predicted, std::span<const std::uint8_t> actual,
                                 std::span<const std::int64_t> session_offsets);

}  // namespace segue
