#include "home/impression_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "data/csv_writer.h"
#include "data/error.h"
#include "serve/sqlite_connection.h"

namespace segue::home {

namespace {

constexpr const char* kCreate =
    "CREATE TABLE IF NOT EXISTS impressions ("
    " rowid INTEGER PRIMARY KEY,"
    " impression_id TEXT NOT NULL,"  // page_id:position (no index: 70 rows a page at 500 pages/s; joins are in memory)
    " page_id TEXT NOT NULL,"
    " timestamp INTEGER NOT NULL,"
    " user_id TEXT NOT NULL,"
    " experiment TEXT NOT NULL,"
    " arm TEXT NOT NULL,"
    " policy TEXT NOT NULL,"
    " shelf TEXT NOT NULL,"
    " shelf_position INTEGER NOT NULL,"
    " card_position INTEGER NOT NULL,"
    " position INTEGER NOT NULL,"
    " item_id TEXT NOT NULL,"
    " explanation TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " propensity REAL NOT NULL,"
    " mc_draws INTEGER NOT NULL,"
    " context TEXT NOT NULL,"
    " model_version TEXT NOT NULL,"
    " shelf_propensity REAL NOT NULL)";  // the row's share of propensity: card = propensity / shelf_propensity

constexpr const char* kInsert =
    "INSERT INTO impressions (impression_id, page_id, timestamp, user_id, experiment, arm, policy, shelf,"
    " shelf_position, card_position, position, item_id, explanation, reason, propensity, mc_draws, context,"
    " model_version, shelf_propensity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
    " ?17, ?18, ?19)";

std::string policy_text(const Page& page) {
  return page.shelf_policy == page.card_policy ? page.card_policy
                                               : "shelves=" + page.shelf_policy + "|cards=" + page.card_policy;
}

std::string csv_field(std::string_view text) {
  std::string out;
  append_csv_field(out, text);
  return out;
}

std::string iso_time(std::int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S+00:00", &tm);
  return text;
}

struct EventOutcome {
  bool played = false, skipped = false, liked = false, played30 = false;
  bool rewarded(RewardKind reward) const {
    return reward == RewardKind::kStream ? (played || liked) && !skipped : reward == RewardKind::kLike ? liked : played30;
  }
};
using Outcomes = std::unordered_map<std::string, EventOutcome>;

// Every event of the database that names an impression, by impression id.
Outcomes read_outcomes(sqlite::Connection& db, std::int64_t* events_read) {
  Outcomes outcomes;
  if (db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'events'", "reading the schema") == 0)
    return outcomes;
  sqlite::Statement events(db, "SELECT event, context FROM events WHERE context LIKE '%\"impression\"%'",
                           "reading outcome events");
  sqlite::ResetOnExit reset(events);
  while (events.step("reading outcome events")) {
    const std::string_view event = events.column_text(0);
    nlohmann::json context = nlohmann::json::parse(events.column_text(1), nullptr, false);
    if (!context.is_object() || !context.contains("impression") || !context["impression"].is_string()) continue;
    EventOutcome& o = outcomes[context["impression"].get<std::string>()];
    ++*events_read;
    if (event == "skip") o.skipped = true;
    if (event == "like") o.liked = true;
    if (event == "play" || event == "repeat" || event == "playlist_add" || event == "like") o.played = true;
    if (event == "play" && context.contains("ms_played") && context["ms_played"].is_number() &&
        context["ms_played"].get<double>() >= 30000)
      o.played30 = true;
  }
  return outcomes;
}

void check_impressions_table(sqlite::Connection& db, const std::string& path) {
  if (db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'impressions'",
                   "reading the schema") == 0)
    throw InputError(path, 0, "", "no impressions table: not a database `segue serve` logged home pages into");
}

}  // namespace

ImpressionStore::ImpressionStore(const std::string& path, std::size_t max_queued_pages)
    : db_(std::make_unique<sqlite::Connection>(path, sqlite::Connection::Mode::kCreate)),
      max_queued_(std::max<std::size_t>(1, max_queued_pages)) {
  sqlite3_busy_timeout(db_->get(), 5000);
  if (db_->query_text("PRAGMA journal_mode = WAL", "switching to WAL mode") != "wal")
    throw InputError(path, 0, "", "cannot switch the database to WAL mode");
  db_->exec("PRAGMA synchronous = NORMAL", "setting durability");
  db_->exec(kCreate, "creating the impressions table");
  writer_ = std::thread([this] { run(); });
}

ImpressionStore::~ImpressionStore() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void ImpressionStore::log(LoggedPage page) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() >= max_queued_) {
      ++stats_.pages_dropped;
      return;
    }
    queue_.push_back(std::move(page));
    ++queued_total_;
  }
  wake_.notify_one();
}

