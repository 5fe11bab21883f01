// An A/B experiment: named arms with traffic shares, and the deterministic
// assignment of a listener to an arm by hashing (listener id, salt), so every
// server and every analysis agrees on a listener's arm without storing it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace segue::ab {

struct Arm {
  std::string name;
  double share = 0.0;  // in (0, 1]; the arms' shares sum to 1
  std::string spec;    // what the arm serves: a model or policy spec ("ials:factors=64"); may be empty
};

struct Experiment {
  std::string name;
  std::string salt;  // a new salt re-randomises every listener, independently of other experiments
  std::vector<Arm> arms;

  // Index of the arm named `name`, or -1.
  int find(std::string_view arm) const;
};

// Reads an experiment file:
//   {"name": "...", "salt": "...", "arms": [{"name": "control", "share": 0.5, "spec": "ials:factors=64"}, ...]}
// InputError naming the file and the field (e.g. "arms[1].share") when it is
// not valid JSON, a field is missing or has the wrong type, a share is outside
// (0, 1], the shares do not sum to 1 within 1e-9, two arms share a name, or the
// salt is empty.
Experiment load_experiment(const std::string& path);
// The same from JSON text; `source` names it in errors.
Experiment parse_experiment(std::string_view json_text, const std::string& source);
// The same checks on an experiment built in code; `source` names it in errors.
void validate_experiment(const Experiment& experiment, const std::string& source);

// A listener's point in [0, 1) for a salt: the 64-bit FNV-1a hash of
// salt, a 0 byte and the listener id, finalised by splitmix64 (FNV alone mixes
// its last bytes poorly), top 53 bits scaled to [0, 1).
double assignment_point(std::string_view listener, std::string_view salt);

// The listener's arm: the first arm whose cumulative share exceeds the point
// (the last arm takes any rounding slack at the top).
const Arm& assign(const Experiment& experiment, std::string_view listener);

// "control=0.5,treatment=0.5" (the --shares option) as arms without specs;
// UsageError naming the option on a malformed pair or bad shares.
std::vector<Arm> parse_shares(std::string_view text);

}  // namespace segue::ab
