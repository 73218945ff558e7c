#include "stages/position_limits/position_limits_stage.h"

#include <rocksdb/write_batch.h>

#include <chrono>
#include <map>
#include <ostream>
#include <set>

#include "clearing/v1/limits.pb.h"
#include "eodclear/state/v1/state.pb.h"
#include "pipeline/metrics.h"
#include "pipeline/refdata/account_directory.h"
#include "pipeline/refdata/expiry.h"
#include "pipeline/refdata/position_limit_table.h"
#include "pipeline/refdata/product_catalog.h"
#include "pipeline/run_ledger.h"
#include "stages/position_limits/limit_rules.h"
#include "storage/keys.h"
#include "storage/state_store.h"

namespace eodclear {

Status PositionLimitsStage::Run(RunContext& ctx) {
  auto started = std::chrono::steady_clock::now();
  if (ctx.limits == nullptr || ctx.accounts == nullptr || ctx.calendars == nullptr) {
    return Status::Internal("the position-limits stage needs the limit table, accounts, calendars");
  }
  const Date date = ctx.business_date;
  const std::string date_text = date.ToString();
  StateStore* store = ctx.store;
  std::set<std::pair<std::string, std::string>> house(options_.house_accounts.begin(),
                                                      options_.house_accounts.end());

  // End-of-day positions after offsetting; the last trade date of every contract held.
  std::vector<LimitPosition> positions;
  std::map<std::string, Date> last_trade_dates;
  EODCLEAR_RETURN_IF_ERROR(store->ScanMessages<eodclear::state::v1::PositionState>(
      StateCf::kPositions, "",
      [&](std::string_view k, const eodclear::state::v1::PositionState& s) -> Status {
        if (s.net_quantity() == 0) return Status::Ok();
        EODCLEAR_ASSIGN_OR_RETURN(keys::PositionKeyParts key, keys::ParsePositionKey(k));
        if (house.contains({key.firm, key.account})) return Status::Ok();
        if (!last_trade_dates.contains(key.contract)) {
          EODCLEAR_ASSIGN_OR_RETURN(Contract c, ctx.products->ResolveContract(key.contract));
          const Product* product = ctx.products->Find(c.product);
          auto expiry = ComputeExpiry(*product, c.year, c.month, *ctx.calendars);
          if (!expiry) return expiry.error().WithContext("expiry of " + key.contract);
          last_trade_dates[key.contract] = expiry->last_trade_date;
        }
        positions.push_back(LimitPosition{std::move(key.firm), std::move(key.account),
                                          std::move(key.contract), s.net_quantity()});
        return Status::Ok();
      }));

  EODCLEAR_ASSIGN_OR_RETURN(
      LimitsAndReports checked,
      CheckLimitsAndReport(date, positions, *ctx.limits, *ctx.accounts, last_trade_dates));
  positions.clear();
  const std::vector<LimitFinding>& findings = checked.findings;
  const std::vector<ReportableRecord>& reports = checked.reports;

  rocksdb::WriteBatch batch;
  for (const LimitFinding& f : findings) {
    clearing::v1::PositionLimitFinding out;
    out.set_business_date(date_text);
    out.set_owner(f.owner);
    out.set_kind(std::string(FindingKindName(f.kind)));
    out.set_base_contract(f.base_contract);
    out.set_base_product(f.base_product);
    for (const AggregatedContract& a : f.aggregated) {
      auto* ag = out.add_aggregated();
      ag->set_contract(a.contract);
      ag->set_ratio(a.ratio.ToString());
      ag->set_quantity(a.quantity);
      ag->set_equivalent(a.equivalent.ToString());
    }
    out.set_position(f.position.ToString());
    out.set_limit(f.limit);
    out.set_exemption(f.exemption);
    out.set_excess(f.excess.ToString());
    if (f.kind == FindingKind::kAccountability) {
      out.set_period(std::string(LimitKindName(f.period)));
    }
    std::string key = date_text + "|" + f.owner + "|" + out.kind() + "|" + f.base_contract;
    if (!out.period().empty()) key += "|" + out.period();
    batch.Put(store->cf(StateCf::kOutbox), keys::OutboxKey(date, options_.findings_topic, key),
              out.SerializeAsString());
    ctx.metrics->LimitFindings(out.kind()).Increment();
  }
  for (const ReportableRecord& r : reports) {
    clearing::v1::LargeTraderReport out;
    out.set_business_date(date_text);
    out.set_owner(r.owner);
    out.set_account(r.account);
    out.set_firm(r.firm);
    out.set_contract(r.contract);
    out.set_long_(r.long_quantity);
    out.set_short_(r.short_quantity);
    batch.Put(store->cf(StateCf::kOutbox),
              keys::OutboxKey(
                  date, options_.reports_topic,
                  date_text + "|" + r.owner + "|" + r.firm + "|" + r.account + "|" + r.contract),
              out.SerializeAsString());
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EODCLEAR_RETURN_IF_ERROR(CompleteStage(ctx, name(), seconds, &batch));
  *ctx.progress << "position_limits: " << findings.size() << " findings, " << reports.size()
                << " large-trader report records in " << seconds << " s\n";
  return Status::Ok();
}

}  // namespace eodclear
