// `segue audio analyze` end to end: synthetic files with known answers in, an
// items CSV and per-track beats/chords out; bad files named, skipped and counted.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "../test_util.h"
#include "audio/decode.h"
#include "data/csv_reader.h"
#include "signals.h"

namespace segue::audio {
namespace {

using segue::testing::TempDir;

struct Result {
  int code = -1;
  std::string out;
};

Result run(const std::string& args) {
  const std::string command = std::string(SEGUE_BINARY) + " audio analyze " + args + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// item_id -> column -> text
std::map<std::string, std::map<std::string, std::string>> read_rows(const std::string& path) {
  std::map<std::string, std::map<std::string, std::string>> rows;
  CsvReader csv(path);
  const auto header = csv.header();
  while (csv.next())
    for (std::size_t c = 0; c < header.size(); ++c) rows[std::string(csv.field(0))][header[c]] = std::string(csv.field(c));
  return rows;
}

// A C-major triad sounding on every beat of a 120 BPM click track, 12 s, stereo 44.1 kHz.
AudioBuffer c_major_at_120(int rate) {
  std::vector<float> mono = segue::testing::click_track(120.0, 12.0, rate);
  for (double t = 0; t < 12.0; t += 0.5)
    for (const int note : {60, 64, 67, 48}) segue::testing::add_note(mono, rate, note, t, 0.5, 0.15);
  return segue::testing::multichannel(mono, rate, 2);
}

TEST(AudioAnalyzeCli, KnownSignalsGiveTheirTempoKeyLoudnessAndDetails) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "in" / "sub");
  write_audio((dir.path() / "in" / "triad.wav").string(), c_major_at_120(44100));
  // A 1 kHz sine at -23 dBFS on both channels reads -23 LUFS (EBU Tech 3341 case 1).
  const double amplitude = std::pow(10.0, -23.0 / 20.0);
  write_audio((dir.path() / "in" / "sub" / "reference.flac").string(),
              segue::testing::multichannel(segue::testing::tones({1000.0}, 20.0, 48000, amplitude), 48000, 2));
  write_audio((dir.path() / "in" / "silence.wav").string(), segue::testing::mono_buffer(std::vector<float>(22050, 0.0f), 22050));
  std::ofstream(dir.path() / "in" / "notes.txt") << "not audio, not listed (no audio extension)\n";
  const std::string out = (dir.path() / "features.csv").string();
  const Result r = run("--input " + (dir.path() / "in").string() + " --out " + out + " --details " +
                       (dir.path() / "details").string() + " --threads 2");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("3 of 3 files analysed"), std::string::npos) << r.out;
  auto rows = read_rows(out);
  ASSERT_EQ(rows.size(), 3u);
  const auto& triad = rows.at("triad");
  EXPECT_NEAR(std::stod(triad.at("tempo")), 120.0, 2.4);
  EXPECT_EQ(triad.at("key"), "C");
  EXPECT_EQ(triad.at("mode"), "major");
  EXPECT_EQ(triad.at("sample_rate"), "44100");
  EXPECT_EQ(triad.at("channels"), "2");
  EXPECT_EQ(triad.at("duration_ms"), "12000");
  EXPECT_NEAR(std::stod(rows.at("reference").at("loudness_lufs")), -23.0, 0.1);
  EXPECT_EQ(rows.at("reference").at("loudness"), rows.at("reference").at("loudness_lufs"));
  // Silence: defined values, no pulse, the absolute gate.
  const auto& silence = rows.at("silence");
  EXPECT_EQ(std::stod(silence.at("tempo")), 0.0);
  EXPECT_EQ(std::stod(silence.at("loudness_lufs")), -70.0);
  for (const auto& [column, value] : silence)
    EXPECT_EQ(value.find("nan"), std::string::npos) << column;
  // Details: beats every 0.5 s; chords cover the track and name C:maj.
  std::ifstream beats(dir.path() / "details" / "triad.beats.txt");
  std::vector<double> times;
  for (double t; beats >> t;) times.push_back(t);
  ASSERT_GE(times.size(), 18u);
  for (std::size_t k = 1; k < times.size(); ++k) EXPECT_NEAR(times[k] - times[k - 1], 0.5, 0.03) << k;
  std::ifstream chords(dir.path() / "details" / "triad.chords.lab");
  std::stringstream text;
  text << chords.rdbuf();
  EXPECT_NE(text.str().find("C:maj"), std::string::npos) << text.str();
}

