#include "audio/audio_files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <unordered_set>

#include "data/error.h"

namespace segue::audio {

namespace {

bool has_audio_extension(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* known : {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".w64"})
    if (extension == known) return true;
  return false;
}

}  // namespace

std::vector<std::string> list_audio_files(const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::unordered_set<std::string> seen;
  const auto add = [&](std::string file) {
    if (seen.insert(file).second) files.push_back(std::move(file));
  };
  for (const std::string& input : inputs) {
    std::error_code error;
    if (fs::is_directory(input, error)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(input, fs::directory_options::follow_directory_symlink, error);
           !error && it != fs::recursive_directory_iterator(); it.increment(error))
        if (it->is_regular_file() && has_audio_extension(it->path())) found.push_back(it->path().string());
      if (error) throw InputError(input, 0, "", "cannot list the directory: " + error.message());
      if (found.empty()) throw InputError(input, 0, "", "no audio files (.wav .flac .ogg .opus .mp3 .aiff) in the directory");
      std::sort(found.begin(), found.end());
      for (std::string& file : found) add(std::move(file));
    } else if (fs::exists(input, error)) {
      add(input);
    } else {
      throw InputError(input, 0, "", "no such file or directory");
    }
  }
  return files;
}

std::string audio_item_id(const std::string& path) { return std::filesystem::path(path).stem().string(); }

}  // namespace segue::audio
