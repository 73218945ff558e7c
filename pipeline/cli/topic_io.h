#pragma once

#include <google/protobuf/message.h>

#include <iosfwd>
#include <memory>
#include <string>

#include "pipeline/core/status.h"
#include "pipeline/kafka/kafka_options.h"
#include "pipeline/refdata/product_catalog.h"

namespace eodclear {

struct LoadReport {
  size_t rows = 0;
  size_t produced = 0;
  size_t skipped = 0;
};

// Reads an input CSV (trades, quotes or reference prices, by its header), converts every row and
// produces the messages to `topic`, waiting for every delivery. Malformed rows are written to
// `errors` as "file:line: what"; unless `skip_bad`, a file with any malformed row produces nothing
// and fails with kDataError.
Result<LoadReport> LoadCsvToTopic(const KafkaOptions& kafka, const std::string& topic,
                                  const std::string& path, const ProductCatalog& products,
                                  bool skip_bad, std::ostream& errors);

// The clearing.v1 message type of a topic, by its default name (trades, quotes, reference-prices,
// positions, dead-letters, eod-runs) or by `type_name` ("Trade", "clearing.v1.Trade", ...).
Result<std::unique_ptr<google::protobuf::Message>> MessageForTopic(const std::string& topic,
                                                                   const std::string& type_name);

// Writes every committed message of `topic` (read_committed, from the low watermark up to the high
// watermark taken at the start) as JSON lines to `out`, ordered by partition and offset. A message
// that does not decode is written as {"undecodable": true, "partition": P, "offset": O}.
// Returns the number of messages written.
Result<size_t> DumpTopic(const KafkaOptions& kafka, const std::string& topic,
                         const google::protobuf::Message& prototype, std::ostream& out);

}  // namespace eodclear