TEST(AudioAnalyzeCli, BadFilesAreNamedOrSkippedAndCounted) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "in");
  write_audio((dir.path() / "in" / "good.wav").string(),
              segue::testing::mono_buffer(segue::testing::tones({440.0}, 3.0, 22050), 22050));
  const std::string bad = (dir.path() / "in" / "broken.ogg").string();
  std::ofstream(bad) << "OggS but not really";
  const std::string out = (dir.path() / "f.csv").string();
  Result r = run("--input " + (dir.path() / "in").string() + " --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find(bad), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));  // nothing half-written
  r = run("--input " + (dir.path() / "in").string() + " --out " + out + " --on-error skip");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("1 of 2 files analysed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("skipped 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(bad), std::string::npos) << r.out;
  EXPECT_EQ(read_rows(out).size(), 1u);
  // A missing input, an empty directory, two files with one item id.
  r = run("--input " + (dir.path() / "nowhere").string() + " --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("nowhere"), std::string::npos) << r.out;
  std::filesystem::create_directories(dir.path() / "empty");
  r = run("--input " + (dir.path() / "empty").string() + " --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("no audio files"), std::string::npos) << r.out;
  std::filesystem::create_directories(dir.path() / "other");
  write_audio((dir.path() / "other" / "good.flac").string(),
              segue::testing::mono_buffer(segue::testing::tones({440.0}, 1.0, 22050), 22050));
  r = run("--input " + (dir.path() / "in" / "good.wav").string() + " " + (dir.path() / "other").string() + " --out " + out);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("item id 'good'"), std::string::npos) << r.out;
  // --ids gives each its own id.
  const std::string ids = (dir.path() / "ids.csv").string();
  std::ofstream(ids) << "file,item_id\n" << (dir.path() / "in" / "good.wav").string() << ",track-1\n"
                     << "good,track-2\n";
  r = run("--input " + (dir.path() / "in" / "good.wav").string() + " " + (dir.path() / "other").string() + " --out " + out +
          " --ids " + ids);
  ASSERT_EQ(r.code, 0) << r.out;
  const auto rows = read_rows(out);
  EXPECT_EQ(rows.count("track-1"), 1u);
  EXPECT_EQ(rows.count("track-2"), 1u);
}

// Audio descriptors into a content model: two kinds of track — quiet, slow
// major-key piano-like chords and loud, fast noise-and-click tracks — with a
// third of each nobody has played (cold). A listener of the first kind gets
// the cold track of their kind first, from the audio features alone.
TEST(AudioAnalyzeCli, DescriptorsRecommendColdTracksThroughAContentModel) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "audio");
  const int rate = 22050;
  for (int k = 0; k < 3; ++k) {
    std::vector<float> calm(static_cast<std::size_t>(10 * rate), 0.0f);
    for (double t = 0; t < 10.0; t += 1.0)
      for (const int note : {60 + k * 2, 64 + k * 2, 67 + k * 2}) segue::testing::add_note(calm, rate, note, t, 1.0, 0.05);
    write_audio((dir.path() / "audio" / ("calm" + std::to_string(k) + ".wav")).string(), segue::testing::mono_buffer(calm, rate));
    std::vector<float> loud = segue::testing::click_track(150.0 + 5 * k, 10.0, rate);
    const auto noise = segue::testing::white_noise(10.0, rate, 0.25, 11 + k);
    for (std::size_t n = 0; n < loud.size(); ++n) loud[n] = std::clamp(loud[n] + noise[n], -1.0f, 1.0f);
    write_audio((dir.path() / "audio" / ("loud" + std::to_string(k) + ".wav")).string(), segue::testing::mono_buffer(loud, rate));
  }
  const std::string items = (dir.path() / "items.csv").string();
  Result r = run("--input " + (dir.path() / "audio").string() + " --out " + items);
  ASSERT_EQ(r.code, 0) << r.out;
  // calm2 and loud2 are cold: in the items file, never played.
  const std::string train = (dir.path() / "train.csv").string();
  std::ofstream(train) << "user_id,item_id,weight\n"
                       << "u1,calm0,3\nu1,calm1,2\nu2,calm0,1\nu2,calm1,4\nu3,calm1,2\n"
                       << "u4,loud0,3\nu4,loud1,2\nu5,loud0,2\nu5,loud1,1\nu6,loud1,5\n";
  const std::string model = (dir.path() / "m.model").string();
  const std::string segue = std::string(SEGUE_BINARY);
  const auto shell = [](const std::string& command) {
    Result out;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    char buffer[4096];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.out.append(buffer, n);
    const int status = pclose(pipe);
    out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
  };
  r = shell(segue + " train --train " + train + " --items " + items + " --model content --out " + model);
  ASSERT_EQ(r.code, 0) << r.out;
  r = shell(segue + " recommend --model " + model + " --user u1 --n 2 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto calm_at = r.out.find("calm2"), loud_at = r.out.find("loud2");
  ASSERT_NE(calm_at, std::string::npos) << r.out;
  EXPECT_TRUE(loud_at == std::string::npos || calm_at < loud_at) << r.out;
  r = shell(segue + " recommend --model " + model + " --user u4 --n 2 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto loud_for_u4 = r.out.find("loud2"), calm_for_u4 = r.out.find("calm2");
  ASSERT_NE(loud_for_u4, std::string::npos) << r.out;
  EXPECT_TRUE(calm_for_u4 == std::string::npos || loud_for_u4 < calm_for_u4) << r.out;
}

}  // namespace
}  // namespace segue::audio
