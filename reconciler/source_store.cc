// GitOps sources: their definitions and sync status (table `sources`).
// Sources change rarely, so the statements are prepared per call.
#include "reconciler/store_impl.h"

namespace prisn::store {
namespace {

constexpr char kSourceColumns[] =
    "name, type, spec, suspended, last_fetched_commit, last_fetched_at, last_applied_commit, "
    "last_applied_at, last_error, created_at, updated_at";

SourceRecord ReadSource(const sqlite::Statement& s) {
  SourceRecord r;
  r.name = s.Text(0);
  r.type = s.Text(1);
  r.spec_json = s.Text(2);
  r.suspended = s.Int(3) != 0;
  r.last_fetched_commit = s.OptText(4);
  r.last_fetched_ms = s.OptInt(5);
  r.last_applied_commit = s.OptText(6);
  r.last_applied_ms = s.OptInt(7);
  r.last_error = s.OptText(8);
  r.created_ms = s.Int(9);
  r.updated_ms = s.Int(10);
  return r;
}

// Runs a statement that must change exactly one source row.
Status RunOne(sqlite::Database& db, sqlite::Statement& s, const std::string& name) {
  if (auto st = s.Run(); !st) return st;
  if (db.Changes() == 0) return Fail(ErrorCode::kNotFound, "no such source (see prisn source ls)", name);
  return {};
}

}  // namespace

Status Store::PutSource(const SourceRecord& source, bool overwrite, const std::string& actor) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  int64_t now = impl.Now();
  auto existing = GetSource(source.name);
  if (!existing) return std::unexpected(existing.error());
  if (*existing && !overwrite) {
    return Fail(ErrorCode::kConflict, "a source with this name exists; delete it first",
                source.name);
  }
  auto s = impl.db.Prepare(
      *existing ? "UPDATE sources SET type = ?2, spec = ?3, suspended = ?4, updated_at = ?5 "
                  "WHERE name = ?1"
                : "INSERT INTO sources (name, type, spec, suspended, created_at, updated_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, source.name).Bind(2, source.type).Bind(3, source.spec_json);
  s->Bind(4, int64_t{source.suspended ? 1 : 0}).Bind(5, now);
  if (auto st = s->Run(); !st) return st;
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  if (auto st = impl.AddScopedEvent(std::nullopt, *existing ? "source-updated" : "source-created",
                                    "source " + source.name + " (" + source.type + ") " +
                                        (*existing ? "updated" : "created"),
                                    actor, *index);
      !st) {
    return st;
  }
  return tx->Commit();
}

Result<std::optional<SourceRecord>> Store::GetSource(const std::string& name) {
  auto s = impl_->db.Prepare(std::string("SELECT ") + kSourceColumns +
                             " FROM sources WHERE name = ?1");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, name);
  auto step = s->Step();
  if (!step) return std::unexpected(step.error());
  if (!*step) return std::optional<SourceRecord>();
  return std::optional<SourceRecord>(ReadSource(*s));
}

Result<std::vector<SourceRecord>> Store::ListSources() {
  auto s =
      impl_->db.Prepare(std::string("SELECT ") + kSourceColumns + " FROM sources ORDER BY name");
  if (!s) return std::unexpected(s.error());
  std::vector<SourceRecord> out;
  for (;;) {
    auto step = s->Step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    out.push_back(ReadSource(*s));
  }
  return out;
}

Status Store::DeleteSource(const std::string& name, const std::string& actor) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto s = impl.db.Prepare("DELETE FROM sources WHERE name = ?1");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, name);
  if (auto st = RunOne(impl.db, *s, name); !st) return st;
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  if (auto st = impl.AddScopedEvent(std::nullopt, "source-deleted", "source " + name + " deleted",
                                    actor, *index);
      !st) {
    return st;
  }
  return tx->Commit();
}

Status Store::SetSourceSuspended(const std::string& name, bool suspended,
                                 const std::string& actor) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto s = impl.db.Prepare("UPDATE sources SET suspended = ?2, updated_at = ?3 WHERE name = ?1");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, name).Bind(2, int64_t{suspended ? 1 : 0}).Bind(3, impl.Now());
  if (auto st = RunOne(impl.db, *s, name); !st) return st;
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  if (auto st = impl.AddScopedEvent(std::nullopt, suspended ? "source-suspended" : "source-resumed",
                                    "source " + name + (suspended ? " suspended" : " resumed"),
                                    actor, *index);
      !st) {
    return st;
  }
  return tx->Commit();
}

Status Store::UpdateSourceStatus(const std::string& name, const SourceStatusUpdate& update) {
  Impl& impl = *impl_;
  int64_t now = impl.Now();
  std::string sql = "UPDATE sources SET updated_at = ?2";
  if (update.fetched_commit) sql += ", last_fetched_commit = ?3, last_fetched_at = ?2";
  if (update.applied_commit) sql += ", last_applied_commit = ?4, last_applied_at = ?2";
  if (update.set_error) sql += ", last_error = ?5";
  sql += " WHERE name = ?1";
  auto s = impl.db.Prepare(sql);
  if (!s) return std::unexpected(s.error());
  s->Bind(1, name).Bind(2, now);
  if (update.fetched_commit) s->Bind(3, *update.fetched_commit);
  if (update.applied_commit) s->Bind(4, *update.applied_commit);
  if (update.set_error) s->Bind(5, update.error);
  return RunOne(impl.db, *s, name);
}

}  // namespace prisn::store
