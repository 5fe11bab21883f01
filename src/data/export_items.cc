#include "data/export_items.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "data/importer.h"
#include "data/csv_writer.h"

namespace segue {
namespace {

void put_number(std::string& out, float value) {
  if (std::isnan(value)) return;
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(value));
  out.append(buffer);
}

}  // namespace

ExportItemsReport export_items_csv(const Dataset& dataset, const std::string& path, const std::string& audio_csv,
                                   IssueLog& issues) {
  ExportItemsReport report;
  report.items = dataset.n_items();
  const Attributes& attrs = dataset.item_attributes;
  Dataset audio;
  std::vector<std::int32_t> audio_row;  // per store item: row in the audio catalogue or -1
  std::vector<const StringColumn*> audio_strings;
  std::vector<const NumericColumn*> audio_numbers;
  if (!audio_csv.empty()) {
    audio = import_tracks(audio_csv, ImportOptions{}, issues);
    report.audio_tracks = audio.n_items();
    audio_row.assign(static_cast<std::size_t>(dataset.n_items()), -1);
    for (std::int32_t i = 0; i < dataset.n_items(); ++i) {
      audio_row[static_cast<std::size_t>(i)] = audio.items.find(dataset.items.name(i));
      if (audio_row[static_cast<std::size_t>(i)] >= 0) ++report.audio_matched;
    }
    for (const StringColumn& c : audio.item_attributes.strings)
      if (attrs.find_string(c.name) == nullptr && c.name != "key_name") audio_strings.push_back(&c);
    for (const NumericColumn& c : audio.item_attributes.numbers)
      if (attrs.find_number(c.name) == nullptr) audio_numbers.push_back(&c);
  }
  const bool has_tags = !attrs.tags.tokens.empty();

  report.columns.push_back("item_id");
  for (const StringColumn& c : attrs.strings) report.columns.push_back(c.name);
  for (const NumericColumn& c : attrs.numbers) report.columns.push_back(c.name);
  for (const StringColumn* c : audio_strings) report.columns.push_back(c->name);
  for (const NumericColumn* c : audio_numbers) report.columns.push_back(c->name);
  if (has_tags) report.columns.push_back("tags");

  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary);
    if (!file) throw std::runtime_error("export: cannot write '" + tmp + "'");
    std::string line;
    for (std::size_t c = 0; c < report.columns.size(); ++c) {
      if (c > 0) line.push_back(',');
      append_csv_field(line, report.columns[c]);
    }
    line.push_back('\n');
    file << line;
    for (std::int32_t i = 0; i < dataset.n_items(); ++i) {
      const auto at = static_cast<std::size_t>(i);
      line.clear();
      bool any = false;
      append_csv_field(line, dataset.items.name(i));
      for (const StringColumn& c : attrs.strings) {
        line.push_back(',');
        if (at < c.values.size() && !c.values[at].empty()) {
          append_csv_field(line, c.values[at]);
          any = true;
        }
      }
      for (const NumericColumn& c : attrs.numbers) {
        line.push_back(',');
        if (at < c.values.size() && !std::isnan(c.values[at])) {
          put_number(line, c.values[at]);
          any = true;
        }
      }
      const std::int32_t a = audio_row.empty() ? -1 : audio_row[at];
      for (const StringColumn* c : audio_strings) {
        line.push_back(',');
        if (a >= 0 && !c->values[static_cast<std::size_t>(a)].empty()) {
          append_csv_field(line, c->values[static_cast<std::size_t>(a)]);
          any = true;
        }
      }
      for (const NumericColumn* c : audio_numbers) {
        line.push_back(',');
        if (a >= 0 && !std::isnan(c->values[static_cast<std::size_t>(a)])) {
          put_number(line, c->values[static_cast<std::size_t>(a)]);
          any = true;
        }
      }
      if (has_tags) {
        line.push_back(',');
        std::string tags;
        for (std::int64_t k = attrs.tags.indptr[at]; static_cast<std::int64_t>(at) < attrs.tags.rows() && k < attrs.tags.indptr[at + 1]; ++k) {
          std::string tag(attrs.tags.vocab.name(attrs.tags.tokens[static_cast<std::size_t>(k)]));
          for (char& ch : tag)
            if (ch == '|') ch = '/';
          if (!tags.empty()) tags.push_back('|');
          tags += tag;
          const float count = attrs.tags.counts.empty() ? 1.0f : attrs.tags.counts[static_cast<std::size_t>(k)];
          if (count != 1.0f && std::isfinite(count) && count > 0) {
            tags.push_back(':');
            put_number(tags, count);
          }
        }
        if (!tags.empty()) any = true;
        append_csv_field(line, tags);
      }
      if (!any) {
        ++report.empty_items;
        continue;
      }
      line.push_back('\n');
      file << line;
      ++report.rows;
    }
    if (!file.flush()) throw std::runtime_error("export: cannot write '" + tmp + "'");
  }
  std::filesystem::rename(tmp, path);
  return report;
}

}  // namespace segue
