// IdMap: the bijection between outside string ids ("spotify:track:...", "2")
// and the dense int32 ids every array inside segue is indexed by.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace segue {

// Strings live in one arena; lookups use an open-addressing table of ids, so
// interning a million ids does no allocation per id (import is the hot path).
class IdMap {
 public:
  static constexpr std::int32_t kMissing = -1;

  IdMap() = default;

  // Returns the id of `key`, adding it (as size()) if new.
  std::int32_t intern(std::string_view key) { return intern(key, hash(key)); }
  std::int32_t intern(std::string_view key, std::uint64_t hash);

  // Batch interning on large maps is bound by memory latency, not compute:
  // hash a batch of keys, prefetch() each slot, then prefetch_key() each
  // candidate's bytes, then intern(key, hash) — the misses overlap.
  static std::uint64_t hash(std::string_view key);
  void prefetch(std::uint64_t hash) const;
  void prefetch_key(std::uint64_t hash) const;
  // Returns the id of `key`, or kMissing.
  std::int32_t find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != kMissing; }

  std::string_view name(std::int32_t id) const {
    return std::string_view(arena_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  std::int32_t size() const { return static_cast<std::int32_t>(offsets_.size() - 1); }
  bool empty() const { return size() == 0; }

  void reserve(std::size_t n);
  void clear();

  // Raw form used by the binary store: concatenated bytes + n+1 offsets.
  const std::string& arena() const { return arena_; }
  const std::vector<std::uint64_t>& offsets() const { return offsets_; }
  // Rebuilds from the raw form; throws std::invalid_argument on duplicates or
  // bad offsets (a corrupt store must not crash us).
  static IdMap from_raw(std::string arena, std::vector<std::uint64_t> offsets);

  // A new map holding the names of `ids` in that order (used by filters that
  // drop users/items and renumber densely).
  IdMap subset(const std::vector<std::int32_t>& ids) const;

  friend bool operator==(const IdMap& a, const IdMap& b) {
    return a.arena_ == b.arena_ && a.offsets_ == b.offsets_;
  }

 private:
  // A slot carries what a probe needs without touching other arrays: a 16-bit
  // hash tag and the key's length and arena offset (random reads of the id
  // arrays cost ~200 ns each on large maps). id == kMissing marks it empty.
  struct Slot {
    std::int32_t id = kMissing;
    std::uint16_t tag = 0;
    std::uint16_t length = 0;  // 0xFFFF: at least that long, ask offsets_
    std::uint64_t offset = 0;
  };
  std::uint64_t slot_of(std::string_view key, std::uint64_t hash) const;
  Slot make_slot(std::int32_t id, std::uint64_t hash) const;
  void grow();

  std::string arena_;
  std::vector<std::uint64_t> offsets_{0};
  std::vector<std::uint64_t> hashes_;  // per id, so growing never rehashes strings
  std::vector<Slot> table_;            // open addressing, linear probing, load <= 1/2
};

}  // namespace segue
