// The audio decoder (libsndfile: WAV, AIFF, FLAC, Ogg/Vorbis, Opus, MP3) and
// segue's checks around it: truncated streams, channel counts, non-finite
// samples, the length guard. Refusals must be InputErrors naming the file.
#include <cmath>

#include "audio/decode.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  segue::fuzz::clear_scratch();
  const std::string path = segue::fuzz::write_file("clip.audio", input);
  segue::audio::DecodeOptions options;
  options.max_seconds = 60.0;
  try {
    const segue::audio::AudioBuffer audio = segue::audio::read_audio(path, options);
    for (const float x : audio.samples)
      if (!std::isfinite(x)) {
        std::fprintf(stderr, "segue fuzz: a decoded sample is not finite\n");
        std::abort();
      }
  } catch (const segue::InputError& error) {
    segue::fuzz::expect_named(error);
  }
  return 0;
}
