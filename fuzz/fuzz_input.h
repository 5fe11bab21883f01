// Shared by the fuzz targets (fuzz/README.md): a private scratch directory per
// process, fuzz bytes written to files there, and the rule that decides what
// counts as a finding. An importer may refuse its input only with one of
// segue's own errors (InputError naming the file, UsageError); any other
// exception escapes the target and libFuzzer reports it as a crash, like a
// sanitizer report, a hang (-timeout) or a blown memory limit (-rss_limit_mb).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "data/error.h"

namespace segue::fuzz {

// One scratch directory per fuzzing process (libFuzzer's -fork/-jobs children each get their own).
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "segue-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("segue fuzz: mkdtemp");
      std::abort();
    }
    return pattern;
  }();
  return dir;
}

inline std::string write_file(const std::string& name, std::string_view bytes) {
  const std::string path = scratch_dir() + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::perror(("segue fuzz: writing " + path).c_str());
    std::abort();
  }
  return path;
}

// Empties the scratch directory (a target that writes several files starts clean each run).
inline void clear_scratch() {
  for (const auto& entry : std::filesystem::directory_iterator(scratch_dir())) std::filesystem::remove_all(entry);
}

// The input split into `parts` byte strings at a line holding only "%%" (missing parts are empty), so one
// input can carry several files of a directory-shaped format.
inline std::vector<std::string_view> split_parts(std::string_view input, std::size_t parts) {
  std::vector<std::string_view> out;
  static constexpr std::string_view kSeparator = "\n%%\n";
  while (out.size() + 1 < parts) {
    const std::size_t at = input.find(kSeparator);
    if (at == std::string_view::npos) break;
    out.push_back(input.substr(0, at));
    input.remove_prefix(at + kSeparator.size());
  }
  out.push_back(input);
  out.resize(parts);
  return out;
}

// gzip input is written as NAME.gz so the importer's decompressor reads it.
inline bool looks_gzipped(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

// The input's length picks the importer's --on-error mode (odd: skip collects bad lines; even: fail throws
// the first), so corpus files stay plain data files and both modes see every shape.
inline OnError mode_for(std::string_view input) { return input.size() % 2 ? OnError::kSkip : OnError::kFail; }

// An InputError must say which file it is about (the whole point of a clear error).
inline void expect_named(const InputError& error) {
  if (error.file().empty()) {
    std::fprintf(stderr, "segue fuzz: an InputError without a file name: %s\n", error.what());
    std::abort();
  }
}

}  // namespace segue::fuzz
