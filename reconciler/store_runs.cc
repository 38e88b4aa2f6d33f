// What the converge loop records: runs, scaling, object events and the last
// healthy version of a workload.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "reconciler/store_impl.h"

namespace prisn::store {
namespace {

constexpr char kRunColumns[] =
    "id, kind, namespace, name, version, adhoc, state, attempts, exit_code, reason, created_at, "
    "started_at, finished_at, next_retry_at, log_path, pid, degraded";

Run ReadRun(const sqlite::Statement& s) {
  Run r;
  r.id = s.Text(0);
  r.job = ObjectKey{s.Text(1), s.Text(2), s.Text(3)};
  r.version = s.Text(4);
  r.adhoc = s.Int(5) != 0;
  // A state this version does not know (a newer store) reads as failed: it
  // is never resumed as if it ran.
  r.state = reconciler::ParseRunState(s.Text(6)).value_or(reconciler::RunState::kFailed);
  r.attempts = static_cast<int>(s.Int(7));
  if (auto code = s.OptInt(8)) r.exit_code = static_cast<int>(*code);
  r.reason = s.Text(9);
  r.created_ms = s.Int(10);
  r.started_ms = s.OptInt(11);
  r.finished_ms = s.OptInt(12);
  r.next_retry_ms = s.OptInt(13);
  r.pid = s.Int(15);
  r.degraded = s.Text(16);
  return r;
}

Result<std::vector<Run>> QueryRuns(sqlite::Database& db, const std::string& sql,
                                   const std::function<void(sqlite::Statement&)>& bind) {
  auto stmt = db.Prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  bind(*stmt);
  std::vector<Run> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(ReadRun(*stmt));
  }
  return out;
}

}  // namespace

