#include "pipeline/cli/topic_io.h"

#include <algorithm>
#include <chrono>
#include <ostream>
#include <tuple>
#include <vector>

#include "clearing/v1/dead_letter.pb.h"
#include "clearing/v1/eod_run.pb.h"
#include "clearing/v1/limits.pb.h"
#include "clearing/v1/position.pb.h"
#include "clearing/v1/quote.pb.h"
#include "clearing/v1/reference_price.pb.h"
#include "clearing/v1/settlement.pb.h"
#include "clearing/v1/trade.pb.h"
#include "pipeline/cli/csv_inputs.h"
#include "pipeline/cli/json_lines.h"
#include "pipeline/kafka/bounded_consumer.h"
#include "pipeline/kafka/producer.h"
#include "pipeline/kafka/topics.h"

namespace eodclear {

Result<LoadReport> LoadCsvToTopic(const KafkaOptions& kafka, const std::string& topic,
                                  const std::string& path, const ProductCatalog& products,
                                  bool skip_bad, std::ostream& errors) {
  EODCLEAR_ASSIGN_OR_RETURN(CsvFile file, CsvFile::Read(path, CsvFile::Mode::kCollectBadRows));
  EODCLEAR_ASSIGN_OR_RETURN(InputKind kind, DetectInputKind(file));
  std::vector<std::string> problems;
  std::vector<KeyedMessage> messages = ConvertInputCsv(file, kind, products, &problems);
  for (const auto& p : problems) errors << p << "\n";
  LoadReport report;
  report.skipped = problems.size();
  report.rows = file.rows().size() + file.bad_rows().size();
  if (!problems.empty() && !skip_bad) {
    return Err(Status::DataError(path + ": " + std::to_string(problems.size()) +
                                 " malformed rows; nothing was produced (--skip-bad produces the "
                                 "others)"));
  }
  Producer::Options po;
  po.kafka = kafka;
  EODCLEAR_ASSIGN_OR_RETURN(auto producer, Producer::Create(po));
  for (const auto& m : messages) EODCLEAR_RETURN_IF_ERROR(producer->Produce(topic, m.key, m.value));
  EODCLEAR_RETURN_IF_ERROR(producer->Flush());
  report.produced = messages.size();
  return report;
}

Result<std::unique_ptr<google::protobuf::Message>> MessageForTopic(const std::string& topic,
                                                                   const std::string& type_name) {
  std::string t = type_name;
  if (t.rfind("clearing.v1.", 0) == 0) t = t.substr(12);
  if (t.empty()) {
    if (topic == topics::kTrades) t = "Trade";
    if (topic == topics::kQuotes) t = "Quote";
    if (topic == topics::kReferencePrices) t = "ReferencePrice";
    if (topic == topics::kPositions) t = "Position";
    if (topic == topics::kDeadLetters) t = "DeadLetter";
    if (topic == topics::kEodRuns) t = "EodRun";
    if (topic == topics::kSettlementOverrides) t = "SettlementOverride";
    if (topic == topics::kSettlementPrices) t = "SettlementPrice";
    if (topic == topics::kVariationMargin) t = "VariationMargin";
    if (topic == topics::kFinalSettlements) t = "FinalSettlement";
    if (topic == topics::kOffsetInstructions) t = "OffsetInstruction";
    if (topic == topics::kOffsets) t = "Offset";
    if (topic == topics::kPositionLimitFindings) t = "PositionLimitFinding";
    if (topic == topics::kLargeTraderReports) t = "LargeTraderReport";
  }
  if (t == "Trade") return std::make_unique<clearing::v1::Trade>();
  if (t == "Quote") return std::make_unique<clearing::v1::Quote>();
  if (t == "ReferencePrice") return std::make_unique<clearing::v1::ReferencePrice>();
  if (t == "Position") return std::make_unique<clearing::v1::Position>();
  if (t == "DeadLetter") return std::make_unique<clearing::v1::DeadLetter>();
  if (t == "EodRun") return std::make_unique<clearing::v1::EodRun>();
  if (t == "SettlementOverride") return std::make_unique<clearing::v1::SettlementOverride>();
  if (t == "SettlementPrice") return std::make_unique<clearing::v1::SettlementPrice>();
  if (t == "VariationMargin") return std::make_unique<clearing::v1::VariationMargin>();
  if (t == "FinalSettlement") return std::make_unique<clearing::v1::FinalSettlement>();
  if (t == "OffsetInstruction") return std::make_unique<clearing::v1::OffsetInstruction>();
  if (t == "Offset") return std::make_unique<clearing::v1::Offset>();
  if (t == "PositionLimitFinding") return std::make_unique<clearing::v1::PositionLimitFinding>();
  if (t == "LargeTraderReport") return std::make_unique<clearing::v1::LargeTraderReport>();
  if (type_name.empty()) {
    return Err(Status::InvalidArgument("topic '" + topic +
                                       "' has no known message type; give --type (Trade, Quote, "
                                       "ReferencePrice, SettlementOverride, Position, DeadLetter, "
                                       "EodRun, SettlementPrice, VariationMargin, FinalSettlement, "
                                       "OffsetInstruction, Offset, PositionLimitFinding, "
                                       "LargeTraderReport)"));
  }
  return Err(Status::InvalidArgument("unknown message type '" + type_name + "'"));
}

Result<size_t> DumpTopic(const KafkaOptions& kafka, const std::string& topic,
                         const google::protobuf::Message& prototype, std::ostream& out) {
  BoundedConsumer::Options co;
  co.kafka = kafka;
  co.group_id = "eodclear-dump";
  co.read_committed = true;
  EODCLEAR_ASSIGN_OR_RETURN(auto consumer, BoundedConsumer::Create(co));
  EODCLEAR_ASSIGN_OR_RETURN(std::vector<PartitionRange> ranges, consumer->WholeTopic(topic));
  EODCLEAR_RETURN_IF_ERROR(consumer->Assign(std::move(ranges)));
  std::vector<std::tuple<int32_t, int64_t, std::string>> lines;
  std::unique_ptr<google::protobuf::Message> msg(prototype.New());
  MessageBatch batch;
  auto last_progress = std::chrono::steady_clock::now();
  uint64_t last_progress_count = consumer->progress();
  while (!consumer->Done()) {
    EODCLEAR_RETURN_IF_ERROR(consumer->Poll(&batch));
    if (!batch.empty() || consumer->progress() != last_progress_count) {
      last_progress = std::chrono::steady_clock::now();
      last_progress_count = consumer->progress();
    } else if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(60)) {
      return Err(Status::Unavailable("reading " + topic + " made no progress for 60s"));
    }
    for (const auto& m : batch.messages()) {
      std::string line;
      if (m.is_tombstone()) {
        line = "{\"tombstone\":true,\"key\":" + JsonQuote(m.key()) + "}";
      } else if (msg->ParseFromArray(m.value().data(), static_cast<int>(m.value().size()))) {
        line = ToJsonLine(*msg);
      } else {
        line = "{\"undecodable\":true,\"partition\":" + std::to_string(m.partition()) +
               ",\"offset\":" + std::to_string(m.offset()) + "}";
      }
      lines.emplace_back(m.partition(), m.offset(), std::move(line));
    }
  }
  std::sort(lines.begin(), lines.end());
  for (const auto& l : lines) out << std::get<2>(l) << "\n";
  out.flush();
  return lines.size();
}

}  // namespace eodclear
