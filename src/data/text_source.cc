#include "data/text_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "data/error.h"

namespace segue {
namespace {

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

std::string gunzip(const std::string& path, std::string_view compressed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) throw InputError(path, 0, "", "cannot start gzip decoder");
  std::string out;
  out.resize(std::max<std::size_t>(compressed.size() * 4, 1 << 16));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::size_t produced = 0;
  int status = Z_OK;
  while (true) {
    if (produced == out.size()) out.resize(out.size() * 2);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    stream.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, 1u << 30));
    status = inflate(&stream, Z_NO_FLUSH);
    produced = static_cast<std::size_t>(reinterpret_cast<char*>(stream.next_out) - out.data());
    if (status == Z_STREAM_END) {
      // Concatenated gzip members (as `cat a.gz b.gz` makes) continue the stream.
      if (stream.avail_in == 0) break;
      inflateReset(&stream);
      continue;
    }
    if (status == Z_BUF_ERROR && stream.avail_in == 0) {
      inflateEnd(&stream);
      throw InputError(path, 0, "", "truncated gzip file (stream ends early)");
    }
    if (status != Z_OK) {
      std::string message = stream.msg ? stream.msg : "corrupt data";
      inflateEnd(&stream);
      throw InputError(path, 0, "", "corrupt gzip file: " + message);
    }
  }
  inflateEnd(&stream);
  out.resize(produced);
  return out;
}

}  // namespace

TextSource TextSource::open(const std::string& path) {
  TextSource source;
  source.path_ = path;
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw InputError(path, 0, "", std::string("cannot open: ") + std::strerror(errno));
  struct stat info {};
  if (fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    ::close(fd);
    throw InputError(path, 0, "", "is not a readable file");
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size > 0) {
    void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      ::close(fd);
      throw InputError(path, 0, "", std::string("cannot map: ") + std::strerror(errno));
    }
    madvise(map, size, MADV_SEQUENTIAL);
    source.map_ = map;
    source.map_size_ = size;
    source.text_ = std::string_view(static_cast<const char*>(map), size);
  }
  ::close(fd);
  if (is_gzip(source.text_)) {
    source.owned_ = gunzip(path, source.text_);
    munmap(source.map_, source.map_size_);
    source.map_ = nullptr;
    source.map_size_ = 0;
    source.text_ = source.owned_;
  }
  return source;
}

TextSource::TextSource(TextSource&& other) noexcept { *this = std::move(other); }

TextSource& TextSource::operator=(TextSource&& other) noexcept {
  if (this == &other) return *this;
  if (map_ != nullptr) munmap(map_, map_size_);
  path_ = std::move(other.path_);
  const bool owned = other.text_.data() == other.owned_.data() && !other.owned_.empty();
  owned_ = std::move(other.owned_);
  map_ = std::exchange(other.map_, nullptr);
  map_size_ = std::exchange(other.map_size_, 0);
  text_ = owned ? std::string_view(owned_) : other.text_;
  other.text_ = {};
  return *this;
}

TextSource::~TextSource() {
  if (map_ != nullptr) munmap(map_, map_size_);
}

std::size_t line_of_offset(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::size_t find_invalid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    if (i + 8 <= n) {
      std::uint64_t chunk;
      std::memcpy(&chunk, bytes + i, 8);
      if ((chunk & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t min_code = 0;
    std::uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) { len = 2; min_code = 0x80; code = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min_code = 0x800; code = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min_code = 0x10000; code = c & 0x07; }
    else return i;
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return i;
      code = (code << 6) | (bytes[i + k] & 0x3F);
    }
    if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string printable_utf8(std::string_view text, std::size_t max_bytes) {
  std::string out;
  while (!text.empty()) {
    const std::size_t valid = std::min(find_invalid_utf8(text), text.size());
    std::string_view good = text.substr(0, valid);
    if (out.size() + good.size() > max_bytes) {
      std::size_t cut = max_bytes > out.size() ? max_bytes - out.size() : 0;
      while (cut > 0 && (static_cast<unsigned char>(good[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
      out.append(good.substr(0, cut));
      return out + "...";
    }
    out.append(good);
    text.remove_prefix(valid);
    if (text.empty()) break;
    if (out.size() + 4 > max_bytes) return out + "...";
    static constexpr char kHex[] = "0123456789ABCDEF";
    const auto byte = static_cast<unsigned char>(text[0]);
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
    text.remove_prefix(1);
  }
  return out;
}

}  // namespace segue
