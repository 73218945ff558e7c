#include "pipeline/cli/csv_inputs.h"

#include <charconv>

#include "clearing/v1/limits.pb.h"
#include "clearing/v1/quote.pb.h"
#include "clearing/v1/reference_price.pb.h"
#include "clearing/v1/settlement.pb.h"
#include "clearing/v1/trade.pb.h"
#include "pipeline/core/civil_time.h"
#include "pipeline/core/decimal.h"

namespace eodclear {
namespace {

const std::vector<std::string> kTradeHeader = {
    "trade_id", "trade_date", "exec_time",     "contract",    "price",
    "quantity", "buyer_firm", "buyer_account", "seller_firm", "seller_account"};
const std::vector<std::string> kQuoteHeader = {"contract", "time", "bid",
                                               "bid_size", "ask",  "ask_size"};
const std::vector<std::string> kSettlementOverrideHeader = {
    "business_date", "contract", "kind", "price", "reason", "entered_by"};
const std::vector<std::string> kOffsetInstructionHeader = {
    "business_date", "account", "contract", "offset_contract", "quantity", "entered_by"};
const std::vector<std::string> kReferencePriceHeader = {"name", "date", "kind", "value",
                                                        "published_at"};

// Collects the first problem of a row.
class RowCheck {
 public:
  RowCheck(const CsvFile& file, const CsvFile::Row& row) : file_(file), row_(row) {}
  const std::string& Field(size_t i) const { return row_.fields[i]; }
  bool ok() const { return problem_.empty(); }
  void Fail(const std::string& what) {
    if (problem_.empty()) problem_ = file_.Where(row_) + ": " + what;
  }
  const std::string& problem() const { return problem_; }

  std::string Required(size_t i) {
    if (Field(i).empty()) Fail(file_.header()[i] + " is empty");
    return Field(i);
  }
  void CheckDate(size_t i) {
    if (auto d = Date::Parse(Field(i)); !d) Fail(file_.header()[i] + ": " + d.error().message());
  }
  void CheckTime(size_t i) {
    if (auto t = ZonedTime::Parse(Field(i)); !t)
      Fail(file_.header()[i] + ": " + t.error().message());
  }
  std::string DecimalText(size_t i, bool allow_empty) {
    if (allow_empty && Field(i).empty()) return "";
    auto d = Decimal::Parse(Field(i));
    if (!d) {
      Fail(file_.header()[i] + ": " + d.error().message());
      return "";
    }
    return d->ToString();
  }
  int64_t Integer(size_t i, bool allow_empty) {
    const std::string& f = Field(i);
    if (allow_empty && f.empty()) return 0;
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
    if (f.empty() || ec != std::errc() || ptr != f.data() + f.size()) {
      Fail(file_.header()[i] + ": '" + f + "' is not a whole number");
    }
    return v;
  }
  std::string CanonicalContract(size_t i, const ProductCatalog& products) {
    auto c = products.ResolveContract(Field(i));
    if (!c) {
      Fail(c.error().message());
      return "";
    }
    return c->ToString();
  }

