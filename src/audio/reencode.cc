#include "audio/reencode.h"

#include <sndfile.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace segue::audio {

namespace {

// A growable byte buffer behind libsndfile's virtual file interface.
struct MemoryFile {
  std::vector<unsigned char> bytes;
  sf_count_t position = 0;
};

sf_count_t memory_length(void* user) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->bytes.size()); }

sf_count_t memory_seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t to = offset;
  if (whence == SEEK_CUR) to += f->position;
  if (whence == SEEK_END) to += static_cast<sf_count_t>(f->bytes.size());
  if (to < 0) return -1;
  f->position = to;
  return to;
}

sf_count_t memory_read(void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const sf_count_t size = static_cast<sf_count_t>(f->bytes.size());
  const sf_count_t n = std::clamp<sf_count_t>(size - f->position, 0, count);
  if (n > 0) std::memcpy(ptr, f->bytes.data() + f->position, static_cast<std::size_t>(n));
  f->position += n;
  return n;
}

sf_count_t memory_write(const void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const auto end = static_cast<std::size_t>(f->position + count);
  if (end > f->bytes.size()) f->bytes.resize(end);
  std::memcpy(f->bytes.data() + f->position, ptr, static_cast<std::size_t>(count));
  f->position += count;
  return count;
}

sf_count_t memory_tell(void* user) { return static_cast<MemoryFile*>(user)->position; }

SF_VIRTUAL_IO memory_io() { return {memory_length, memory_seek, memory_read, memory_write, memory_tell}; }

int format_of(LossyCodec codec) {
  return codec == LossyCodec::kVorbis ? (SF_FORMAT_OGG | SF_FORMAT_VORBIS)
                                      : (SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
}

struct Closer {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndFile = std::unique_ptr<SNDFILE, Closer>;

}  // namespace

bool can_reencode(LossyCodec codec) {
  SF_INFO info{};
  info.samplerate = 22050;
  info.channels = 1;
  info.format = format_of(codec);
  return sf_format_check(&info) != 0;
}

std::vector<float> reencode(std::span<const float> samples, int rate, LossyCodec codec, double quality) {
  const char* name = codec == LossyCodec::kVorbis ? "Ogg Vorbis" : "MP3";
  if (samples.empty()) return {};
  if (rate <= 0) throw std::invalid_argument("reencode: sample rate must be positive");
  SF_VIRTUAL_IO io = memory_io();
  MemoryFile file;
  {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = 1;
    info.format = format_of(codec);
    SndFile out(sf_open_virtual(&io, SFM_WRITE, &info, &file));
    if (!out) throw std::runtime_error(std::string("reencode: this libsndfile cannot write ") + name + ": " + sf_strerror(nullptr));
    double q = std::clamp(quality, 0.0, 1.0);
    sf_command(out.get(), SFC_SET_VBR_ENCODING_QUALITY, &q, sizeof q);
    if (sf_writef_float(out.get(), samples.data(), static_cast<sf_count_t>(samples.size())) !=
        static_cast<sf_count_t>(samples.size()))
      throw std::runtime_error(std::string("reencode: ") + name + " encoding failed: " + sf_strerror(out.get()));
  }
  file.position = 0;
  SF_INFO info{};
  SndFile in(sf_open_virtual(&io, SFM_READ, &info, &file));
  if (!in) throw std::runtime_error(std::string("reencode: cannot decode the ") + name + " stream: " + sf_strerror(nullptr));
  std::vector<float> decoded(samples.size() + 4096, 0.0f);
  const sf_count_t got = sf_readf_float(in.get(), decoded.data(), static_cast<sf_count_t>(decoded.size()));
  decoded.resize(samples.size());
  if (got < static_cast<sf_count_t>(samples.size()))
    std::fill(decoded.begin() + std::max<sf_count_t>(got, 0), decoded.end(), 0.0f);
  return decoded;
}

}  // namespace segue::audio
