// ImpressionStore: every card of every page served, with its propensity, in
// the service's SQLite database (table `impressions`, beside `events`;
// docs/HOME.md). Pages are queued and written by one background thread in
// group transactions (synchronous=NORMAL: an analytics log, not the listener's
// own feedback), so logging costs a page request a queue push. The queue is
// bounded: past it pages are counted as dropped, never silently lost.
// Outcomes are the events that name an impression (context.impression),
// joined at export.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "home/page.h"

namespace segue::sqlite {
class Connection;
}

namespace segue::home {

struct LoggedPage {
  std::shared_ptr<const Page> page;  // shared with the server's pending page: logging copies no cards
  std::int64_t timestamp = 0;  // unix seconds
  std::string experiment, arm, model_version;
};

struct ImpressionStoreStats {
  std::int64_t pages_written = 0;
  std::int64_t impressions_written = 0;
  std::int64_t pages_dropped = 0;  // queue full
  std::int64_t write_failures = 0; // transactions that failed (pages lost; the first error is kept)
  std::string first_error;
};

class ImpressionStore {
 public:
  // Opens or creates the table in `path` (InputError naming the file).
  explicit ImpressionStore(const std::string& path, std::size_t max_queued_pages = 10000);
  ~ImpressionStore();  // writes what is queued, then closes
  ImpressionStore(const ImpressionStore&) = delete;
  ImpressionStore& operator=(const ImpressionStore&) = delete;

  void log(LoggedPage page);  // thread-safe; never blocks on the disk
  void flush();               // returns once everything queued before the call is written
  ImpressionStoreStats stats() const;

 private:
  void run();
  void write(std::deque<LoggedPage>& batch);

  std::unique_ptr<sqlite::Connection> db_;
  std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, written_;
  std::deque<LoggedPage> queue_;
  std::int64_t queued_total_ = 0, done_total_ = 0;
  bool stop_ = false;
  ImpressionStoreStats stats_;
  std::thread writer_;
};

enum class ExportFormat { kSegue, kObd };
// What counts as success (the `reward` / OBD `click` column): stream = a
// play, repeat, playlist_add or like of the impression and no skip of it;
// like = a like; play30 = a play whose context has ms_played >= 30000.
enum class RewardKind { kStream, kLike, kPlay30 };
RewardKind parse_reward_kind(std::string_view text);  // UsageError naming "reward"

struct ExportSummary {
  std::int64_t impressions = 0;
  std::int64_t rewarded = 0;
  std::int64_t outcome_events = 0;  // events that named a logged impression
  std::int64_t orphan_events = 0;   // events naming an impression not in the log
};

// Writes the impressions of `db_path` as CSV (docs/HOME.md). kObd also writes
// OUT.items.csv (the OBD item index of each item id). InputError naming the
// file when the database lacks the table or cannot be read.
ExportSummary export_impressions(const std::string& db_path, const std::string& out_path, ExportFormat format,
                                 RewardKind reward);

// One logged card and its outcome, for re-fitting the policies from the log.
struct LoggedCard {
  std::string page_id, user_id, arm, shelf, explanation, item_id, context;
  std::int32_t shelf_position = 0, card_position = 0;
  double propensity = 1.0;        // shelf × card
  double shelf_propensity = 1.0;  // the shelf's share
  bool rewarded = false;
};
// Every logged card of `db_path` in logging order, with its outcome (`reward`).
// InputError as export_impressions.
std::vector<LoggedCard> read_logged_cards(const std::string& db_path, RewardKind reward);

}  // namespace segue::home
