#include "storage/keys.h"

namespace eodclear::keys {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}
// Signed numbers have their sign bit flipped so negative values sort before positive ones.
void PutI32(std::string* out, int32_t v) { PutU32(out, static_cast<uint32_t>(v) ^ 0x80000000u); }
void PutI64(std::string* out, int64_t v) {
  PutU64(out, static_cast<uint64_t>(v) ^ 0x8000000000000000ull);
}
void PutDate(std::string* out, Date d) { PutI32(out, d.days_since_epoch()); }
void PutText(std::string* out, std::string_view s) {
  out->append(s);
  out->push_back('\0');
}

// Reads fields front to back; any short read marks the whole parse failed.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  uint64_t U(int bytes) {
    if (s_.size() < static_cast<size_t>(bytes)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v = (v << 8) | static_cast<unsigned char>(s_[static_cast<size_t>(i)]);
    s_.remove_prefix(static_cast<size_t>(bytes));
    return v;
  }
  int32_t I32() { return static_cast<int32_t>(static_cast<uint32_t>(U(4)) ^ 0x80000000u); }
  int64_t I64() { return static_cast<int64_t>(U(8) ^ 0x8000000000000000ull); }
  Date DateField() { return Date::FromDays(I32()); }
  std::string Text() {
    size_t nul = s_.find('\0');
    if (nul == std::string_view::npos) {
      ok_ = false;
      return {};
    }
    std::string out(s_.substr(0, nul));
    s_.remove_prefix(nul + 1);
    return out;
  }
  bool Ok() const { return ok_; }
  std::string_view Rest() const { return s_; }
  // True when every read succeeded and the whole key was consumed.
  bool Done() const { return ok_ && s_.empty(); }

 private:
  std::string_view s_;
  bool ok_ = true;
};

Status Malformed(std::string_view kind, std::string_view key) {
  return Status::Internal("malformed " + std::string(kind) + " key of " +
                          std::to_string(key.size()) + " bytes");
}

void PutSource(std::string* out, const SourcePosition& s) {
  PutText(out, s.topic);
  PutI32(out, s.partition);
  PutI64(out, s.offset);
}
SourcePosition ReadSource(Reader* r) {
  SourcePosition s;
  s.topic = r->Text();
  s.partition = r->I32();
  s.offset = r->I64();
  return s;
}

}  // namespace

std::string OffsetKey(std::string_view topic, int32_t partition) {
  std::string k;
  PutText(&k, topic);
  PutI32(&k, partition);
  return k;
}

Result<OffsetKeyParts> ParseOffsetKey(std::string_view key) {
  Reader r(key);
  OffsetKeyParts p;
  p.topic = r.Text();
  p.partition = r.I32();
  if (!r.Done()) return Err(Malformed("offset", key));
  return p;
}

std::string PositionKey(std::string_view firm, std::string_view account,
                        std::string_view contract) {
  std::string k;
  PutText(&k, firm);
  PutText(&k, account);
  PutText(&k, contract);
  return k;
}

Result<PositionKeyParts> ParsePositionKey(std::string_view key) {
  Reader r(key);
  PositionKeyParts p;
  p.firm = r.Text();
  p.account = r.Text();
  p.contract = r.Text();
  if (!r.Done()) return Err(Malformed("position", key));
  return p;
}

std::string DatePrefix(Date date) {
  std::string k;
  PutDate(&k, date);
  return k;
}

std::string ContractDayKey(Date date, std::string_view contract) {
  std::string k = DatePrefix(date);
  PutText(&k, contract);
  return k;
}

Result<ContractDayKeyParts> ParseContractDayKey(std::string_view key) {
  Reader r(key);
  ContractDayKeyParts p;
  p.date = r.DateField();
  p.contract = r.Text();
  if (!r.Done()) return Err(Malformed("contract-day", key));
  return p;
}

std::string DayTradesPrefix(Date date, std::string_view contract) {
  return ContractDayKey(date, contract);
}

std::string DayTradesKey(Date date, std::string_view contract, const SourcePosition& first) {
  std::string k = DayTradesPrefix(date, contract);
  PutSource(&k, first);
  return k;
}

Result<DayTradesKeyParts> ParseDayTradesKey(std::string_view key) {
  Reader r(key);
  DayTradesKeyParts p;
  p.date = r.DateField();
  p.contract = r.Text();
  p.first = ReadSource(&r);
  if (!r.Done()) return Err(Malformed("day-trades", key));
  return p;
}

std::string DatedSourceKey(Date date, const SourcePosition& source) {
  std::string k = DatePrefix(date);
  PutSource(&k, source);
  return k;
}

Result<DatedSourceKeyParts> ParseDatedSourceKey(std::string_view key) {
  Reader r(key);
  DatedSourceKeyParts p;
  p.date = r.DateField();
  p.source = ReadSource(&r);
  if (!r.Done()) return Err(Malformed("dated-source", key));
  return p;
}

std::string RunKey(Date date) { return DatePrefix(date); }

Result<Date> ParseRunKey(std::string_view key) {
  Reader r(key);
  Date d = r.DateField();
  if (!r.Done()) return Err(Malformed("run", key));
  return d;
}

std::string SettlementKey(std::string_view contract, Date date) {
  std::string k = SettlementPrefix(contract);
  PutDate(&k, date);
  return k;
}

std::string SettlementPrefix(std::string_view contract) {
  std::string k;
  PutText(&k, contract);
  return k;
}

Result<SettlementKeyParts> ParseSettlementKey(std::string_view key) {
  Reader r(key);
  SettlementKeyParts p;
  p.contract = r.Text();
  p.date = r.DateField();
  if (!r.Done()) return Err(Malformed("settlement", key));
  return p;
}

std::string OutboxKey(Date date, std::string_view topic, std::string_view record_key) {
  std::string k = OutboxPrefix(date);
  PutText(&k, topic);
  k.append(record_key);  // last field: may hold any byte
  return k;
}

std::string OutboxPrefix(Date date) { return DatePrefix(date); }

std::pair<std::string, std::string> OutboxTopicRange(Date date, std::string_view topic) {
  std::string begin = OutboxKey(date, topic, "");
  std::string end = begin;
  end.back() = '\x01';  // the topic's terminator 0x00 -> 0x01: just past every key of the topic
  return {std::move(begin), std::move(end)};
}

Result<OutboxKeyParts> ParseOutboxKey(std::string_view key) {
  Reader r(key);
  OutboxKeyParts p;
  p.date = r.DateField();
  p.topic = r.Text();
  if (!r.Ok()) return Err(Malformed("outbox", key));
  p.record_key = std::string(r.Rest());
  return p;
}

std::string StartOfDayKey(Date date, std::string_view position_key) {
  std::string k = DatePrefix(date);
  k.append(position_key);  // last field: a PositionKey, itself terminated fields
  return k;
}

Result<StartOfDayKeyParts> ParseStartOfDayKey(std::string_view key) {
  Reader r(key);
  StartOfDayKeyParts p;
  p.date = r.DateField();
  if (!r.Ok()) return Err(Malformed("start_of_day", key));
  p.position_key = std::string(r.Rest());
  if (!ParsePositionKey(p.position_key)) return Err(Malformed("start_of_day", key));
  return p;
}

std::string EncodeOffset(int64_t offset) {
  std::string v;
  PutI64(&v, offset);
  return v;
}

Result<int64_t> DecodeOffset(std::string_view value) {
  Reader r(value);
  int64_t v = r.I64();
  if (!r.Done()) return Err(Status::Internal("malformed offset value"));
  return v;
}

}  // namespace eodclear::keys
