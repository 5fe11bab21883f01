#include "data/signal.h"

#include <cmath>
#include <sstream>

#include "data/csv_reader.h"
#include "data/error.h"

namespace segue {

SignalTable SignalTable::defaults() {
  SignalTable table;
  table.entries_ = {{"play", 1.0f}, {"repeat", 2.0f}, {"playlist_add", 2.0f}, {"like", 4.0f}, {"skip", -1.0f}};
  return table;
}

SignalTable SignalTable::parse(std::string_view spec) {
  SignalTable table = defaults();
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view entry = spec.substr(start, end - start);
    if (!entry.empty()) {
      const std::size_t eq = entry.find('=');
      double value = 0;
      if (eq == std::string_view::npos || eq == 0 || !parse_double(entry.substr(eq + 1), value))
        throw UsageError("--signal: expected name=number, got '" + std::string(entry) + "'");
      table.set(entry.substr(0, eq), static_cast<float>(value));
    }
    start = end + 1;
  }
  return table;
}

int SignalTable::find(std::string_view name) const {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].first == name) return static_cast<int>(i);
  return -1;
}

void SignalTable::set(std::string_view name, float signal) {
  const int index = find(name);
  if (index >= 0) {
    entries_[index].second = signal;
  } else {
    entries_.emplace_back(std::string(name), signal);
  }
}

std::string SignalTable::to_string() const {
  std::ostringstream out;
  for (std::size_t i = 0; i < entries_.size(); ++i) out << (i ? "," : "") << entries_[i].first << "=" << entries_[i].second;
  return out.str();
}

}  // namespace segue
