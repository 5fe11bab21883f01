// Helpers shared by the tests: a temporary directory that cleans up after
// itself and a one-call file writer for fixtures written inside the test.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "data/error.h"

namespace segue::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device seed;
    path_ = std::filesystem::temp_directory_path() / ("segue-test-" + std::to_string(seed()) + std::to_string(seed()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

  // Writes `content` byte for byte to name and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::filesystem::path target = path_ / name;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream out(target, std::ios::binary);
    out << content;
    return target.string();
  }

 private:
  std::filesystem::path path_;
};

// Runs `body`, which must throw an InputError, and returns it for the caller
// to check file, line and field; any other outcome fails the test.
template <class Body>
InputError expect_input_error(Body&& body) {
  try {
    body();
  } catch (const InputError& error) {
    return error;
  } catch (const std::exception& other) {
    ADD_FAILURE() << "expected InputError, got: " << other.what();
    return InputError("", 0, "", "");
  }
  ADD_FAILURE() << "expected InputError, nothing was thrown";
  return InputError("", 0, "", "");
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs a shell command line with stderr folded into stdout; code -1 when it
// could not run or did not exit normally.
struct CommandResult {
  int code = -1;
  std::string out;
};

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace segue::testing
