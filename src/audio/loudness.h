// Loudness after EBU R128 / ITU-R BS.1770-4 with libebur128, measured on the
// file's own channels and rate (BS.1770 K-weights each channel and sums their
// powers: a mono mix-down reads differently).
#pragma once

#include "audio/audio_buffer.h"

namespace segue::audio {

struct Loudness {
  double integrated_lufs = -70.0;  // gated programme loudness; silence: -70 (the absolute gate), never -inf
  double range_lu = 0.0;           // loudness range (EBU Tech 3342)
  double true_peak_dbtp = -70.0;   // max over channels, 4× oversampled (BS.1770 Annex 2); silence: -70
  double sample_peak_dbfs = -70.0;
};

Loudness measure_loudness(const AudioBuffer& audio);

}  // namespace segue::audio
