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
  std::int32_t intern(std::string_view key);
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
  std::uint64_t slot_of(std::string_view key, std::uint64_t hash) const;
  void grow();

  std::string arena_;
  std::vector<std::uint64_t> offsets_{0};
  std::vector<std::uint64_t> hashes_;  // per id, so growing never rehashes strings
  std::vector<std::uint64_t> table_;   // open addressing: hash tag << 32 | id; all ones = empty
};

}  // namespace segue
