#include "pipeline/core/csv.h"

#include <fstream>
#include <sstream>

namespace eodclear {

Result<std::vector<std::string>> SplitCsvLine(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
          } else {
            closed = true;
            ++i;
            break;
          }
        } else {
          field += line[i++];
        }
      }
      if (!closed) return Err(Status::DataError("unterminated quoted field"));
      if (i < line.size() && line[i] != ',') {
        return Err(Status::DataError("unexpected character after a quoted field"));
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return Err(Status::DataError("quote inside an unquoted field"));
        field += line[i++];
      }
    }
    fields.push_back(field);
    if (i >= line.size()) break;
    ++i;  // the comma
  }
  return fields;
}

Result<CsvFile> CsvFile::Read(const std::string& path, Mode mode) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Err(Status::NotFound(path + ": cannot open file"));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Err(Status::DataError(path + ": read error"));
  return Parse(buf.str(), path, mode);
}

Result<CsvFile> CsvFile::Parse(std::string_view text, std::string path, Mode mode) {
  CsvFile file;
  file.path_ = std::move(path);
  size_t line_no = 0;
  size_t pos = 0;
  bool have_header = false;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    auto fields = SplitCsvLine(line);
    std::string problem;
    if (!fields) {
      problem = fields.error().message();
    } else if (have_header && fields->size() != file.header_.size()) {
      problem = std::to_string(fields->size()) + " fields, header has " +
                std::to_string(file.header_.size());
    }
    if (!problem.empty()) {
      std::string where = file.path_ + ":" + std::to_string(line_no) + ": " + problem;
      if (mode == Mode::kStrict || !have_header) return Err(Status::DataError(where));
      file.bad_rows_.push_back(BadRow{line_no, std::move(where)});
      continue;
    }
    if (!have_header) {
      file.header_ = std::move(*fields);
      file.header_line_ = line_no;
      have_header = true;
      continue;
    }
    file.rows_.push_back(Row{line_no, std::move(*fields)});
  }
  if (!have_header) return Err(Status::DataError(file.path_ + ": no header row"));
  return file;
}

Result<size_t> CsvFile::Column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  return Err(Status::DataError(path_ + ":" + std::to_string(header_line_) + ": no column '" +
                               std::string(name) + "'"));
}

Status CsvFile::ExpectHeader(const std::vector<std::string>& expected) const {
  if (header_ == expected) return Status::Ok();
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& f : v) s += (s.empty() ? "" : ",") + f;
    return s;
  };
  return Status::DataError(path_ + ":" + std::to_string(header_line_) + ": header is '" +
                           join(header_) + "', expected '" + join(expected) + "'");
}

std::string CsvFile::Where(const Row& row) const { return path_ + ":" + std::to_string(row.line); }

}  // namespace eodclear
