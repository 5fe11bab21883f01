// Skip-prediction metrics: accuracy, AUC with tied scores, clipped log-loss,
// and the Spotify challenge's mean average accuracy over second halves.
#include "eval/skip_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "data/error.h"

namespace segue {
namespace {

void check_pair(std::size_t a, std::size_t b, const char* what) {
  if (a != b)
    throw UsageError(std::string(what) + ": " + std::to_string(a) + " predictions but " + std::to_string(b) +
                     " labels");
  if (a == 0) throw UsageError(std::string(what) + ": no event to score");
}

void check_labels(std::span<const std::uint8_t> label, const char* what) {
  for (std::size_t i = 0; i < label.size(); ++i)
    if (label[i] > 1)
      throw UsageError(std::string(what) + ": label " + std::to_string(i) + " is " + std::to_string(label[i]) +
                       " (expected 0 or 1)");
}

void check_probability(std::span<const float> p, const char* what) {
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!(p[i] >= 0.0f && p[i] <= 1.0f))
      throw UsageError(std::string(what) + ": probability " + std::to_string(i) + " is " + std::to_string(p[i]) +
                       " (expected a number in [0, 1])");
}

void check_sessions(std::size_t n, std::span<const std::int64_t> offsets) {
  if (offsets.size() < 2 || offsets.front() != 0 || offsets.back() != static_cast<std::int64_t>(n))
    throw UsageError("sessions: offsets must start at 0 and end at " + std::to_string(n));
  for (std::size_t s = 0; s + 1 < offsets.size(); ++s)
    if (offsets[s + 1] <= offsets[s])
      throw UsageError("sessions: session " + std::to_string(s) + " is empty or the offsets fall");
}

}  // namespace

double skip_accuracy(std::span<const float> probability, std::span<const std::uint8_t> label, double threshold) {
  check_pair(probability.size(), label.size(), "accuracy");
  check_probability(probability, "accuracy");
  check_labels(label, "accuracy");
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < label.size(); ++i)
    correct += (probability[i] >= threshold ? 1 : 0) == label[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(label.size());
}

double auc(std::span<const float> score, std::span<const std::uint8_t> label) {
  check_pair(score.size(), label.size(), "auc");
  check_labels(label, "auc");
  for (std::size_t i = 0; i < score.size(); ++i)
    if (!std::isfinite(score[i]))
      throw UsageError("auc: score " + std::to_string(i) + " is not a finite number");
  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  // Sum of the positives' mid-ranks (a run of equal scores shares its mean rank).
  double positive_rank_sum = 0;
  std::int64_t positives = 0;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    std::int64_t run_positives = 0;
    while (end < order.size() && score[order[end]] == score[order[begin]]) run_positives += label[order[end++]];
    const double mid_rank = (static_cast<double>(begin + 1) + static_cast<double>(end)) / 2.0;
    positive_rank_sum += mid_rank * static_cast<double>(run_positives);
    positives += run_positives;
    begin = end;
  }
  const auto negatives = static_cast<std::int64_t>(score.size()) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(positives);
  return (positive_rank_sum - p * (p + 1) / 2.0) / (p * static_cast<double>(negatives));
}

double log_loss(std::span<const float> probability, std::span<const std::uint8_t> label, double eps) {
  check_pair(probability.size(), label.size(), "log-loss");
  check_probability(probability, "log-loss");
  check_labels(label, "log-loss");
  if (!(eps > 0 && eps < 0.5)) throw UsageError("log-loss: eps must be in (0, 0.5), got " + std::to_string(eps));
  double sum = 0;
  for (std::size_t i = 0; i < label.size(); ++i) {
    const double p = std::clamp<double>(probability[i], eps, 1.0 - eps);
    sum -= label[i] != 0 ? std::log(p) : std::log(1.0 - p);
  }
  return sum / static_cast<double>(label.size());
}

double average_accuracy(std::span<const std::uint8_t> predicted, std::span<const std::uint8_t> actual) {
  check_pair(predicted.size(), actual.size(), "average accuracy");
  check_labels(predicted, "average accuracy");
  check_labels(actual, "average accuracy");
  double sum = 0;
  std::int64_t correct = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) {
    if (predicted[i] != actual[i]) continue;
    ++correct;
    sum += static_cast<double>(correct) / static_cast<double>(i + 1);
  }
  return sum / static_cast<double>(predicted.size());
}

double mean_average_accuracy(std::span<const std::uint8_t> predicted, std::span<const std::uint8_t> actual,
                             std::span<const std::int64_t> session_offsets) {
  check_pair(predicted.size(), actual.size(), "mean average accuracy");
  check_sessions(predicted.size(), session_offsets);
  double sum = 0;
  for (std::size_t s = 0; s + 1 < session_offsets.size(); ++s) {
    const std::int64_t n = session_offsets[s + 1] - session_offsets[s];
    const std::int64_t first = session_offsets[s] + n / 2;  // position n/2 + 1: the first with 2p > n
    const auto count = static_cast<std::size_t>(session_offsets[s + 1] - first);
    sum += average_accuracy(predicted.subspan(static_cast<std::size_t>(first), count),
                            actual.subspan(static_cast<std::size_t>(first), count));
  }
  return sum / static_cast<double>(session_offsets.size() - 1);
}

double first_prediction_accuracy(std::span<const std::uint8_t> predicted, std::span<const std::uint8_t> actual,
                                 std::span<const std::int64_t> session_offsets) {
  check_pair(predicted.size(), actual.size(), "first-prediction accuracy");
  check_sessions(predicted.size(), session_offsets);
  check_labels(predicted, "first-prediction accuracy");
  check_labels(actual, "first-prediction accuracy");
  std::int64_t correct = 0;
  for (std::size_t s = 0; s + 1 < session_offsets.size(); ++s) {
    const auto first = static_cast<std::size_t>(session_offsets[s] + (session_offsets[s + 1] - session_offsets[s]) / 2);
    correct += predicted[first] == actual[first] ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(session_offsets.size() - 1);
}

}  // namespace segue
