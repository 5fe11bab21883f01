#include "data/timestamp.h"

#include <charconv>
#include <cstdio>

#include "data/csv_reader.h"

namespace segue {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view text, std::size_t at, std::size_t n, int& out) {
  if (at + n > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

bool parse_timestamp(std::string_view text, std::int64_t& out) {
  if (parse_int64(text, out)) return true;
  int year, month, day;
  if (text.size() < 10 || !digits(text, 0, 4, year) || text[4] != '-' || !digits(text, 5, 2, month) ||
      text[7] != '-' || !digits(text, 8, 2, day))
    return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && leap(year))) return false;
  std::int64_t seconds = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400;
  std::size_t at = 10;
  if (at < text.size()) {
    if (text[at] != 'T' && text[at] != ' ') return false;
    int hour, minute, second = 0;
    if (!digits(text, at + 1, 2, hour) || text.size() < at + 6 || text[at + 3] != ':' || !digits(text, at + 4, 2, minute))
      return false;
    at += 6;
    if (at < text.size() && text[at] == ':') {
      if (!digits(text, at + 1, 2, second)) return false;
      at += 3;
    }
    if (hour > 23 || minute > 59 || second > 60) return false;
    seconds += hour * 3600 + minute * 60 + second;
    if (at < text.size() && text[at] == '.') {  // fractional seconds are dropped
      ++at;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    }
    if (at < text.size()) {
      if (text[at] == 'Z' && at + 1 == text.size()) {
        at = text.size();
      } else if (text[at] == '+' || text[at] == '-') {
        int tz_hour, tz_minute = 0;
        if (!digits(text, at + 1, 2, tz_hour)) return false;
        std::size_t tz_at = at + 3;
        if (tz_at < text.size() && text[tz_at] == ':') ++tz_at;
        if (tz_at < text.size() && !digits(text, tz_at, 2, tz_minute)) return false;
        if (tz_at < text.size()) tz_at += 2;
        if (tz_at != text.size()) return false;
        const int offset = tz_hour * 3600 + tz_minute * 60;
        seconds -= text[at] == '+' ? offset : -offset;
        at = text.size();
      } else {
        return false;
      }
    }
  }
  out = seconds;
  return at == text.size();
}

std::string format_timestamp(std::int64_t t) {
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t rest = t - days * 86400;
  // civil_from_days (H. Hinnant)
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rest / 3600), static_cast<int>(rest % 3600 / 60), static_cast<int>(rest % 60));
  return buffer;
}

}  // namespace segue
