#include "audio/decode.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>

#include "data/error.h"

namespace segue::audio {

namespace {

struct FileCloser {
  void operator()(SNDFILE* file) const { sf_close(file); }
};
using SndFile = std::unique_ptr<SNDFILE, FileCloser>;

InputError audio_error(const std::string& path, const std::string& what) { return InputError(path, 0, "audio", what); }

// libsndfile opens a WAV/AIFF whose data chunk is cut short and quietly reads
// what is there; its log keeps "data : 88200 (should be 29370)". A declared
// size of 0 or 0xFFFFFFFF is a streaming writer's "unknown", not a truncation.
bool data_chunk_cut_short(SNDFILE* file, std::string& detail) {
  char log[8192] = {0};
  sf_command(file, SFC_GET_LOG_INFO, log, sizeof log);
  const std::string text(log);
  for (std::size_t at = text.find("data : "); at != std::string::npos; at = text.find("data : ", at + 1)) {
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (line.find("(should be") == std::string::npos) continue;
    const unsigned long long declared = std::strtoull(line.c_str() + 7, nullptr, 10);
    if (declared == 0 || declared >= 0xFFFFFFF0ULL) continue;
    detail = line;
    return true;
  }
  return false;
}

}  // namespace

AudioBuffer read_audio(const std::string& path, const DecodeOptions& options) {
  SF_INFO info{};
  SndFile file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw audio_error(path, std::string("cannot decode: ") + sf_strerror(nullptr));
  if (info.channels <= 0 || info.samplerate <= 0)
    throw audio_error(path, "no channels or no sample rate in the header");
  if (std::string detail; data_chunk_cut_short(file.get(), detail))
    throw audio_error(path, "truncated: the data chunk is shorter than its header says (" + detail + ")");
  if (info.channels > 64) throw audio_error(path, std::to_string(info.channels) + " channels (at most 64)");
  const double seconds = static_cast<double>(info.frames) / info.samplerate;
  if (options.max_seconds > 0 && seconds > options.max_seconds)
    throw audio_error(path, "too long: " + std::to_string(static_cast<long long>(seconds)) + " s (at most " +
                                std::to_string(static_cast<long long>(options.max_seconds)) + " s)");
  // Float samples from integer formats are scaled to [-1, 1); floating-point
  // files are read as they are (SFC_SET_NORM_FLOAT is the default).
  AudioBuffer out;
  out.sample_rate = info.samplerate;
  out.channels = info.channels;
  // Some containers (MP3, Ogg without an index) know the length only roughly:
  // read in blocks until the decoder stops, then compare with the header.
  constexpr sf_count_t kBlock = 1 << 16;
  std::vector<float> block(static_cast<std::size_t>(kBlock * info.channels));
  if (info.frames > 0 && info.frames < (sf_count_t{1} << 34))
    out.samples.reserve(static_cast<std::size_t>(info.frames * info.channels));
  for (;;) {
    const sf_count_t got = sf_readf_float(file.get(), block.data(), kBlock);
    if (got <= 0) break;
    out.samples.insert(out.samples.end(), block.begin(), block.begin() + got * info.channels);
    if (options.max_seconds > 0 && static_cast<double>(out.frames()) / info.samplerate > options.max_seconds)
      throw audio_error(path, "too long: more than " + std::to_string(static_cast<long long>(options.max_seconds)) + " s");
  }
  if (const int code = sf_error(file.get()); code != SF_ERR_NO_ERROR)
    throw audio_error(path, std::string("decoding failed after ") + std::to_string(out.frames()) +
                                " frames: " + sf_error_number(code));
  // A header that promises more than the stream holds: a truncated file.
  // Lossy decoders (Vorbis, Opus, MP3) estimate the length from the last page
  // or frame and can stop a few thousand frames short of it on a sound file
  // (libsndfile on wesnoth's northerners.ogg: 5,806 of 9.1 M frames, which
  // ffmpeg decodes whole), so they get a margin of a second or 1%.
  const int major = info.format & SF_FORMAT_TYPEMASK;
  const int subtype = info.format & SF_FORMAT_SUBMASK;
  const bool lossy = major == SF_FORMAT_OGG || major == SF_FORMAT_MPEG || subtype == SF_FORMAT_VORBIS ||
                     subtype == SF_FORMAT_OPUS;
  const sf_count_t margin = lossy ? std::max<sf_count_t>(info.samplerate, info.frames / 100) : 4096;
  if (info.frames > 0 && out.frames() + margin < info.frames)
    throw audio_error(path, "truncated: " + std::to_string(out.frames()) + " of " + std::to_string(info.frames) +
                                " frames decoded");
  for (std::size_t k = 0; k < out.samples.size(); ++k)
    if (!std::isfinite(out.samples[k]))
      throw audio_error(path, "sample " + std::to_string(k / static_cast<std::size_t>(info.channels)) +
                                  " is not a finite number");
  return out;
}

void write_audio(const std::string& path, const AudioBuffer& audio) {
  SF_INFO info{};
  info.samplerate = audio.sample_rate;
  info.channels = audio.channels;
  const bool flac = path.size() >= 5 && path.compare(path.size() - 5, 5, ".flac") == 0;
  info.format = (flac ? SF_FORMAT_FLAC : SF_FORMAT_WAV) | SF_FORMAT_PCM_16;
  SndFile file(sf_open(path.c_str(), SFM_WRITE, &info));
  if (!file) throw audio_error(path, std::string("cannot write: ") + sf_strerror(nullptr));
  // Clip instead of wrapping around when a sample is outside [-1, 1].
  sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const sf_count_t frames = audio.frames();
  if (sf_writef_float(file.get(), audio.samples.data(), frames) != frames)
    throw audio_error(path, std::string("write failed: ") + sf_strerror(file.get()));
}

}  // namespace segue::audio