Result<int64_t> Store::Impl::SetSpecField(
    const ObjectKey& key, const std::string& field, const nlohmann::ordered_json& value,
    const nlohmann::ordered_json& fallback, const std::string& actor,
    const std::function<std::pair<std::string, std::string>(const nlohmann::ordered_json&)>&
        describe) {
  auto tx = sqlite::Transaction::Begin(db);
  if (!tx) return std::unexpected(tx.error());
  auto loaded = LoadRow(key);
  if (!loaded) return std::unexpected(loaded.error());
  if (!*loaded || (*loaded)->deleted_ms)
    return Fail(ErrorCode::kNotFound, "no such object", key.ToString());
  ObjectRow& row = **loaded;
  nlohmann::ordered_json spec = nlohmann::ordered_json::parse(row.object.spec_json, nullptr, false);
  if (spec.is_discarded() || !spec.contains("spec") || !spec["spec"].is_object())
    return Fail(ErrorCode::kInternal, "the stored spec is not an object", key.ToString());
  nlohmann::ordered_json previous = spec["spec"].value(field, fallback);
  auto index = CurrentIndex();
  if (!index) return std::unexpected(index.error());
  if (previous == value) return *index;
  spec["spec"][field] = value;
  std::string json = spec.dump();
  std::string hash = box.Hash(row.object.version + "\n" + json);
  int64_t new_index = *index + 1;
  auto stmt = db.Prepare(
      "UPDATE objects SET spec = ?2, spec_hash = ?3, generation = generation + 1, state_index = ?4, "
      "updated_at = ?5 WHERE id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, row.id).Bind(2, json).BindBlob(3, hash).Bind(4, new_index).Bind(5, Now());
  if (auto st = stmt->Run(); !st) return std::unexpected(st.error());
  auto [type, message] = describe(previous);
  if (auto st = AddEvent(key, type, message, actor, new_index); !st) return std::unexpected(st.error());
  auto bumped = BumpIndex();
  if (!bumped) return std::unexpected(bumped.error());
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  return *bumped;
}

Result<int64_t> Store::SetReplicas(const ObjectKey& key, int replicas, const std::string& actor) {
  if (!key.Is(manifests::Kind::kDeployment))
    return Fail(ErrorCode::kInvalid, "only a Deployment has replicas", key.ToString());
  if (replicas < 0)
    return Fail(ErrorCode::kInvalid, "replicas cannot be negative", key.ToString());
  return impl_->SetSpecField(key, "replicas", replicas, 1, actor, [&](const nlohmann::ordered_json& previous) {
    return std::pair<std::string, std::string>{"scaled",
                                               fmt::format("replicas {} -> {}", previous.dump(), replicas)};
  });
}

Status Store::RecordObjectEvent(const ObjectKey& key, const std::string& type,
                                const std::string& message, const std::string& actor) {
  auto index = impl_->CurrentIndex();
  if (!index) return std::unexpected(index.error());
  return impl_->AddEvent(key, type, message, actor, *index);
}

Status Store::PutRun(const Run& r) {
  auto stmt = impl_->db.Prepare(fmt::format(
      "INSERT OR REPLACE INTO runs ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
      "?13, ?14, ?15, ?16, ?17)",
      kRunColumns));
  if (!stmt) return std::unexpected(stmt.error());
  auto& s = *stmt;
  s.Bind(1, r.id).Bind(2, r.job.kind).Bind(3, r.job.ns).Bind(4, r.job.name).Bind(5, r.version);
  s.Bind(6, int64_t{r.adhoc ? 1 : 0})
      .Bind(7, reconciler::RunStateName(r.state))
      .Bind(8, int64_t{r.attempts});
  if (r.exit_code)
    s.Bind(9, int64_t{*r.exit_code});
  else
    s.BindNull(9);
  s.Bind(10, r.reason).Bind(11, r.created_ms).Bind(12, r.started_ms).Bind(13, r.finished_ms);
  // log_path: the backend keeps logs now (Backend::ReadLogs); the column
  // stays for stores written before.
  s.Bind(14, r.next_retry_ms).Bind(15, std::string()).Bind(16, r.pid).Bind(17, r.degraded);
  return s.Run();
}

Result<std::optional<Run>> Store::GetRun(const std::string& id) {
  auto runs = QueryRuns(impl_->db, fmt::format("SELECT {} FROM runs WHERE id = ?1", kRunColumns),
                        [&](sqlite::Statement& s) { s.Bind(1, id); });
  if (!runs) return std::unexpected(runs.error());
  if (runs->empty()) return std::optional<Run>();
  return std::optional<Run>(std::move(runs->front()));
}

Result<std::vector<Run>> Store::ListRuns(const RunQuery& q) {
  std::string sql = fmt::format("SELECT {} FROM runs WHERE 1", kRunColumns);
  if (q.ns) sql += " AND namespace = ?1";
  if (q.job) sql += " AND name = ?2";
  if (q.version) sql += " AND version = ?3";
  sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?4";
  return QueryRuns(impl_->db, sql, [&](sqlite::Statement& s) {
    if (q.ns) s.Bind(1, *q.ns);
    if (q.job) s.Bind(2, *q.job);
    if (q.version) s.Bind(3, *q.version);
    s.Bind(4, int64_t{q.limit > 0 ? q.limit : 50});
  });
}

Result<std::vector<Run>> Store::FailUnfinishedRuns(const std::string& reason) {
  auto tx = sqlite::Transaction::Begin(impl_->db);
  if (!tx) return std::unexpected(tx.error());
  auto runs = QueryRuns(impl_->db,
                        fmt::format("SELECT {} FROM runs WHERE state IN ('{}', '{}')", kRunColumns,
                                    reconciler::RunStateName(reconciler::RunState::kPending),
                                    reconciler::RunStateName(reconciler::RunState::kRunning)),
                        [](sqlite::Statement&) {});
  if (!runs) return std::unexpected(runs.error());
  int64_t now = impl_->Now();
  for (Run& r : *runs) {
    r.state = reconciler::RunState::kFailed;
    r.reason = reason;
    r.finished_ms = now;
    r.next_retry_ms.reset();
    if (auto st = PutRun(r); !st) return std::unexpected(st.error());
  }
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  return runs;
}

Result<std::vector<Run>> Store::TrimRuns(const ObjectKey& job, int keep_succeeded, int keep_failed) {
  auto tx = sqlite::Transaction::Begin(impl_->db);
  if (!tx) return std::unexpected(tx.error());
  std::vector<Run> removed;
  for (auto [state, keep] : {std::pair{reconciler::RunState::kSucceeded, keep_succeeded},
                             {reconciler::RunState::kFailed, keep_failed}}) {
    auto runs = QueryRuns(impl_->db,
                          fmt::format("SELECT {} FROM runs WHERE kind = ?1 AND namespace = ?2 AND "
                                      "name = ?3 AND state = ?4 ORDER BY created_at DESC, rowid "
                                      "DESC LIMIT -1 OFFSET ?5",
                                      kRunColumns),
                          [&](sqlite::Statement& s) {
                            s.Bind(1, job.kind)
                                .Bind(2, job.ns)
                                .Bind(3, job.name)
                                .Bind(4, reconciler::RunStateName(state));
                            s.Bind(5, int64_t{std::max(keep, 0)});
                          });
    if (!runs) return std::unexpected(runs.error());
    auto del = impl_->db.Prepare("DELETE FROM runs WHERE id = ?1");
    if (!del) return std::unexpected(del.error());
    for (Run& r : *runs) {
      del->Bind(1, r.id);
      if (auto st = del->Run(); !st) return std::unexpected(st.error());
      removed.push_back(std::move(r));
    }
  }
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  return removed;
}

Result<std::optional<std::string>> Store::HealthyVersion(const ObjectKey& key) {
  auto stmt = impl_->db.Prepare(
      "SELECT healthy_version FROM workload_state WHERE kind = ?1 AND namespace = ?2 AND name = ?3");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, key.kind).Bind(2, key.ns).Bind(3, key.name);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return stmt->OptText(0);
}

Status Store::SetHealthyVersion(const ObjectKey& key, const std::string& version) {
  auto stmt = impl_->db.Prepare(
      "INSERT INTO workload_state (kind, namespace, name, healthy_version, updated_at) VALUES (?1, "
      "?2, ?3, ?4, ?5) ON CONFLICT (kind, namespace, name) DO UPDATE SET healthy_version = "
      "excluded.healthy_version, updated_at = excluded.updated_at");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, key.kind).Bind(2, key.ns).Bind(3, key.name).Bind(4, version).Bind(5, impl_->Now());
  return stmt->Run();
}

}  // namespace prisn::store