void ImpressionStore::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::int64_t target = queued_total_;
  written_.wait(lock, [&] { return done_total_ >= target; });
}

ImpressionStoreStats ImpressionStore::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void ImpressionStore::run() {
  std::deque<LoggedPage> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty() && stop_) return;
      // At most 256 pages per transaction, so a flush waits for few.
      while (!queue_.empty() && batch.size() < 256) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    const auto pages = static_cast<std::int64_t>(batch.size());
    write(batch);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_total_ += pages;
    }
    written_.notify_all();
  }
}

void ImpressionStore::write(std::deque<LoggedPage>& batch) {
  std::int64_t impressions = 0;
  try {
    db_->exec("BEGIN IMMEDIATE", "starting a transaction");
    sqlite::Statement insert(*db_, kInsert, "logging impressions");
    for (const LoggedPage& logged : batch) {
      const Page& page = *logged.page;
      const std::string policy = policy_text(page);
      for (const PageShelf& shelf : page.shelves)
        for (const Card& card : shelf.cards) {
          // Bound text is not copied (SQLITE_STATIC): it must outlive step().
          const std::string impression = page.id + ":" + std::to_string(card.position);
          insert.bind(1, impression);
          insert.bind(2, page.id);
          insert.bind(3, logged.timestamp);
          insert.bind(4, page.context.user);
          insert.bind(5, logged.experiment);
          insert.bind(6, logged.arm);
          insert.bind(7, policy);
          insert.bind(8, shelf.name);
          insert.bind(9, static_cast<std::int64_t>(shelf.shelf_position));
          insert.bind(10, static_cast<std::int64_t>(card.card_position));
          insert.bind(11, static_cast<std::int64_t>(card.position));
          insert.bind(12, card.item_id);
          insert.bind(13, shelf.explanation);
          insert.bind(14, card.reason);
          insert.bind(15, card.propensity);
          insert.bind(16, static_cast<std::int64_t>(card.mc_draws));
          insert.bind(17, card.context);
          insert.bind(18, logged.model_version);
          insert.bind(19, shelf.propensity);
          insert.step("logging impressions");
          insert.reset();
          ++impressions;
        }
    }
    db_->exec("COMMIT", "committing impressions");
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.pages_written += static_cast<std::int64_t>(batch.size());
    stats_.impressions_written += impressions;
  } catch (const std::exception& error) {
    db_->rollback_quietly();
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.write_failures;
    stats_.pages_dropped += static_cast<std::int64_t>(batch.size());
    if (stats_.first_error.empty()) stats_.first_error = error.what();
  }
  batch.clear();
}

RewardKind parse_reward_kind(std::string_view text) {
  if (text == "stream") return RewardKind::kStream;
  if (text == "like") return RewardKind::kLike;
  if (text == "play30") return RewardKind::kPlay30;
  throw UsageError("reward: expected stream, like or play30, got '" + std::string(text) + "'");
}