 private:
  const CsvFile& file_;
  const CsvFile::Row& row_;
  std::string problem_;
};

}  // namespace

constexpr InputKind kAllInputKinds[] = {
    InputKind::kTrades, InputKind::kQuotes, InputKind::kReferencePrices,
    InputKind::kSettlementOverrides, InputKind::kOffsetInstructions};

const std::vector<std::string>& InputHeader(InputKind kind) {
  switch (kind) {
    case InputKind::kTrades:
      return kTradeHeader;
    case InputKind::kQuotes:
      return kQuoteHeader;
    case InputKind::kReferencePrices:
      return kReferencePriceHeader;
    case InputKind::kSettlementOverrides:
      return kSettlementOverrideHeader;
    case InputKind::kOffsetInstructions:
      return kOffsetInstructionHeader;
  }
  return kTradeHeader;
}

Result<InputKind> DetectInputKind(const CsvFile& file) {
  for (InputKind k : kAllInputKinds) {
    if (file.header() == InputHeader(k)) return k;
  }
  std::string accepted;
  for (InputKind k : kAllInputKinds) {
    std::string h;
    for (const auto& c : InputHeader(k)) h += (h.empty() ? "" : ",") + c;
    accepted += "\n  " + h;
  }
  return Err(Status::InvalidArgument(file.path() + ":" + std::to_string(file.header_line()) +
                                     ": header is not one of the input formats:" + accepted));
}

std::vector<KeyedMessage> ConvertInputCsv(const CsvFile& file, InputKind kind,
                                          const ProductCatalog& products,
                                          std::vector<std::string>* errors) {
  std::vector<KeyedMessage> out;
  out.reserve(file.rows().size());
  // Rows the CSV reader could not split are reported in line order with the others.
  auto bad_row = file.bad_rows().begin();
  auto report_bad_rows_before = [&](size_t line) {
    for (; bad_row != file.bad_rows().end() && bad_row->line < line; ++bad_row) {
      errors->push_back(bad_row->problem);
    }
  };
  for (const auto& row : file.rows()) {
    report_bad_rows_before(row.line);
    RowCheck c(file, row);
    KeyedMessage msg;
    if (kind == InputKind::kTrades) {
      clearing::v1::Trade t;
      t.set_trade_id(c.Required(0));
      c.CheckDate(1);
      t.set_trade_date(c.Field(1));
      c.CheckTime(2);
      t.set_exec_time(c.Field(2));
      t.set_contract(c.CanonicalContract(3, products));
      t.set_price(c.DecimalText(4, false));
      int64_t qty = c.Integer(5, false);
      if (c.ok() && qty <= 0) c.Fail("quantity " + c.Field(5) + " must be positive");
      t.set_quantity(qty);
      t.mutable_buyer()->set_firm(c.Required(6));
      t.mutable_buyer()->set_account(c.Required(7));
      t.mutable_seller()->set_firm(c.Required(8));
      t.mutable_seller()->set_account(c.Required(9));
      msg.key = t.contract();
      msg.value = t.SerializeAsString();
    } else if (kind == InputKind::kQuotes) {
      clearing::v1::Quote q;
      q.set_contract(c.CanonicalContract(0, products));
      c.CheckTime(1);
      q.set_time(c.Field(1));
      q.set_bid(c.DecimalText(2, true));
      q.set_bid_size(c.Integer(3, true));
      q.set_ask(c.DecimalText(4, true));
      q.set_ask_size(c.Integer(5, true));
      if (c.ok() && (q.bid_size() < 0 || q.ask_size() < 0)) c.Fail("sizes must not be negative");
      msg.key = q.contract();
      msg.value = q.SerializeAsString();
    } else if (kind == InputKind::kOffsetInstructions) {
      clearing::v1::OffsetInstruction o;
      c.CheckDate(0);
      o.set_business_date(c.Field(0));
      o.set_account(c.Required(1));
      o.set_contract(c.CanonicalContract(2, products));
      o.set_offset_contract(c.CanonicalContract(3, products));
      int64_t qty = c.Integer(4, false);
      if (c.ok() && qty <= 0) c.Fail("quantity " + c.Field(4) + " must be positive");
      o.set_quantity(qty);
      o.set_entered_by(c.Required(5));
      msg.key = o.business_date() + "|" + o.account();
      msg.value = o.SerializeAsString();
    } else if (kind == InputKind::kSettlementOverrides) {
      clearing::v1::SettlementOverride o;
      c.CheckDate(0);
      o.set_business_date(c.Field(0));
      o.set_contract(c.CanonicalContract(1, products));
      clearing::v1::SettlementOverride::Kind k;
      if (c.Field(2) == "KIND_UNSPECIFIED" ||
          !clearing::v1::SettlementOverride::Kind_Parse(c.Field(2), &k)) {
        c.Fail("kind '" + c.Field(2) + "' is not DAILY or FINAL");
      } else {
        o.set_kind(k);
      }
      o.set_price(c.DecimalText(3, false));
      if (c.ok()) {
        auto contract = products.ResolveContract(o.contract());
        const Product* product = contract ? products.Find(contract->product) : nullptr;
        auto price = Decimal::Parse(o.price());
        if (product != nullptr && price && !price->IsMultipleOf(product->settlement_tick)) {
          c.Fail("price " + o.price() + " is not a multiple of " + product->code +
                 "'s settlement tick " + product->settlement_tick.ToString());
        }
      }
      o.set_reason(c.Required(4));
      o.set_entered_by(c.Required(5));
      msg.key = o.business_date() + "|" + o.contract() + "|" +
                clearing::v1::SettlementOverride::Kind_Name(o.kind());
      msg.value = o.SerializeAsString();
    } else {
      clearing::v1::ReferencePrice r;
      r.set_name(c.Required(0));
      c.CheckDate(1);
      r.set_date(c.Field(1));
      clearing::v1::ReferencePrice::Kind k;
      if (c.Field(2) == "KIND_UNSPECIFIED" ||
          !clearing::v1::ReferencePrice::Kind_Parse(c.Field(2), &k)) {
        c.Fail("kind '" + c.Field(2) +
               "' is not one of SOQ, OFFICIAL_CLOSE, REFERENCE_RATE, SPECIAL_QUOTATION");
      } else {
        r.set_kind(k);
      }
      r.set_value(c.DecimalText(3, false));
      c.CheckTime(4);
      r.set_published_at(c.Field(4));
      msg.key = r.name();
      msg.value = r.SerializeAsString();
    }
    if (!c.ok()) {
      errors->push_back(c.problem());
      continue;
    }
    out.push_back(std::move(msg));
  }
  report_bad_rows_before(static_cast<size_t>(-1));
  return out;
}

}  // namespace eodclear
