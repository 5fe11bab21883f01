// The served world of the service tests and the service fuzz targets: 30
// listeners in 3 taste clusters over 36 named tracks by 9 artists (4 tracks
// each, an artist's tracks in one cluster), with timestamps. No gtest here, so
// fuzz/ can include it.
#pragma once

#include <string>

#include "data/dataset_builder.h"

namespace segue::testing {

inline Dataset served_world() {
  DatasetBuilder b;
  for (int i = 0; i < 36; ++i) {
    const std::int32_t item = b.item("t" + std::to_string(i));
    b.set_item_string("name", item, "Song " + std::to_string(i));
    b.set_item_string("artist", item, "Artist " + std::to_string(i / 4));
  }
  // One title shared by two artists, for the ambiguity check.
  b.set_item_string("name", b.item("t35"), "Song 0");
  for (int u = 0; u < 30; ++u) {
    const std::int32_t user = b.user("u" + std::to_string(u));
    const int cluster = u % 3;
    for (int k = 0; k < 7; ++k) {
      // Cluster c plays items whose artist % 3 == c; each listener leaves a few out.
      const int item = ((k + u) % 3) * 12 + cluster * 4 + (k + u / 3) % 4;
      if ((item / 4) % 3 != cluster) continue;
      DatasetBuilder::Event e;
      e.user = user;
      e.item = b.item("t" + std::to_string(item));
      e.weight = 1.0f + static_cast<float>((u + k) % 3);
      e.time = 1600000000 + u * 3600 + k * 60;
      b.add(e);
    }
  }
  return b.finish("serve fixture");
}

}  // namespace segue::testing
