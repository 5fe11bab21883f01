// The impression log as the A/B analysis sees it (docs/HOME.md, --format
// segue): one row per card shown, reduced to what each listener did, per arm.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace segue::ab {

// One listener's activity in the period analysed. The listener is the unit of
// randomisation, so every metric is computed from these totals.
struct ListenerTotals {
  std::int32_t arm = -1;  // index into the arms; -1 in a pre-period log
  std::int64_t pages = 0;
  std::int64_t impressions = 0;
  std::int64_t streams = 0;
  std::int64_t skips = 0;
  std::int64_t likes = 0;
};

// Listeners of one experiment, each with an arm.
struct AbData {
  std::vector<std::string> arms;
  std::vector<std::string> listener_ids;   // aligned with listeners
  std::vector<ListenerTotals> listeners;
};

struct Impression {
  std::int32_t listener = 0;  // index into ImpressionLog::listener_ids
  std::int32_t arm = -1;
  std::int64_t timestamp = 0;
  std::uint64_t page = 0;     // hash of page_id
  bool streamed = false, skipped = false, liked = false;
};

struct ImpressionLog {
  std::string path;
  std::string experiment;                 // the experiment read ("" for a pre-period log)
  std::vector<std::string> arms;
  std::vector<std::string> listener_ids;
  std::vector<Impression> rows;
  std::int64_t other_rows = 0;            // rows of other experiments or of no experiment, left out
};

struct LogOptions {
  // Rows of this experiment only; "" reads the one experiment the log holds
  // (UsageError when it holds several).
  std::string experiment;
  // The configured arms (experiment file or --shares), in order; a row with
  // another arm is an InputError. Empty: arms in order of first appearance.
  std::vector<std::string> arms;
  // A pre-period log: every row counts, experiment and arm are ignored.
  bool pre_period = false;
};

// Reads LOG.csv by header names (impression_id ... reward; the analysis needs
// user_id, page_id, timestamp, streamed, skipped, liked, and experiment and
// arm outside a pre-period log). InputError naming file, line and field for a
// missing column, a non-0/1 outcome, a bad timestamp, a listener seen in two
// arms, an arm the experiment does not have, or a log with no rows to analyse.
ImpressionLog read_impression_log(const std::string& path, const LogOptions& options = {});

// Each listener's totals over the rows with timestamp <= until (a look at the
// experiment as it stood then); listeners with no row by then are left out.
AbData listener_totals(const ImpressionLog& log,
                       std::int64_t until = std::numeric_limits<std::int64_t>::max());

// The pre-period totals of data's listeners, aligned with data.listeners; a
// listener absent from the pre-period log had no activity there (all zeros).
std::vector<ListenerTotals> align_pre_period(const AbData& data, const ImpressionLog& pre);

}  // namespace segue::ab
