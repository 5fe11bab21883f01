// The dataset store loader (a directory: meta.json and one checksummed .bin
// per array; docs/STORE.md). An input is meta.json, then the files its
// manifest lists, in order, separated by "%%" lines. For inputs of even length
// the harness rewrites each array's crc32 (in the file's header and in the
// manifest) to match its payload, so mutations reach the checks behind the
// checksums: counts, offsets, ids in range, the dataset's invariants. A loaded
// store is then used (statistics, every name) to catch what validation missed.
#include <zlib.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "data/stats.h"
#include "data/store.h"
#include "fuzz/fuzz_input.h"

namespace {

constexpr std::size_t kArrayHeader = 64;  // the array file's header; crc32 at byte 32
constexpr std::size_t kMaxFiles = 40;

bool plain_name(const std::string& name) {
  return !name.empty() && name.size() < 100 && name.find('/') == std::string::npos && name != "." && name != "..";
}

std::uint32_t payload_crc(std::string_view file) {
  if (file.size() < kArrayHeader) return 0;
  return static_cast<std::uint32_t>(crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(file.data() + kArrayHeader),
                                            file.size() - kArrayHeader));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  segue::fuzz::clear_scratch();
  const std::string dir = segue::fuzz::scratch_dir() + "/store";
  const auto parts = segue::fuzz::split_parts(input, kMaxFiles + 1);
  const bool fix = size % 2 == 0;
  nlohmann::json meta = nlohmann::json::parse(parts[0], nullptr, /*allow_exceptions=*/false);
  if (meta.is_object() && meta.contains("arrays") && meta["arrays"].is_array()) {
    std::size_t k = 0;
    for (auto& entry : meta["arrays"]) {
      if (++k > kMaxFiles) break;
      if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string()) continue;
      const std::string name = entry["file"].get<std::string>();
      if (!plain_name(name)) continue;
      std::string file(parts[k]);
      if (fix && file.size() >= kArrayHeader) {
        const std::uint32_t crc = payload_crc(file);
        std::memcpy(file.data() + 32, &crc, 4);
        entry["crc32"] = crc;
      }
      segue::fuzz::write_file("store/" + name, file);
    }
    segue::fuzz::write_file("store/meta.json", fix ? meta.dump() : std::string(parts[0]));
  } else {
    segue::fuzz::write_file("store/meta.json", parts[0]);
  }
  try {
    const segue::Dataset dataset = segue::load_dataset(dir);
    (void)segue::to_text(segue::compute_stats(dataset));
    std::size_t chars = 0;
    for (std::int32_t u = 0; u < dataset.n_users(); ++u) chars += dataset.users.name(u).size();
    for (std::int32_t i = 0; i < dataset.n_items(); ++i) chars += dataset.items.name(i).size();
    (void)chars;
  } catch (const segue::InputError& error) {
    segue::fuzz::expect_named(error);
  }
  return 0;
}
