// Decoded audio as the analysers see it: interleaved float frames at the
// file's own rate and channels (loudness is measured on those: BS.1770 weighs
// and sums the channels' powers), and the mono mix the other descriptors use.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace segue::audio {

struct AudioBuffer {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;  // frames × channels, interleaved, nominally in [-1, 1]

  std::int64_t frames() const { return channels > 0 ? static_cast<std::int64_t>(samples.size()) / channels : 0; }
  double seconds() const { return sample_rate > 0 ? static_cast<double>(frames()) / sample_rate : 0.0; }
};

// The mean of the channels, frame by frame.
std::vector<float> mix_to_mono(const AudioBuffer& audio);

}  // namespace segue::audio
