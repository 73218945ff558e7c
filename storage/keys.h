#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "pipeline/core/civil_time.h"
#include "pipeline/core/status.h"

namespace eodclear::keys {

// Every RocksDB key of eodclear is built and parsed here, and nowhere else. Numbers are big-endian
// and fixed width so that byte order is logical order; text fields end with a 0x00 byte (ids,
// accounts, contracts and topic names never contain one), so "ES" sorts before "ESM".
// storage/FORMAT.md documents each layout. The layouts are persisted: do not change them; add a
// new key type and bump kFormatVersion instead.

// Where a consumed message came from. Part of keys that must be unique per input batch/message.
struct SourcePosition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  bool operator==(const SourcePosition&) const = default;
};

// Column family `offsets`: next offset to consume of one input partition.
std::string OffsetKey(std::string_view topic, int32_t partition);
struct OffsetKeyParts {
  std::string topic;
  int32_t partition = 0;
};
Result<OffsetKeyParts> ParseOffsetKey(std::string_view key);

// Column family `positions`: one account's position in one contract. Accounts are named within
// their clearing firm, so the firm is part of the key.
std::string PositionKey(std::string_view firm, std::string_view account, std::string_view contract);
struct PositionKeyParts {
  std::string firm;
  std::string account;
  std::string contract;
};
Result<PositionKeyParts> ParsePositionKey(std::string_view key);

// Column families `contract_days` and `quotes`: one contract on one business date.
std::string ContractDayKey(Date date, std::string_view contract);
// Prefix of every ContractDayKey of `date`.
std::string DatePrefix(Date date);
struct ContractDayKeyParts {
  Date date;
  std::string contract;
};
Result<ContractDayKeyParts> ParseContractDayKey(std::string_view key);

// Column family `day_trades`: trades of one contract on one date from one consumed batch, named by
// the position of the batch's first message in that contract.
std::string DayTradesKey(Date date, std::string_view contract, const SourcePosition& first);
// Prefix of every DayTradesKey of one contract and date.
std::string DayTradesPrefix(Date date, std::string_view contract);
struct DayTradesKeyParts {
  Date date;
  std::string contract;
  SourcePosition first;
};
Result<DayTradesKeyParts> ParseDayTradesKey(std::string_view key);

// Column family `trade_ids`: ids applied for one trade date, from one consumed batch.
// Column family `pending_trades`: one trade held for a later trade date, by its source position.
// Column family `dead_letters`: one rejected message, by business date and source position.
// All three share the layout date + source position.
std::string DatedSourceKey(Date date, const SourcePosition& source);
struct DatedSourceKeyParts {
  Date date;
  SourcePosition source;
};
Result<DatedSourceKeyParts> ParseDatedSourceKey(std::string_view key);

// Column family `runs`: one business date's run state.
std::string RunKey(Date date);
Result<Date> ParseRunKey(std::string_view key);

// Column family `settlements`: one contract's settlement on one date. Contract first, so a
// contract's settlements are adjacent and in date order (the prior is the one before a date's key).
std::string SettlementKey(std::string_view contract, Date date);
// Prefix of every SettlementKey of `contract`.
std::string SettlementPrefix(std::string_view contract);
struct SettlementKeyParts {
  std::string contract;
  Date date;
};
Result<SettlementKeyParts> ParseSettlementKey(std::string_view key);

// Column family `outbox`: one record a stage produced for the publish stage, by business date,
// topic and the record's Kafka key. The value is the record's serialized message without its run
// id.
std::string OutboxKey(Date date, std::string_view topic, std::string_view record_key);
// Prefix of every OutboxKey of `date`.
std::string OutboxPrefix(Date date);
// [begin, end) of every OutboxKey of `date` and `topic`.
std::pair<std::string, std::string> OutboxTopicRange(Date date, std::string_view topic);
struct OutboxKeyParts {
  Date date;
  std::string topic;
  std::string record_key;
};
Result<OutboxKeyParts> ParseOutboxKey(std::string_view key);

// Column family `start_of_day`: one position as it stood at the start of a business date's end of
// day (after ingest, before settlement or offsetting changed it), by date and position key.
std::string StartOfDayKey(Date date, std::string_view position_key);
struct StartOfDayKeyParts {
  Date date;
  std::string position_key;  // a PositionKey
};
Result<StartOfDayKeyParts> ParseStartOfDayKey(std::string_view key);

// Column family `retractions`: the Kafka key of a record the date's previous publication had, kept
// while a correction of the date is in progress. Same layout as OutboxKey.
inline std::string RetractionKey(Date date, std::string_view topic, std::string_view record_key) {
  return OutboxKey(date, topic, record_key);
}

// Column family `default`: the key of the storage format version.
inline constexpr std::string_view kFormatVersionKey = "format_version";
inline constexpr std::string_view kFormatVersion = "3";
// The previous format, upgraded in place on open (version 3 only added column families).
inline constexpr std::string_view kUpgradableFormatVersion = "2";

// Value codec of the `offsets` column family: an int64, big-endian.
std::string EncodeOffset(int64_t offset);
Result<int64_t> DecodeOffset(std::string_view value);

}  // namespace eodclear::keys
