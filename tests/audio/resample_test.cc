#include "audio/resample.h"

#include <gtest/gtest.h>

#include <cmath>

#include "signals.h"

namespace segue::audio {
namespace {

// Amplitude of frequency f in x (least squares on sin and cos), away from the edges.
double amplitude_at(const std::vector<float>& x, double f, int rate) {
  double s = 0, c = 0;
  const std::size_t from = x.size() / 10, to = x.size() - x.size() / 10;
  for (std::size_t n = from; n < to; ++n) {
    s += x[n] * std::sin(2 * M_PI * f * static_cast<double>(n) / rate);
    c += x[n] * std::cos(2 * M_PI * f * static_cast<double>(n) / rate);
  }
  return 2.0 * std::hypot(s, c) / static_cast<double>(to - from);
}

TEST(AudioResample, KeepsAToneInThePassBandAndItsLength) {
  for (const auto& [from, to] : {std::pair{48000, 22050}, std::pair{44100, 22050}, std::pair{8000, 22050}, std::pair{22050, 16000}}) {
    const auto x = segue::testing::tones({1000.0}, 1.0, from, 0.5);
    const auto y = resample(x, from, to);
    EXPECT_NEAR(static_cast<double>(y.size()), static_cast<double>(to), 1.0) << from << "->" << to;
    EXPECT_NEAR(amplitude_at(y, 1000.0, to), 0.5, 0.005) << from << "->" << to;
    // The resampled tone is the analytic tone at the new rate.
    double error = 0;
    for (std::size_t n = y.size() / 10; n < y.size() * 9 / 10; ++n)
      error = std::max(error, std::abs(y[n] - 0.5 * std::sin(2 * M_PI * 1000.0 * static_cast<double>(n) / to)));
    EXPECT_LT(error, 2e-3) << from << "->" << to;
  }
}

TEST(AudioResample, RemovesWhatIsAboveTheNewNyquistFrequency) {
  // 15 kHz at 44.1 kHz would alias to 7.05 kHz at 22.05 kHz: it must be filtered out.
  const auto x = segue::testing::tones({15000.0}, 1.0, 44100, 0.5);
  const auto y = resample(x, 44100, 22050);
  EXPECT_LT(amplitude_at(y, 22050 - 15000.0, 22050), 0.5e-3);  // below -60 dB
}

TEST(AudioResample, SameRateIsACopyAndBadRatesThrow) {
  const std::vector<float> x = {0.1f, -0.2f, 0.3f};
  EXPECT_EQ(resample(x, 22050, 22050), x);
  EXPECT_TRUE(resample(std::vector<float>{}, 44100, 22050).empty());
  EXPECT_THROW(resample(x, 0, 22050), std::invalid_argument);
}

TEST(AudioResample, ConstantSignalStaysConstant) {
  const std::vector<float> x(4000, 0.25f);
  const auto y = resample(x, 48000, 44100);
  for (std::size_t n = 100; n + 100 < y.size(); ++n) ASSERT_NEAR(y[n], 0.25f, 1e-5) << n;
}

}  // namespace
}  // namespace segue::audio
