#include "audio/reencode.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "signals.h"

namespace segue::audio {
namespace {

constexpr int kRate = 22050;

double rms(const std::vector<float>& x) {
  double s = 0.0;
  for (const float v : x) s += static_cast<double>(v) * v;
  return std::sqrt(s / static_cast<double>(x.size()));
}

double error_db(const std::vector<float>& reference, const std::vector<float>& test) {
  double signal = 0.0, noise = 0.0;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    signal += static_cast<double>(reference[i]) * reference[i];
    noise += (static_cast<double>(test[i]) - reference[i]) * (static_cast<double>(test[i]) - reference[i]);
  }
  return 10.0 * std::log10(noise / signal);
}

// A chord with some noise: something a lossy codec must approximate.
std::vector<float> music_like() {
  std::vector<float> x = segue::testing::tones({261.6, 329.6, 392.0, 1046.5}, 2.0, kRate, 0.15);
  const std::vector<float> noise = segue::testing::white_noise(2.0, kRate, 0.02);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += noise[i];
  return x;
}

TEST(AudioReencode, VorbisRoundTripKeepsLengthAndSoundButIsNotIdentical) {
  ASSERT_TRUE(can_reencode(LossyCodec::kVorbis));
  const std::vector<float> x = music_like();
  const std::vector<float> y = reencode(x, kRate, LossyCodec::kVorbis, 0.4);
  ASSERT_EQ(y.size(), x.size());
  for (const float v : y) ASSERT_TRUE(std::isfinite(v));
  EXPECT_NEAR(20.0 * std::log10(rms(y) / rms(x)), 0.0, 0.5);
  const double err = error_db(x, y);
  EXPECT_LT(err, -12.0);  // close to the input…
  EXPECT_GT(err, -80.0);  // …but changed by the codec
}

TEST(AudioReencode, LowerQualityChangesTheSignalMore) {
  const std::vector<float> x = music_like();
  const double low = error_db(x, reencode(x, kRate, LossyCodec::kVorbis, 0.0));
  const double high = error_db(x, reencode(x, kRate, LossyCodec::kVorbis, 1.0));
  EXPECT_GT(low, high + 3.0);
}

TEST(AudioReencode, Mp3RoundTripWhereLibsndfileCanWriteIt) {
  if (!can_reencode(LossyCodec::kMp3)) GTEST_SKIP() << "this libsndfile has no MP3 encoder";
  const std::vector<float> x = music_like();
  const std::vector<float> y = reencode(x, kRate, LossyCodec::kMp3, 0.5);
  ASSERT_EQ(y.size(), x.size());
  for (const float v : y) ASSERT_TRUE(std::isfinite(v));
  EXPECT_NEAR(20.0 * std::log10(rms(y) / rms(x)), 0.0, 1.5);
  EXPECT_LT(error_db(x, y), -10.0);  // aligned: the encoder's delay is removed on decoding
}

TEST(AudioReencode, EmptyInputAndBadRate) {
  EXPECT_TRUE(reencode({}, kRate, LossyCodec::kVorbis, 0.5).empty());
  const std::vector<float> x(100, 0.1f);
  EXPECT_THROW(reencode(x, 0, LossyCodec::kVorbis, 0.5), std::invalid_argument);
}

}  // namespace
}  // namespace segue::audio
