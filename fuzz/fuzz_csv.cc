// The CSV/TSV reader under every importer: quoting, CRLF, BOMs, UTF-8 checks,
// line numbers, and the typed accessors (id, number, integer, weight) on every
// cell. The input's length picks the reader's options.
#include "data/csv_reader.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  segue::fuzz::clear_scratch();
  const std::string path = segue::fuzz::write_file(segue::fuzz::looks_gzipped(input) ? "t.csv.gz" : "t.csv", input);
  segue::CsvOptions options;
  options.header = size % 2 == 0;
  options.quotes = size % 3 != 0;
  options.delimiter = size % 5 == 0 ? ';' : 0;
  try {
    segue::CsvReader reader(path, options);
    std::size_t last_line = 0;
    while (reader.next()) {
      if (reader.line() <= last_line) {
        std::fprintf(stderr, "segue fuzz: record line %zu after line %zu\n", reader.line(), last_line);
        std::abort();
      }
      last_line = reader.line();
      for (std::size_t c = 0; c < reader.size(); ++c) {
        const int column = static_cast<int>(c);
        (void)reader.field(c);
        try { (void)reader.id(column); } catch (const segue::InputError& e) { segue::fuzz::expect_named(e); }
        try { (void)reader.number(column); } catch (const segue::InputError& e) { segue::fuzz::expect_named(e); }
        try { (void)reader.integer(column); } catch (const segue::InputError& e) { segue::fuzz::expect_named(e); }
        try { (void)reader.weight(column); } catch (const segue::InputError& e) { segue::fuzz::expect_named(e); }
      }
      try { reader.expect_width(); } catch (const segue::InputError& e) { segue::fuzz::expect_named(e); }
    }
  } catch (const segue::InputError& error) {
    segue::fuzz::expect_named(error);
  }
  return 0;
}
