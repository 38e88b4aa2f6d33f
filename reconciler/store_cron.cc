// What the cron scheduler persists: the handled mark of each CronJob (so a
// schedule never fires twice across restarts) and spec.suspend for scale.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "reconciler/store_impl.h"

namespace prisn::store {

Result<std::optional<CronState>> Store::GetCronState(const ObjectKey& key) {
  auto stmt = impl_->db.Prepare(
      "SELECT handled_at, last_scheduled_at, last_started_at, last_run, suspended FROM cron_state "
      "WHERE namespace = ?1 AND name = ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, key.ns).Bind(2, key.name);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<CronState>();
  CronState c;
  c.key = key;
  c.handled_ms = stmt->Int(0);
  c.last_scheduled_ms = stmt->OptInt(1);
  c.last_started_ms = stmt->OptInt(2);
  c.last_run = stmt->OptText(3).value_or("");
  c.suspended = stmt->Int(4) != 0;
  return std::optional<CronState>(std::move(c));
}

Status Store::PutCronState(const CronState& c, const Run* run,
                           const std::vector<std::pair<std::string, std::string>>& events) {
  auto tx = sqlite::Transaction::Begin(impl_->db);
  if (!tx) return std::unexpected(tx.error());
  auto stmt = impl_->db.Prepare(
      "INSERT OR REPLACE INTO cron_state (namespace, name, handled_at, last_scheduled_at, "
      "last_started_at, last_run, suspended, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, c.key.ns).Bind(2, c.key.name).Bind(3, c.handled_ms).Bind(4, c.last_scheduled_ms);
  stmt->Bind(5, c.last_started_ms);
  if (c.last_run.empty())
    stmt->BindNull(6);
  else
    stmt->Bind(6, c.last_run);
  stmt->Bind(7, int64_t{c.suspended ? 1 : 0}).Bind(8, impl_->Now());
  if (auto st = stmt->Run(); !st) return st;
  if (run) {
    if (auto st = PutRun(*run); !st) return st;
  }
  if (!events.empty()) {
    auto index = impl_->CurrentIndex();
    if (!index) return std::unexpected(index.error());
    for (const auto& [type, message] : events) {
      if (auto st = impl_->AddEvent(c.key, type, message, "prisn", *index); !st) return st;
    }
  }
  return tx->Commit();
}

Status Store::DeleteCronState(const ObjectKey& key) {
  auto stmt = impl_->db.Prepare("DELETE FROM cron_state WHERE namespace = ?1 AND name = ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, key.ns).Bind(2, key.name);
  return stmt->Run();
}

Result<int64_t> Store::SetSuspend(const ObjectKey& key, bool suspend, const std::string& actor) {
  if (!key.Is(manifests::Kind::kCronJob))
    return Fail(ErrorCode::kInvalid, "only a CronJob can be suspended", key.ToString());
  return impl_->SetSpecField(key, "suspend", suspend, false, actor, [&](const nlohmann::ordered_json&) {
    return std::pair<std::string, std::string>{
        suspend ? "suspended" : "resumed", suspend ? "schedule suspended" : "schedule resumed"};
  });
}

}  // namespace prisn::store
