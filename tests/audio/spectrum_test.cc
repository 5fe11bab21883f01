#include "audio/spectrum.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "signals.h"

namespace segue::audio {
namespace {

TEST(AudioSpectrum, A440SinePeaksAtItsBinWithTheHannAmplitude) {
  const int rate = 22050, size = 2048;
  const auto x = segue::testing::tones({440.0}, 1.0, rate, 0.5);
  const Spectrogram s = stft_magnitude(x, rate, size, 512);
  EXPECT_EQ(s.bins, 1025);
  EXPECT_EQ(s.frames, 1 + static_cast<std::int64_t>(x.size()) / 512);
  const auto frame = s.frame(s.frames / 2);
  const int peak = static_cast<int>(std::max_element(frame.begin(), frame.end()) - frame.begin());
  EXPECT_NEAR(s.bin_hz(peak), 440.0, rate / static_cast<double>(size));
  // A sine of amplitude A under a Hann window of N gives |X| ≈ A N / 4 at its
  // bin (less by the scalloping loss when between bins: at most 1.42 dB).
  EXPECT_LE(frame[static_cast<std::size_t>(peak)], 0.5 * size / 4 * 1.001);
  EXPECT_GE(frame[static_cast<std::size_t>(peak)], 0.5 * size / 4 * 0.84);
}

TEST(AudioSpectrum, SilenceAndAnEmptySignalGiveZeroFrames) {
  const Spectrogram empty = stft_magnitude(std::vector<float>{}, 22050, 1024, 256);
  EXPECT_EQ(empty.frames, 1);
  const Spectrogram silent = stft_magnitude(std::vector<float>(5000, 0.0f), 22050, 1024, 256);
  EXPECT_TRUE(std::all_of(silent.magnitude.begin(), silent.magnitude.end(), [](float v) { return v == 0.0f; }));
  EXPECT_THROW(stft_magnitude(std::vector<float>(10), 22050, 1000, 256), std::invalid_argument);
}

TEST(AudioSpectrum, SlaneyMelFiltersAreTrianglesOfUnitAreaInHz) {
  const int size = 2048, mels = 40;
  const double rate = 22050;
  const auto bank = mel_filter_bank(mels, size, rate, 0.0, rate / 2);
  const int bins = size / 2 + 1;
  for (int m = 0; m < mels; ++m) {
    // Slaney normalisation: height 2 / (right − left), so Σ w · Δf ≈ 1.
    double area = 0;
    for (int b = 0; b < bins; ++b) area += bank[static_cast<std::size_t>(m * bins + b)] * rate / size;
    if (m > 2) {  // the lowest bands span only a few bins
      EXPECT_NEAR(area, 1.0, 0.06) << m;
    }
  }
  // Below 1 kHz the Slaney scale is linear: the first centres are evenly spaced.
  std::vector<int> peaks;
  for (int m = 0; m < 4; ++m) {
    const auto row = bank.begin() + m * bins;
    peaks.push_back(static_cast<int>(std::max_element(row, row + bins) - row));
  }
  EXPECT_NEAR(peaks[2] - peaks[1], peaks[3] - peaks[2], 1);
}

TEST(AudioSpectrum, MelEnergyOfASineLandsInTheBandsAroundIt) {
  const int rate = 22050, size = 2048, mels = 40;
  const auto x = segue::testing::tones({1000.0}, 1.0, rate, 0.5);
  const Spectrogram s = stft_magnitude(x, rate, size, 512);
  const auto bank = mel_filter_bank(mels, size, rate, 0.0, rate / 2.0);
  const auto mel = mel_spectrogram(s, bank, mels);
  ASSERT_EQ(mel.size(), static_cast<std::size_t>(s.frames * mels));
  const auto row = mel.begin() + (s.frames / 2) * mels;
  const int band = static_cast<int>(std::max_element(row, row + mels) - row);
  // The band whose centre is nearest 1 kHz (Slaney: 1 kHz = 15 mel, bands 0..~39.1 mel).
  const double mel_1k = 15.0, top = 15.0 + std::log(11025.0 / 1000.0) / (std::log(6.4) / 27.0);
  EXPECT_NEAR(band + 1, mel_1k / top * (mels + 1), 1.0);
}

}  // namespace
}  // namespace segue::audio
