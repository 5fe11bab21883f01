// Reads a whole input file (plain or gzip) into memory once, so the parsers
// run over one contiguous buffer; plain files are memory-mapped, not copied.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace segue {

class TextSource {
 public:
  // Throws InputError (line 0) if the file is missing, unreadable or a broken gzip.
  static TextSource open(const std::string& path);

  std::string_view text() const { return text_; }
  const std::string& path() const { return path_; }

  TextSource(TextSource&&) noexcept;
  TextSource& operator=(TextSource&&) noexcept;
  ~TextSource();

 private:
  TextSource() = default;
  std::string path_;
  std::string_view text_;
  std::string owned_;  // decompressed gzip content
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
};

// Physical line (1-based) of byte `offset` in `text`.
std::size_t line_of_offset(std::string_view text, std::size_t offset);

// Offset of the first byte that is not valid UTF-8, or npos.
std::size_t find_invalid_utf8(std::string_view text);

// `text` made safe to quote in a message (and so in JSON): at most about
// `max_bytes`, cut on a character boundary ("..." marks the cut), each byte
// that is not valid UTF-8 written as \xNN.
std::string printable_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace segue
