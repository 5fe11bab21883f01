#include "data/id_map.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace segue {
namespace {

constexpr std::uint16_t kLongKey = 0xFFFF;

std::uint16_t tag_of(std::uint64_t hash) { return static_cast<std::uint16_t>(hash >> 48); }

// Lookups hit the table at random: with 4 KiB pages nearly every probe is also a
// TLB miss (costly under virtualisation), so ask for transparent huge pages.
void advise_huge_pages(void* data, std::size_t bytes) {
  constexpr std::size_t kHuge = 2u << 20;
  if (bytes < kHuge) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

}  // namespace

// Eight bytes per step (ids such as "spotify:track:..." are 36 bytes: a byte
// loop of dependent multiplies was a tenth of import time), finished with
// murmur3's fmix64 so every input bit reaches the low bits used for slots.
std::uint64_t IdMap::hash(std::string_view key) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  std::uint64_t h = 0x243F6A8885A308D3ull ^ (key.size() * kMul);
  const char* p = key.data();
  std::size_t n = key.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  if (n > 0) {
    std::uint64_t word = 0;
    std::memcpy(&word, p, n);
    h = (h ^ word) * kMul;
    h ^= h >> 29;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

IdMap::Slot IdMap::make_slot(std::int32_t id, std::uint64_t hash) const {
  const std::uint64_t length = offsets_[id + 1] - offsets_[id];
  return Slot{id, tag_of(hash), static_cast<std::uint16_t>(length < kLongKey ? length : kLongKey), offsets_[id]};
}

std::uint64_t IdMap::slot_of(std::string_view key, std::uint64_t hash) const {
  const std::uint64_t mask = table_.size() - 1;
  const std::uint16_t tag = tag_of(hash);
  const std::uint16_t length = static_cast<std::uint16_t>(key.size() < kLongKey ? key.size() : kLongKey);
  std::uint64_t slot = hash & mask;
  while (true) {
    const Slot& entry = table_[slot];
    if (entry.id == kMissing) return slot;
    if (entry.tag == tag && entry.length == length) {
      if (length != kLongKey) {
        if (std::memcmp(arena_.data() + entry.offset, key.data(), key.size()) == 0) return slot;
      } else if (name(entry.id) == key) {
        return slot;
      }
    }
    slot = (slot + 1) & mask;
  }
}

void IdMap::prefetch(std::uint64_t hash) const {
  if (!table_.empty()) __builtin_prefetch(&table_[hash & (table_.size() - 1)]);
}

void IdMap::prefetch_key(std::uint64_t hash) const {
  if (table_.empty()) return;
  const Slot& entry = table_[hash & (table_.size() - 1)];
  if (entry.id != kMissing && entry.tag == tag_of(hash)) __builtin_prefetch(arena_.data() + entry.offset);
}

void IdMap::grow() {
  const std::size_t capacity = table_.empty() ? 64 : table_.size() * 2;
  table_.assign(capacity, Slot{});
  advise_huge_pages(table_.data(), capacity * sizeof(Slot));
  const std::uint64_t mask = capacity - 1;
  for (std::int32_t id = 0; id < size(); ++id) {
    std::uint64_t slot = hashes_[id] & mask;
    while (table_[slot].id != kMissing) slot = (slot + 1) & mask;
    table_[slot] = make_slot(id, hashes_[id]);
  }
}

std::int32_t IdMap::intern(std::string_view key, std::uint64_t hash) {
  if ((static_cast<std::size_t>(size()) + 1) * 2 > table_.size()) grow();
  const std::uint64_t slot = slot_of(key, hash);
  if (table_[slot].id != kMissing) return table_[slot].id;
  if (size() == INT32_MAX - 1) throw std::length_error("IdMap: more than 2^31 - 2 distinct ids");
  const std::int32_t id = size();
  arena_.append(key);
  offsets_.push_back(arena_.size());
  hashes_.push_back(hash);
  table_[slot] = make_slot(id, hash);
  return id;
}

std::int32_t IdMap::find(std::string_view key) const {
  if (table_.empty()) return kMissing;
  return table_[slot_of(key, hash(key))].id;
}

void IdMap::reserve(std::size_t n) {
  hashes_.reserve(n);
  offsets_.reserve(n + 1);
  while (table_.size() < n * 2) grow();
}

void IdMap::clear() { *this = IdMap(); }

IdMap IdMap::from_raw(std::string arena, std::vector<std::uint64_t> offsets) {
  if (offsets.empty() || offsets.front() != 0 || offsets.back() != arena.size())
    throw std::invalid_argument("id map offsets do not match its byte arena");
  for (std::size_t i = 1; i < offsets.size(); ++i)
    if (offsets[i] < offsets[i - 1]) throw std::invalid_argument("id map offsets are not increasing");
  if (offsets.size() - 1 > static_cast<std::size_t>(INT32_MAX - 1)) throw std::invalid_argument("id map too large");
  // Loading a store is on the critical path of every command: adopt the arena
  // as it is, hash in one sequential pass, and fill a table sized once with
  // slot prefetches running ahead.
  IdMap map;
  map.arena_ = std::move(arena);
  map.offsets_ = std::move(offsets);
  const auto n = static_cast<std::int32_t>(map.offsets_.size() - 1);
  map.hashes_.resize(static_cast<std::size_t>(n));
  for (std::int32_t id = 0; id < n; ++id) map.hashes_[id] = hash(map.name(id));
  std::size_t capacity = 64;
  while (capacity < (static_cast<std::size_t>(n) + 1) * 2) capacity *= 2;
  map.table_.assign(capacity, Slot{});
  advise_huge_pages(map.table_.data(), capacity * sizeof(Slot));
  constexpr std::int32_t kAhead = 16;
  for (std::int32_t id = 0; id < n; ++id) {
    if (id + kAhead < n) map.prefetch(map.hashes_[id + kAhead]);
    const std::uint64_t slot = map.slot_of(map.name(id), map.hashes_[id]);
    if (map.table_[slot].id != kMissing)
      throw std::invalid_argument("id map holds a duplicate id '" + std::string(map.name(id)) + "'");
    map.table_[slot] = map.make_slot(id, map.hashes_[id]);
  }
  return map;
}

IdMap IdMap::subset(const std::vector<std::int32_t>& ids) const {
  IdMap out;
  out.reserve(ids.size());
  for (std::int32_t id : ids) out.intern(name(id));
  return out;
}

}  // namespace segue
