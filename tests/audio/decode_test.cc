#include "audio/decode.h"

#include <gtest/gtest.h>

#include <fstream>

#include "../test_util.h"
#include "signals.h"

namespace segue::audio {
namespace {

using segue::testing::TempDir;

TEST(AudioDecode, WavAndFlacRoundTripAtTheirOwnRateAndChannels) {
  TempDir dir;
  const auto tone = segue::testing::tones({440.0}, 0.5, 44100);
  for (const char* name : {"a.wav", "a.flac"}) {
    const std::string path = (dir.path() / name).string();
    write_audio(path, segue::testing::multichannel(tone, 44100, 2));
    const AudioBuffer back = read_audio(path);
    EXPECT_EQ(back.sample_rate, 44100) << name;
    EXPECT_EQ(back.channels, 2) << name;
    ASSERT_EQ(back.frames(), static_cast<std::int64_t>(tone.size())) << name;
    for (std::size_t n = 0; n < tone.size(); n += 997) {
      EXPECT_NEAR(back.samples[2 * n], tone[n], 1.0 / 32768 + 1e-6) << name;  // 16-bit quantisation
      EXPECT_EQ(back.samples[2 * n], back.samples[2 * n + 1]) << name;
    }
  }
}

TEST(AudioDecode, MonoMixIsTheMeanOfTheChannels) {
  AudioBuffer b;
  b.sample_rate = 8000;
  b.channels = 2;
  b.samples = {1.0f, 0.0f, 0.5f, -0.5f, -1.0f, -0.5f};
  EXPECT_EQ(mix_to_mono(b), (std::vector<float>{0.5f, 0.0f, -0.75f}));
}

TEST(AudioDecode, NotAudioTruncatedAndEmptyFilesAreErrorsNamingTheFile) {
  TempDir dir;
  const std::string text = (dir.path() / "notes.wav").string();
  std::ofstream(text) << "this is not a wave file\n";
  const std::string empty = (dir.path() / "empty.flac").string();
  std::ofstream(empty).close();
  for (const std::string& path : {text, empty, (dir.path() / "missing.ogg").string()}) {
    try {
      read_audio(path);
      ADD_FAILURE() << path << " was read";
    } catch (const InputError& e) {
      EXPECT_EQ(e.file(), path);
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
  // A WAV cut in the middle of its data chunk: the header promises more frames.
  const std::string whole = (dir.path() / "whole.wav").string();
  write_audio(whole, segue::testing::mono_buffer(segue::testing::tones({220.0}, 2.0, 22050), 22050));
  std::string bytes;
  {
    std::ifstream in(whole, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string cut = (dir.path() / "cut.wav").string();
  std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 3));
  try {
    read_audio(cut);
    ADD_FAILURE() << "a truncated file was read";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), cut);
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(AudioDecode, TooLongIsAnErrorNamingTheLength) {
  TempDir dir;
  const std::string path = (dir.path() / "long.wav").string();
  write_audio(path, segue::testing::mono_buffer(segue::testing::tones({220.0}, 3.0, 8000), 8000));
  DecodeOptions options;
  options.max_seconds = 1.0;
  EXPECT_THROW(read_audio(path, options), InputError);
  options.max_seconds = 10.0;
  EXPECT_EQ(read_audio(path, options).frames(), 24000);
}

}  // namespace
}  // namespace segue::audio
