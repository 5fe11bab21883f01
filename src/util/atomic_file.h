// AtomicFile: a buffered writer to `final_path` through `final_path.tmp`;
// commit() writes it out, fsyncs it and renames it into place, so readers never
// see a half-written file, even after a crash. A set of files that belong
// together (a split's train and test) call finish() on each, then publish()
// on each: the renames come in a burst after every file is complete. Destroyed
// without being published, it removes the temporary file. Errors name the file.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include <unistd.h>

namespace segue {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path final_path)
      : final_(std::move(final_path)), temp_(final_.string() + ".tmp") {
    file_ = std::fopen(temp_.c_str(), "wb");
    if (file_ == nullptr) fail("cannot create");
    buffer_.reserve(kFlushAt + 4096);
  }
  ~AtomicFile() {
    if (file_ != nullptr) std::fclose(file_);
    if (file_ != nullptr || finished_) {
      std::error_code ignored;
      std::filesystem::remove(temp_, ignored);
    }
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::string path() const { return final_.string(); }
  // Append to it, then call maybe_flush().
  std::string& buffer() { return buffer_; }
  void write(std::string_view text) {
    buffer_.append(text);
    maybe_flush();
  }
  void maybe_flush() {
    if (buffer_.size() >= kFlushAt) flush();
  }
  void commit() {
    finish();
    publish();
  }
  // Everything written and on disk under the temporary name.
  void finish() {
    flush();
    if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) fail("cannot finish writing");
    const int closed = std::fclose(file_);
    file_ = nullptr;
    finished_ = true;
    if (closed != 0) fail("cannot finish writing");
  }
  // The finished file renamed into place.
  void publish() {
    std::error_code error;
    std::filesystem::rename(temp_, final_, error);
    finished_ = false;
    if (error) {
      std::filesystem::remove(temp_, error);
      throw std::runtime_error(final_.string() + ": cannot rename the temporary file into place");
    }
  }

 private:
  static constexpr std::size_t kFlushAt = 4 << 20;
  void flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
      fail("cannot write");
    buffer_.clear();
  }
  [[noreturn]] void fail(const char* what) const {
    throw std::runtime_error(final_.string() + ": " + what + " (" + std::strerror(errno) + ")");
  }

  std::filesystem::path final_;
  std::string temp_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  bool finished_ = false;  // finished, not yet published
};

}  // namespace segue
