#include "pipeline/cli/limit_study_command.h"

#include <algorithm>
#include <iostream>
#include <string_view>
#include <vector>

#include "pipeline/cli/json_lines.h"
#include "stages/position_limits/limit_study.h"

namespace eodclear {
namespace {

ExitCode Fail(const Status& s) {
  std::cerr << "eodclear limits study: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

// The csv and json column names. Scripts read them: do not rename.
constexpr std::string_view kColumns[] = {"month",
                                         "deliverable_supply_cnh",
                                         "spot_rate_cnh_per_usd",
                                         "contract_size_cnh",
                                         "supply_contracts",
                                         "one_percent_contracts",
                                         "spot_month_limit",
                                         "two_percent_contracts",
                                         "all_months_limit",
                                         "mnh_spot_month_limit",
                                         "mnh_all_months_limit"};

// The text table's headings, in kColumns order.
constexpr std::string_view kHeadings[] = {"month",
                                          "deliverable supply (CNH)",
                                          "spot rate",
                                          "contract (CNH)",
                                          "supply (contracts)",
                                          "1 %",
                                          "spot month",
                                          "2 %",
                                          "all months",
                                          "MNH spot month",
                                          "MNH all months"};

// One month's values as text, in kColumns order (plain numbers).
std::vector<std::string> Cells(const MonthlyLimits& m) {
  return {m.supply.MonthString(),
          m.supply.deliverable_supply_cnh.ToString(),
          m.supply.spot_rate_cnh_per_usd.ToString(),
          m.contract_size_cnh.ToString(),
          m.supply_contracts.ToString(),
          m.one_percent_contracts.ToString(),
          std::to_string(m.spot_month_limit),
          m.two_percent_contracts.ToString(),
          std::to_string(m.all_months_limit),
          std::to_string(m.mnh_spot_month_limit),
          std::to_string(m.mnh_all_months_limit)};
}

// "1234567.5" -> "1,234,567.5": thousands separators in the whole part, for the text table.
std::string Grouped(std::string_view number) {
  size_t start = !number.empty() && number[0] == '-' ? 1 : 0;
  size_t point = std::min(number.find('.'), number.size());
  std::string out(number.substr(0, start));
  for (size_t i = start; i < point; ++i) {
    if (i > start && (point - i) % 3 == 0) out += ',';
    out += number[i];
  }
  out += number.substr(point);
  return out;
}

// With two fraction digits always ("7500" -> "7500.00"), so the text table's columns line up.
std::string TwoPlaces(const Decimal& d) {
  std::string s = d.ToString();
  size_t point = s.find('.');
  if (point == std::string::npos) return s + ".00";
  return s + std::string(2 - std::min<size_t>(2, s.size() - point - 1), '0');
}

void WriteText(const std::string& path, const LimitStudy& study, std::ostream& out) {
  std::vector<std::vector<std::string>> rows;
  rows.emplace_back(std::begin(kHeadings), std::end(kHeadings));
  for (const MonthlyLimits& m : study.months) {
    std::vector<std::string> cells = Cells(m);
    cells[4] = TwoPlaces(m.supply_contracts);
    cells[5] = TwoPlaces(m.one_percent_contracts);
    cells[7] = TwoPlaces(m.two_percent_contracts);
    for (size_t i = 1; i < cells.size(); ++i) {
      if (i != 2) cells[i] = Grouped(cells[i]);  // the rate is not grouped
    }
    rows.push_back(std::move(cells));
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  out << "eodclear limits study: " << path << "\n"
      << "CME Submission 13-543, Exhibit 2: spot month 1 % and all months 2 % of deliverable "
         "supply in USD 100,000 contracts, each to the nearest 5,000; MNH 10 x CNH\n\n";
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      size_t pad = width[i] - row[i].size();
      if (i == 0) {
        out << row[i] << std::string(pad, ' ');
      } else {
        out << "  " << std::string(pad, ' ') << row[i];
      }
    }
    out << "\n";
  }
  const MonthlyLimits& r = study.Recommendation();
  const SupplySummary& s = study.summary;
  out << "\nRecommendation (latest month, " << r.supply.MonthString() << "): CNH spot month "
      << Grouped(std::to_string(r.spot_month_limit)) << ", all months "
      << Grouped(std::to_string(r.all_months_limit)) << "; MNH spot month "
      << Grouped(std::to_string(r.mnh_spot_month_limit)) << ", all months "
      << Grouped(std::to_string(r.mnh_all_months_limit)) << "\n"
      << "Series " << s.first_month << ".." << s.last_month << " (" << s.months
      << " months): deliverable supply min " << Grouped(s.min_supply_cnh.ToString()) << " ("
      << s.min_month << "), max " << Grouped(s.max_supply_cnh.ToString()) << " (" << s.max_month
      << "), average " << Grouped(s.average_supply_cnh.ToString()) << "; growth "
      << s.growth_percent.ToString() << " %\n";
}

void WriteCsv(const LimitStudy& study, std::ostream& out) {
  for (size_t i = 0; i < std::size(kColumns); ++i) out << (i > 0 ? "," : "") << kColumns[i];
  out << "\n";
  for (const MonthlyLimits& m : study.months) {
    std::vector<std::string> cells = Cells(m);
    for (size_t i = 0; i < cells.size(); ++i) out << (i > 0 ? "," : "") << cells[i];
    out << "\n";
  }
}

// Whether kColumns[i] is a contract count (a JSON number) rather than a decimal or text.
bool IsCount(size_t i) { return i == 6 || i >= 8; }

void WriteJson(const LimitStudy& study, std::ostream& out) {
  for (const MonthlyLimits& m : study.months) {
    std::vector<std::string> cells = Cells(m);
    out << "{\"record\":\"month\"";
    for (size_t i = 0; i < cells.size(); ++i) {
      out << "," << JsonQuote(kColumns[i]) << ":" << (IsCount(i) ? cells[i] : JsonQuote(cells[i]));
    }
    out << "}\n";
  }
  const MonthlyLimits& r = study.Recommendation();
  out << "{\"record\":\"recommendation\",\"month\":" << JsonQuote(r.supply.MonthString())
      << ",\"basis\":\"latest month\",\"spot_month_limit\":" << r.spot_month_limit
      << ",\"all_months_limit\":" << r.all_months_limit
      << ",\"mnh_spot_month_limit\":" << r.mnh_spot_month_limit
      << ",\"mnh_all_months_limit\":" << r.mnh_all_months_limit << "}\n";
  const SupplySummary& s = study.summary;
  out << "{\"record\":\"series\",\"first_month\":" << JsonQuote(s.first_month)
      << ",\"last_month\":" << JsonQuote(s.last_month) << ",\"months\":" << s.months
      << ",\"min_supply_cnh\":" << JsonQuote(s.min_supply_cnh.ToString())
      << ",\"min_month\":" << JsonQuote(s.min_month)
      << ",\"max_supply_cnh\":" << JsonQuote(s.max_supply_cnh.ToString())
      << ",\"max_month\":" << JsonQuote(s.max_month)
      << ",\"average_supply_cnh\":" << JsonQuote(s.average_supply_cnh.ToString())
      << ",\"growth_percent\":" << JsonQuote(s.growth_percent.ToString()) << "}\n";
}

}  // namespace

ExitCode LimitStudyCommand(const std::string& supply_path, const std::string& format,
                           std::ostream& out) {
  if (format != "text" && format != "csv" && format != "json") {
    return Fail(Status::InvalidArgument("--format '" + format + "': give text, csv or json"));
  }
  auto series = ReadSupplySeries(supply_path);
  if (!series) return Fail(series.error());
  auto study = StudyLimits(*series);
  if (!study) return Fail(study.error().WithContext(supply_path));
  if (format == "text") {
    WriteText(supply_path, *study, out);
  } else if (format == "csv") {
    WriteCsv(*study, out);
  } else {
    WriteJson(*study, out);
  }
  out.flush();
  if (!out) return Fail(Status::Internal("cannot write the output"));
  return ExitCode::kSuccess;
}

}  // namespace eodclear
