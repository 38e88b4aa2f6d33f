// Opening the store: pragmas, schema migrations from the embedded schema.sql,
// every prepared statement, and the row helpers the other store files share.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "reconciler/store_impl.h"

namespace prisn::store {
namespace {

struct SchemaStep {
  int version = 0;
  std::string_view sql;
};

// Splits schema.sql at its "-- @version N" lines.
std::vector<SchemaStep> SchemaSteps() {
  constexpr std::string_view kMarker = "-- @version ";
  std::string_view text = SchemaSql();
  std::vector<SchemaStep> steps;
  size_t pos = 0;
  while ((pos = text.find(kMarker, pos)) != std::string_view::npos) {
    if (pos != 0 && text[pos - 1] != '\n') {
      pos += kMarker.size();
      continue;
    }
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    int version =
        std::stoi(std::string(text.substr(pos + kMarker.size(), eol - pos - kMarker.size())));
    if (!steps.empty()) {
      size_t start = static_cast<size_t>(steps.back().sql.data() - text.data());
      steps.back().sql = text.substr(start, pos - start);
    }
    steps.push_back({version, text.substr(eol)});
    pos = eol;
  }
  return steps;
}

Status Migrate(sqlite::Database& db, const std::string& path) {
  auto steps = SchemaSteps();
  auto current = db.QueryInt("PRAGMA user_version");
  if (!current) return std::unexpected(current.error());
  int latest = steps.empty() ? 0 : steps.back().version;
  if (*current > latest) {
    return Fail(ErrorCode::kConflict,
                "the database has schema version " + std::to_string(*current) +
                    ", newer than this prisn understands (" + std::to_string(latest) +
                    "); run a newer prisn, or use another --state-dir",
                path);
  }
  for (const SchemaStep& step : steps) {
    if (step.version <= *current) continue;
    auto tx = sqlite::Transaction::Begin(db);
    if (!tx) return std::unexpected(tx.error());
    if (auto st = db.Exec(step.sql); !st) {
      return Fail(ErrorCode::kInternal,
                  "schema step " + std::to_string(step.version) + " failed: " + st.error().message,
                  path);
    }
    if (auto st = db.Exec("PRAGMA user_version = " + std::to_string(step.version)); !st) return st;
    if (auto st = tx->Commit(); !st) return st;
  }
  return {};
}

Status PrepareAll(sqlite::Database& db, Statements& s) {
  const std::string cols = kObjectColumns;
  struct Item {
    sqlite::Statement* stmt;
    std::string sql;
  };
  std::vector<Item> items = {
      {&s.state_get, "SELECT state_index FROM state WHERE id = 1"},
      {&s.state_bump,
       "UPDATE state SET state_index = state_index + 1 WHERE id = 1 RETURNING state_index"},
      {&s.obj_get,
       "SELECT " + cols + " FROM objects WHERE kind = ?1 AND namespace = ?2 AND name = ?3"},
      {&s.obj_insert,
       "INSERT INTO objects (kind, namespace, name, version, generation, spec, sealed, spec_hash, "
       "sources, "
       "applied_by, apply_set, applied_version, state_index, created_at, updated_at) "
       "VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6, ?7, ?8, ?9, ?10, ?4, ?11, ?12, ?12)"},
      // Replaces the spec in effect; clears the hold unless ?12 (hold) is set.
      {&s.obj_update,
       "UPDATE objects SET version = ?2, generation = ?3, spec = ?4, sealed = ?5, spec_hash = ?6, "
       "sources = ?7, applied_by = ?8, apply_set = ?9, applied_version = ?10, state_index = ?11, "
       "hold_version = ?12, hold_by = ?13, hold_at = ?14, created_at = ?15, updated_at = ?16, "
       "deleted_at = NULL WHERE id = ?1"},
      {&s.obj_delete,
       "UPDATE objects SET deleted_at = ?2, updated_at = ?2, state_index = ?3, apply_set = NULL, "
       "hold_version = NULL, hold_by = NULL, hold_at = NULL WHERE id = ?1"},
      // Metadata only: set membership, last applied version, hold (no spec change).
      {&s.obj_set_meta,
       "UPDATE objects SET apply_set = ?2, applied_version = ?3, hold_version = ?4, hold_by = ?5, "
       "hold_at = ?6, state_index = ?7, updated_at = ?8 WHERE id = ?1"},
      {&s.obj_set_members,
       "SELECT kind, namespace, name FROM objects WHERE apply_set = ?1 AND deleted_at IS NULL "
       "AND (?2 IS NULL OR namespace = ?2) ORDER BY kind, namespace, name"},
      {&s.obj_list, "SELECT " + cols +
                        " FROM objects WHERE deleted_at IS NULL AND (?1 IS NULL OR kind = ?1) "
                        "AND (?2 IS NULL OR namespace = ?2) AND (?3 IS NULL OR apply_set = ?3) "
                        "ORDER BY kind, namespace, name"},
      {&s.obj_count,
       "SELECT kind, count(*) FROM objects WHERE deleted_at IS NULL AND (?1 IS NULL OR namespace = "
       "?1) "
       "GROUP BY kind"},
      {&s.rev_get,
       "SELECT spec, sealed, spec_hash, sources, applied_by, generation FROM revisions "
       "WHERE object_id = ?1 AND version = ?2"},
      {&s.rev_upsert,
       "INSERT INTO revisions (object_id, version, generation, spec, sealed, spec_hash, sources, "
       "applied_by, "
       "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (object_id, version) "
       "DO UPDATE SET "
       "generation = excluded.generation, spec = excluded.spec, sealed = excluded.sealed, "
       "spec_hash = excluded.spec_hash, sources = excluded.sources, applied_by = "
       "excluded.applied_by, "
       "created_at = excluded.created_at"},
      {&s.rev_touch, "UPDATE revisions SET generation = ?3 WHERE object_id = ?1 AND version = ?2"},
      {&s.rev_list,
       "SELECT version, generation, applied_by, created_at, sources FROM revisions WHERE object_id "
       "= ?1 "
       "ORDER BY generation DESC"},
      {&s.rev_previous,
       "SELECT version FROM revisions WHERE object_id = ?1 AND version <> ?2 ORDER BY generation "
       "DESC LIMIT 1"},
      {&s.rev_trim,
       "DELETE FROM revisions WHERE object_id = ?1 AND version NOT IN (?2, ?3, coalesce(?4, '')) "
       "AND version NOT IN (SELECT version FROM revisions WHERE object_id = ?1 "
       "ORDER BY generation DESC LIMIT ?5)"},
      {&s.blob_put, "INSERT OR IGNORE INTO source_blobs (sha256, data) VALUES (?1, ?2)"},
      {&s.blob_get, "SELECT data FROM source_blobs WHERE sha256 = ?1"},
      {&s.blob_gc,
       "DELETE FROM source_blobs WHERE sha256 NOT IN ("
       "SELECT j.value FROM revisions, json_each(revisions.sources) AS j "
       "UNION SELECT j.value FROM objects, json_each(objects.sources) AS j)"},
      {&s.event_insert,
       "INSERT INTO events (time, kind, namespace, name, type, message, actor, state_index) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      // Newest first so that LIMIT keeps the most recent; the caller reverses.
      {&s.event_query,
       "SELECT id, time, kind, namespace, name, type, message, actor, state_index FROM events "
       "WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR namespace = ?2) AND (?3 IS NULL OR name "
       "= ?3) "
       "AND (?4 IS NULL OR time >= ?4) AND (?5 IS NULL OR id > ?5) AND (?6 IS NULL OR namespace = "
       "?6) "
       "ORDER BY id DESC LIMIT ?7"},
      {&s.token_insert,
       "INSERT INTO tokens (id, name, namespace, hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&s.token_list,
       "SELECT id, name, namespace, hash, created_at, revoked_at FROM tokens ORDER BY id"},
      {&s.token_find,
       "SELECT id, name, namespace, hash, created_at, revoked_at FROM tokens "
       "WHERE name = ?1 OR (?2 IS NOT NULL AND id = ?2) ORDER BY (name = ?1) DESC LIMIT 1"},
      {&s.token_revoke, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1"},
      {&s.token_admins,
       "SELECT count(*) FROM tokens WHERE namespace IS NULL AND revoked_at IS NULL"},
      {&s.token_next_id, "SELECT coalesce(max(id), 0) + 1 FROM tokens"},
  };
  for (Item& item : items) {
    auto stmt = db.Prepare(item.sql);
    if (!stmt) return std::unexpected(stmt.error());
    *item.stmt = std::move(*stmt);
  }
  return {};
}

// What an operator does about a damaged database file.
constexpr std::string_view kRestoreAdvice =
    "prisn will not run on a damaged database. Stop here and restore the state directory "
    "(prisn.db with its prisn.db-wal, and secret.key, taken together) from a backup copy; "
    "keep the damaged files aside for inspection";

Error Damaged(const std::string& path, const std::string& what) {
  return Error{ErrorCode::kIo, "the database is damaged (" + what + "). " + std::string(kRestoreAdvice),
               path};
}

// PRAGMA quick_check on an existing file, before anything writes to it: a
// migration or a checkpoint over a corrupt page could spread the damage.
Status CheckIntegrity(sqlite::Database& db, const std::string& path) {
  auto report = db.QuickCheck(kIntegrityCheckBudget);
  if (!report) return std::unexpected(Damaged(path, report.error().message));
  if (!report->problems.empty()) {
    std::string what = "PRAGMA quick_check found " + std::to_string(report->problems.size()) +
                       (report->problems.size() >= 20 ? "+" : "") + " problem(s): ";
    for (size_t i = 0; i < report->problems.size() && i < 3; ++i)
      what += (i ? "; " : "") + report->problems[i];
    return std::unexpected(Damaged(path, what));
  }
  if (!report->complete) {
    spdlog::warn("{}: the integrity check stopped after {} s (a large database); the rest of the "
                 "file was not checked: run `sqlite3 {} 'PRAGMA quick_check'` with the daemon stopped",
                 path, kIntegrityCheckBudget.count() / 1000, path);
  }
  return {};
}

}  // namespace

StoreProbe::StoreProbe(std::string path, std::shared_ptr<const sqlite::Damage> damage)
    : path_(std::move(path)), damage_(std::move(damage)) {}

Status StoreProbe::Check() {
  if (damage_) {
    if (auto what = damage_->Get()) return std::unexpected(Damaged(path_, *what));
  }
  MutexLock lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (checked_ && now - *checked_ < std::chrono::seconds(1)) return last_;
  last_ = Read();
  checked_ = now;
  return last_;
}

Status StoreProbe::Read() {
  if (path_.empty()) return {};  // an in-memory store (tests) has no file to read
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0 || st.st_size == 0) {
    return Fail(ErrorCode::kIo,
                "the database file is missing or empty: writes go to a file no start will find. "
                "Stop the daemon and restore the state directory from a backup copy",
                path_);
  }
  // A connection of its own: the store's caches pages it read long ago.
  auto db = sqlite::Database::OpenExisting(path_);
  if (!db) return std::unexpected(Damaged(path_, db.error().message));
  auto read = db->QueryInt(
      "SELECT (SELECT state_index FROM state WHERE id = 1) + coalesce((SELECT max(rowid) FROM "
      "objects), 0) + coalesce((SELECT max(id) FROM events), 0) + (SELECT count(*) FROM tokens)");
  if (!read) return std::unexpected(Damaged(path_, read.error().message));
  return {};
}

std::string ObjectKey::ToString() const {
  if (ns.empty()) return kind + "/" + name;
  return kind + "/" + ns + "/" + name;
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kCreated:
      return "created";
    case Action::kConfigured:
      return "configured";
    case Action::kUnchanged:
      return "unchanged";
    case Action::kPruned:
      return "pruned";
  }
  return "unchanged";
}

int Store::SchemaVersion() {
  auto steps = SchemaSteps();
  return steps.empty() ? 0 : steps.back().version;
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::Open(const std::string& path, SecretBox box, StoreOptions options) {
  if (options.revision_limit < 1)
    return Fail(ErrorCode::kInvalid, "the revision limit must be at least 1");
  if (!options.now_ms) {
    options.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  struct stat file {};
  bool existing = path != ":memory:" && ::stat(path.c_str(), &file) == 0 && file.st_size > 0;
  auto db = sqlite::Database::Open(path);
  if (!db) return std::unexpected(db.error());
  if (existing) {
    if (auto st = CheckIntegrity(*db, path); !st) return std::unexpected(st.error());
  }
  // WAL lets readers run beside the writer; FULL syncs the WAL on every
  // commit, because every commit here is one the API acknowledges.
  for (const char* pragma :
       {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
    if (auto st = db->Exec(pragma); !st) {
      // "file is not a database": the header itself is gone.
      if (db->damage()->Get()) return std::unexpected(Damaged(path, st.error().message));
      return std::unexpected(st.error());
    }
  }
  if (auto st = Migrate(*db, path); !st) return std::unexpected(st.error());
  auto impl = std::make_unique<Impl>(std::move(*db), std::move(box), std::move(options));
  if (auto st = PrepareAll(impl->db, impl->st); !st) return std::unexpected(st.error());
  return Store(std::move(impl));
}

ObjectRow ReadObjectRow(const sqlite::Statement& s) {
  ObjectRow row;
  row.id = s.Int(0);
  StoredObject& o = row.object;
  o.key = {s.Text(1), s.Text(2), s.Text(3)};
  o.version = s.Text(4);
  o.generation = s.Int(5);
  o.spec_json = s.Text(6);
  if (!s.IsNull(7)) row.sealed = s.Blob(7);
  o.sensitive = row.sealed.has_value();
  row.spec_hash = s.Blob(8);
  row.sources_json = s.Text(9);
  o.sources = ParseSources(row.sources_json);
  o.applied_by = s.Text(10);
  o.apply_set = s.OptText(11);
  o.applied_version = s.Text(12);
  if (auto held = s.OptText(13)) {
    o.hold = Hold{*held, o.applied_version, s.Text(14), s.Int(15)};
  }
  o.state_index = s.Int(16);
  o.created_ms = s.Int(17);
  o.updated_ms = s.Int(18);
  row.deleted_ms = s.OptInt(19);
  return row;
}

std::map<std::string, std::string> ParseSources(const std::string& json) {
  std::map<std::string, std::string> out;
  auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return out;
  for (auto& [path, sha] : parsed.items()) {
    if (sha.is_string()) out[path] = sha.get<std::string>();
  }
  return out;
}

Result<int64_t> Store::Impl::CurrentIndex() {
  sqlite::ResetGuard guard(st.state_get);
  auto row = st.state_get.Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kInternal, "the state row is missing");
  return st.state_get.Int(0);
}

Result<int64_t> Store::Impl::BumpIndex() {
  sqlite::ResetGuard guard(st.state_bump);
  auto row = st.state_bump.Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kInternal, "the state row is missing");
  return st.state_bump.Int(0);
}

Result<std::optional<ObjectRow>> Store::Impl::LoadRow(const ObjectKey& key) {
  sqlite::ResetGuard guard(st.obj_get);
  st.obj_get.Bind(1, key.kind).Bind(2, key.ns).Bind(3, key.name);
  auto row = st.obj_get.Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<ObjectRow>();
  return std::optional<ObjectRow>(ReadObjectRow(st.obj_get));
}

Result<std::string> Store::Impl::PutSources(const std::map<std::string, std::string>& sources) {
  nlohmann::json index = nlohmann::json::object();
  for (const auto& [path, bytes] : sources) {
    std::string sha = Sha256Hex(bytes);
    st.blob_put.Bind(1, sha).BindBlob(2, bytes);
    if (auto s = st.blob_put.Run(); !s) return std::unexpected(s.error());
    index[path] = sha;
  }
  return index.dump();
}

Status Store::Impl::AddEvent(const std::optional<ObjectKey>& key, const std::string& type,
                             const std::string& message, const std::string& actor,
                             int64_t state_index) {
  auto& s = st.event_insert;
  s.Bind(1, Now());
  if (key) {
    s.Bind(2, key->kind).Bind(3, key->ns).Bind(4, key->name);
  } else {
    s.BindNull(2).BindNull(3).BindNull(4);
  }
  s.Bind(5, type).Bind(6, message).Bind(7, actor).Bind(8, state_index);
  return s.Run();
}

Status Store::Impl::AddScopedEvent(const std::optional<std::string>& ns, const std::string& type,
                                   const std::string& message, const std::string& actor,
                                   int64_t state_index) {
  auto& s = st.event_insert;
  s.Bind(1, Now()).BindNull(2).Bind(3, ns).BindNull(4);
  s.Bind(5, type).Bind(6, message).Bind(7, actor).Bind(8, state_index);
  return s.Run();
}

Status Store::Impl::TrimRevisions(int64_t object_id, const std::string& version,
                                  const std::string& applied_version,
                                  const std::optional<std::string>& held) {
  st.rev_trim.Bind(1, object_id).Bind(2, version).Bind(3, applied_version).Bind(4, held);
  st.rev_trim.Bind(5, static_cast<int64_t>(options.revision_limit));
  if (auto s = st.rev_trim.Run(); !s) return s;
  if (db.Changes() > 0) return st.blob_gc.Run();
  return {};
}

Result<int64_t> Store::StateIndex() { return impl_->CurrentIndex(); }

std::shared_ptr<StoreProbe> Store::Probe() const {
  const char* file = sqlite3_db_filename(impl_->db.Get(), "main");
  return std::make_shared<StoreProbe>(file ? file : "", impl_->db.damage());
}

}  // namespace prisn::store
