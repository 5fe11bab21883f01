// A lossy codec round trip in memory (libsndfile's virtual I/O): encode mono
// samples as Ogg Vorbis or MP3 at a given quality and decode them again. The
// audio embedding's augmentation uses it so that the CNN learns to ignore the
// artefacts that separate two copies of a track encoded differently.
#pragma once

#include <span>
#include <vector>

namespace segue::audio {

enum class LossyCodec { kVorbis, kMp3 };

// quality in 0..1 (libsndfile's SFC_SET_VBR_ENCODING_QUALITY: 0 = smallest
// file, 1 = best). The result has exactly samples.size() samples (the codec's
// delay is not compensated; Vorbis has none, MP3's is trimmed or zero-padded at
// the end). Throws std::runtime_error when this libsndfile cannot write the codec.
std::vector<float> reencode(std::span<const float> samples, int rate, LossyCodec codec, double quality);

// Whether this libsndfile build can write the codec (MP3 needs libsndfile ≥ 1.1 built with LAME).
bool can_reencode(LossyCodec codec);

}  // namespace segue::audio
