// The per-thread byte count behind scratch_bytes_held() (models/scratch.h).
#include "models/scratch.h"

namespace segue::scratch_detail {

std::size_t& held_bytes() {
  thread_local std::size_t bytes = 0;
  return bytes;
}

}  // namespace segue::scratch_detail
