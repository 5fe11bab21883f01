#include "deep/audio_tracks.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "audio/audio_buffer.h"
#include "audio/decode.h"
#include "audio/resample.h"
#include "data/error.h"
#include "util/thread_pool.h"

namespace segue::audio {

std::vector<float> load_mono(const std::string& path, int rate, double max_seconds) {
  const AudioBuffer audio = read_audio(path);
  std::vector<float> mono = mix_to_mono(audio);
  if (max_seconds > 0 && audio.seconds() > max_seconds) {
    const auto keep = static_cast<std::size_t>(max_seconds * audio.sample_rate);
    const std::size_t begin = (mono.size() - keep) / 2;
    mono = std::vector<float>(mono.begin() + static_cast<std::ptrdiff_t>(begin),
                              mono.begin() + static_cast<std::ptrdiff_t>(begin + keep));
  }
  if (audio.sample_rate == rate) return mono;
  return resample(mono, audio.sample_rate, rate);
}

std::vector<std::vector<float>> load_tracks(const std::vector<std::string>& files, int rate, double max_seconds,
                                            std::vector<std::string>* skipped) {
  std::vector<std::vector<float>> tracks(files.size());
  std::vector<std::string> errors(files.size());
  parallel_for(0, static_cast<std::int64_t>(files.size()), 1, [&](std::int64_t begin, std::int64_t end, int) {
    for (std::int64_t i = begin; i < end; ++i) {
      try {
        tracks[i] = load_mono(files[i], rate, max_seconds);
      } catch (const InputError& error) {
        if (skipped == nullptr) throw;
        errors[i] = error.what();
      }
    }
  });
  std::vector<std::vector<float>> kept;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (errors[i].empty()) kept.push_back(std::move(tracks[i]));
    else skipped->push_back(std::move(errors[i]));
  }
  return kept;
}

}  // namespace segue::audio
