#include "pipeline/cli/topics_command.h"

#include <map>
#include <ostream>
#include <set>

#include "pipeline/kafka/topic_admin.h"

namespace eodclear {

namespace {

ExitCode Fail(std::ostream& err, const Status& s) {
  err << "eodclear topics: " << s.ToString() << "\n";
  return ExitCodeFor(s);
}

}  // namespace

ExitCode TopicsCommand(const TopicsCommandOptions& options, std::ostream& out, std::ostream& err) {
  auto specs = ProductionTopics(options.plan);
  if (!specs) return Fail(err, specs.error());
  if (!options.check_only) {
    auto created = CreateTopics(options.kafka, *specs);
    if (!created) return Fail(err, created.error());
    std::map<std::string, bool> made;
    for (const TopicCreation& c : *created) made[c.name] = c.created;
    for (const TopicSpec& spec : *specs) {
      if (!made[spec.name]) {
        out << "exists " << spec.name << "\n";
        continue;
      }
      out << "created " << spec.name << ": " << spec.partitions << " partitions, replication factor "
          << spec.replication_factor;
      for (const auto& [k, v] : spec.configs) out << ", " << k << "=" << v;
      out << "\n";
    }
  }
  auto mismatches = CheckTopics(options.kafka, *specs);
  if (!mismatches) return Fail(err, mismatches.error());
  std::set<std::string> bad;
  for (const TopicMismatch& m : *mismatches) bad.insert(m.topic);
  for (const TopicSpec& spec : *specs) {
    if (!bad.contains(spec.name)) {
      out << "ok " << spec.name << "\n";
      continue;
    }
    for (const TopicMismatch& m : *mismatches) {
      if (m.topic != spec.name) continue;
      out << "mismatch " << m.topic << ": " << m.what << ", wanted " << m.wanted << ", found "
          << m.found << "\n";
    }
  }
  out << "topics: " << specs->size() << " checked, " << bad.size() << " with mismatches\n";
  return bad.empty() ? ExitCode::kSuccess : ExitCode::kBadConfig;
}

}  // namespace eodclear
