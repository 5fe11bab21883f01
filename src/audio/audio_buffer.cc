#include "audio/audio_buffer.h"

namespace segue::audio {

std::vector<float> mix_to_mono(const AudioBuffer& audio) {
  const std::int64_t frames = audio.frames();
  std::vector<float> mono(static_cast<std::size_t>(frames));
  if (audio.channels == 1) {
    mono.assign(audio.samples.begin(), audio.samples.begin() + frames);
    return mono;
  }
  const float scale = 1.0f / static_cast<float>(audio.channels);
  const float* in = audio.samples.data();
  for (std::int64_t f = 0; f < frames; ++f) {
    float sum = 0.0f;
    for (int c = 0; c < audio.channels; ++c) sum += *in++;
    mono[static_cast<std::size_t>(f)] = sum * scale;
  }
  return mono;
}

}  // namespace segue::audio
