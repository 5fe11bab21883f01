// Tests of the skip-prediction metrics against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "data/error.h"
#include "eval/skip_metrics.h"

namespace segue {
namespace {

using Labels = std::vector<std::uint8_t>;

// p {0.9, 0.2, 0.5, 0.4} → classes {1, 0, 1, 0} (0.5 counts as a skip);
// labels {1, 0, 0, 1}: 2 of 4 right.
TEST(SkipMetrics_HandComputed, AccuracyThresholdsAtOneHalf) {
  const std::vector<float> p{0.9f, 0.2f, 0.5f, 0.4f};
  EXPECT_DOUBLE_EQ(skip_accuracy(p, Labels{1, 0, 0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(skip_accuracy(p, Labels{1, 0, 0, 1}, 0.3), 0.75);
}

// Scores {0.1, 0.4, 0.4, 0.8}, labels {0, 0, 1, 1}. Positive-negative pairs:
// 0.4 vs 0.1 → 1, 0.4 vs 0.4 → 1/2 (tie), 0.8 vs both → 2. AUC = 3.5 / 4.
TEST(SkipMetrics_HandComputed, AucCountsTiesAsHalf) {
  const std::vector<float> score{0.1f, 0.4f, 0.4f, 0.8f};
  EXPECT_DOUBLE_EQ(auc(score, Labels{0, 0, 1, 1}), 0.875);
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{3, 3, 3}, Labels{1, 0, 1}), 0.5);  // all tied
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{2, 1}, Labels{0, 1}), 0.0);
  EXPECT_TRUE(std::isnan(auc(score, Labels{1, 1, 1, 1})));  // one class only: undefined
}

// -(ln 0.8 + ln 0.7) / 2 = 0.289909; a certain mistake costs -ln(1e-15) = 34.538776.
TEST(SkipMetrics_HandComputed, LogLossIsClipped) {
  EXPECT_NEAR(log_loss(std::vector<float>{0.8f, 0.3f}, Labels{1, 0}), 0.289909, 1e-6);
  EXPECT_NEAR(log_loss(std::vector<float>{0.0f}, Labels{1}), 34.538776, 1e-6);
  EXPECT_TRUE(std::isfinite(log_loss(std::vector<float>{1.0f}, Labels{0})));
}

// Correctness {1, 1, 1, 0, 1}: AA = (1/1 + 2/2 + 3/3 + 0 + 4/5) / 5 = 0.76
// (A(i) counts only where prediction i is right, as the challenge's evaluator does).
TEST(SkipMetrics_HandComputed, AverageAccuracyWeighsEarlyErrors) {
  EXPECT_NEAR(average_accuracy(Labels{1, 1, 1, 0, 1}, Labels{1, 1, 1, 1, 1}), 0.76, 1e-12);
  // {0, 1, 1, 1, 1} right: (0 + 1/2 + 2/3 + 3/4 + 4/5) / 5 = 0.543333
  EXPECT_NEAR(average_accuracy(Labels{1, 1, 1, 1, 1}, Labels{0, 1, 1, 1, 1}), 0.543333, 1e-6);
}

// Two sessions. Session A has 4 tracks: positions 3, 4 are scored (2p > 4);
// predictions right at 3, wrong at 4: AA = (1 + 0) / 2 = 0.5. Session B has 3
// tracks: positions 2, 3 (2p > 3); wrong at 2, right at 3: AA = (0 + 1/2) / 2 =
// 0.25. The first half never counts (wrong everywhere here). Mean = 0.375;
// first-prediction accuracy = (1 + 0) / 2.
TEST(SkipMetrics_HandComputed, MeanAverageAccuracyScoresSecondHalves) {
  const Labels actual{1, 1, 1, 1, 0, 0, 0};
  const Labels predicted{0, 0, 1, 0, 1, 1, 0};
  const std::vector<std::int64_t> sessions{0, 4, 7};
  EXPECT_DOUBLE_EQ(mean_average_accuracy(predicted, actual, sessions), 0.375);
  EXPECT_DOUBLE_EQ(first_prediction_accuracy(predicted, actual, sessions), 0.5);
}

TEST(SkipMetrics_Errors, BadInputIsAUsageError) {
  EXPECT_THROW(skip_accuracy(std::vector<float>{0.5f}, Labels{1, 0}), UsageError);
  EXPECT_THROW(skip_accuracy(std::vector<float>{}, Labels{}), UsageError);
  EXPECT_THROW(skip_accuracy(std::vector<float>{1.5f}, Labels{1}), UsageError);
  EXPECT_THROW(log_loss(std::vector<float>{NAN}, Labels{1}), UsageError);
  EXPECT_THROW(auc(std::vector<float>{0.5f}, Labels{2}), UsageError);
  EXPECT_THROW(auc(std::vector<float>{INFINITY, 0}, Labels{1, 0}), UsageError);
  const Labels two{1, 0};
  EXPECT_THROW(mean_average_accuracy(two, two, std::vector<std::int64_t>{0, 0, 2}), UsageError);  // empty session
  EXPECT_THROW(mean_average_accuracy(two, two, std::vector<std::int64_t>{0, 1}), UsageError);     // does not end at 2
}

}  // namespace
}  // namespace segue
