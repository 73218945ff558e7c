#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/status.h"

namespace eodclear {

// A CSV file with a header row (RFC 4180: comma-separated, fields may be double-quoted with ""
// for a quote). Blank lines and lines starting with '#' are skipped. Every row remembers its line
// number so errors read "file:line: what".
class CsvFile {
 public:
  struct Row {
    size_t line = 0;
    std::vector<std::string> fields;
  };
  // A row that could not be split into the header's fields.
  struct BadRow {
    size_t line = 0;
    std::string problem;  // "file:line: what"
  };
  enum class Mode {
    // Any malformed row fails the whole read (reference data).
    kStrict,
    // Malformed rows are collected in bad_rows() and the others kept (input files, where every
    // problem is reported and --skip-bad may skip them).
    kCollectBadRows,
  };

  // Reads and splits the whole file. Fails on an unreadable file or a missing header and, in
  // kStrict mode, on an unterminated quote or a row whose field count differs from the header's
  // (naming file:line).
  static Result<CsvFile> Read(const std::string& path, Mode mode = Mode::kStrict);
  // The same, from text already in memory; `path` is used in messages.
  static Result<CsvFile> Parse(std::string_view text, std::string path, Mode mode = Mode::kStrict);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  // Line number of the header row (after any leading comments or blank lines).
  size_t header_line() const { return header_line_; }
  const std::vector<Row>& rows() const { return rows_; }
  // Rows that could not be split (kCollectBadRows only), in line order.
  const std::vector<BadRow>& bad_rows() const { return bad_rows_; }

  // Index of column `name`, or an error naming the file and the missing column.
  Result<size_t> Column(std::string_view name) const;
  // Fails unless the header is exactly `expected`, in order; the message shows both.
  Status ExpectHeader(const std::vector<std::string>& expected) const;

  // "path:line: message".
  std::string Where(const Row& row) const;

 private:
  std::string path_;
  std::vector<std::string> header_;
  size_t header_line_ = 0;
  std::vector<Row> rows_;
  std::vector<BadRow> bad_rows_;
};

// Splits one CSV record into fields. Fails on a stray or unterminated quote.
Result<std::vector<std::string>> SplitCsvLine(std::string_view line);

}  // namespace eodclear