ExportSummary export_impressions(const std::string& db_path, const std::string& out_path, ExportFormat format,
                                 RewardKind reward) {
  sqlite::Connection db(db_path, sqlite::Connection::Mode::kExisting);
  sqlite3_busy_timeout(db.get(), 5000);
  check_impressions_table(db, db_path);
  ExportSummary summary;

  const Outcomes outcomes = read_outcomes(db, &summary.outcome_events);

  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(out_path, 0, "", "cannot write the export");
  std::map<std::string, std::int64_t> obd_item;  // item id -> OBD item index (sorted ids)
  if (format == ExportFormat::kObd) {
    sqlite::Statement items(db, "SELECT DISTINCT item_id FROM impressions ORDER BY item_id", "reading item ids");
    sqlite::ResetOnExit reset(items);
    while (items.step("reading item ids")) obd_item.emplace(std::string(items.column_text(0)), 0);
    std::int64_t next = 0;
    for (auto& [id, index] : obd_item) index = next++;
    std::ofstream map(out_path + ".items.csv", std::ios::binary | std::ios::trunc);
    if (!map) throw InputError(out_path + ".items.csv", 0, "", "cannot write the item index");
    map << "obd_item_id,item_id\n";
    for (const auto& [id, index] : obd_item) map << index << ',' << csv_field(id) << '\n';
    out << ",timestamp,item_id,position,click,propensity_score,user_feature_0,user_feature_1,user_feature_2,"
           "user_feature_3\n";
  } else {
    out << "impression_id,page_id,timestamp,user_id,experiment,arm,policy,shelf,shelf_position,card_position,"
           "position,item_id,explanation,reason,propensity,mc_draws,context,model_version,shelf_propensity,streamed,"
           "skipped,liked,reward\n";
  }
  sqlite::Statement rows(db,
                         "SELECT impression_id, page_id, timestamp, user_id, experiment, arm, policy, shelf,"
                         " shelf_position, card_position, position, item_id, explanation, reason, propensity,"
                         " mc_draws, context, model_version, shelf_propensity FROM impressions ORDER BY rowid",
                         "reading impressions");
  sqlite::ResetOnExit reset(rows);
  std::int64_t matched = 0;
  char number[32];
  while (rows.step("reading impressions")) {
    const std::string id(rows.column_text(0));
    const auto found = outcomes.find(id);
    const EventOutcome o = found == outcomes.end() ? EventOutcome{} : found->second;
    if (found != outcomes.end()) ++matched;
    const bool streamed = o.rewarded(RewardKind::kStream);
    const bool rewarded = o.rewarded(reward);
    summary.rewarded += rewarded ? 1 : 0;
    std::snprintf(number, sizeof number, "%.17g", rows.column_double(14));
    if (format == ExportFormat::kObd) {
      const std::string context(rows.column_text(16));
      const std::size_t comma = context.find(',');
      out << summary.impressions << ',' << iso_time(rows.column_int(2)) << ','
          << obd_item[std::string(rows.column_text(11))] << ',' << rows.column_int(10) + 1 << ',' << (rewarded ? 1 : 0)
          << ',' << number << ',' << csv_field(rows.column_text(3)) << ',' << csv_field(rows.column_text(7)) << ','
          << csv_field(rows.column_text(12)) << ',' << csv_field(context.substr(0, comma)) << '\n';
    } else {
      for (int c = 0; c < 19; ++c) {
        if (c > 0) out << ',';
        if (c == 14) {
          out << number;
        } else if (c == 18) {
          std::snprintf(number, sizeof number, "%.17g", rows.column_double(18));
          out << number;
        } else {
          out << csv_field(rows.column_text(c));
        }
      }
      out << ',' << (streamed ? 1 : 0) << ',' << (o.skipped ? 1 : 0) << ',' << (o.liked ? 1 : 0) << ','
          << (rewarded ? 1 : 0) << '\n';
    }
    ++summary.impressions;
  }
  summary.orphan_events = static_cast<std::int64_t>(outcomes.size()) - matched;
  out.flush();
  if (!out) throw InputError(out_path, 0, "", "writing the export failed (disk full?)");
  return summary;
}

std::vector<LoggedCard> read_logged_cards(const std::string& db_path, RewardKind reward) {
  sqlite::Connection db(db_path, sqlite::Connection::Mode::kExisting);
  sqlite3_busy_timeout(db.get(), 5000);
  check_impressions_table(db, db_path);
  std::int64_t events = 0;
  const Outcomes outcomes = read_outcomes(db, &events);
  std::vector<LoggedCard> out;
  sqlite::Statement rows(db,
                         "SELECT impression_id, user_id, arm, shelf, explanation, item_id, context, shelf_position,"
                         " card_position, propensity, shelf_propensity FROM impressions ORDER BY rowid",
                         "reading impressions");
  sqlite::ResetOnExit reset(rows);
  while (rows.step("reading impressions")) {
    LoggedCard card;
    const std::string id(rows.column_text(0));
    card.page_id = id.substr(0, id.rfind(':'));
    card.user_id = rows.column_text(1);
    card.arm = rows.column_text(2);
    card.shelf = rows.column_text(3);
    card.explanation = rows.column_text(4);
    card.item_id = rows.column_text(5);
    card.context = rows.column_text(6);
    card.shelf_position = static_cast<std::int32_t>(rows.column_int(7));
    card.card_position = static_cast<std::int32_t>(rows.column_int(8));
    card.propensity = rows.column_double(9);
    card.shelf_propensity = rows.column_double(10);
    const auto found = outcomes.find(id);
    card.rewarded = found != outcomes.end() && found->second.rewarded(reward);
    out.push_back(std::move(card));
  }
  return out;
}

}  // namespace segue::home
