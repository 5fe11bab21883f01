// Event type -> implicit signal: how much one event of a type says about
// preference. Negative values mark negative feedback (skips). Documented in docs/DATA.md.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace segue {

class SignalTable {
 public:
  // play=1, repeat=2, playlist_add=2, like=4, skip=-1.
  static SignalTable defaults();
  // Overrides or extends the defaults: "play=1,like=5,save=3,skip=-2".
  // Throws UsageError naming the bad entry.
  static SignalTable parse(std::string_view spec);

  // Index into entries(), or -1 when the event name is not in the table.
  int find(std::string_view name) const;
  void set(std::string_view name, float signal);
  const std::vector<std::pair<std::string, float>>& entries() const { return entries_; }
  std::string to_string() const;  // "play=1,repeat=2,..."

 private:
  std::vector<std::pair<std::string, float>> entries_;
};

}  // namespace segue
