#pragma once
// Internal to the store (store*.cc): the connection, every prepared
// statement, and the row helpers the store files share.

#include <functional>
#include <optional>
#include <string>

#include "reconciler/secret_box.h"
#include "reconciler/sqlite.h"
#include "reconciler/store.h"

#include <nlohmann/json.hpp>

namespace prisn::store {

// An objects row with the columns the public StoredObject hides.
struct ObjectRow {
  int64_t id = 0;
  StoredObject object;
  std::optional<std::string> sealed;
  std::string spec_hash;
  std::string sources_json;
  std::optional<int64_t> deleted_ms;
};

struct Statements {
  sqlite::Statement state_get, state_bump;
  sqlite::Statement obj_get, obj_insert, obj_update, obj_delete, obj_set_meta;
  sqlite::Statement obj_set_members, obj_list, obj_count;
  sqlite::Statement rev_get, rev_upsert, rev_touch, rev_list, rev_previous, rev_trim;
  sqlite::Statement blob_put, blob_get, blob_gc;
  sqlite::Statement event_insert, event_query;
  sqlite::Statement token_insert, token_list, token_find, token_revoke, token_admins, token_next_id;
};

struct Store::Impl {
  sqlite::Database db;  // declared first: destroyed after the statements
  Statements st;
  SecretBox box;
  StoreOptions options;

  Impl(sqlite::Database database, SecretBox secret_box, StoreOptions opts)
      : db(std::move(database)), box(std::move(secret_box)), options(std::move(opts)) {}

  int64_t Now() const { return options.now_ms(); }

  Result<int64_t> CurrentIndex();
  // Bumps the state index by one; returns the new value.
  Result<int64_t> BumpIndex();
  Result<std::optional<ObjectRow>> LoadRow(const ObjectKey& key);
  // Stores the blobs and returns the {path: sha256} JSON.
  Result<std::string> PutSources(const std::map<std::string, std::string>& sources);
  Status AddEvent(const std::optional<ObjectKey>& key, const std::string& type,
                  const std::string& message, const std::string& actor, int64_t state_index);
  // An event about no single object, visible to admins and, when `ns` is
  // given, to that namespace's tokens.
  Status AddScopedEvent(const std::optional<std::string>& ns, const std::string& type,
                        const std::string& message, const std::string& actor, int64_t state_index);
  // Sets spec.<field> of a live object to `value` without touching its
  // version (scaling, suspending: nothing restarts). The keyed hash covers
  // the field, so that a later apply of the file's own value is a change
  // that restores it (git's word wins); generation and state index move and
  // the event `describe(previous value)` returns {type, message} is
  // recorded, all in one transaction. An unchanged value writes nothing and
  // returns the current index. `fallback`: the value when the field is absent.
  Result<int64_t> SetSpecField(
      const ObjectKey& key, const std::string& field, const nlohmann::ordered_json& value,
      const nlohmann::ordered_json& fallback, const std::string& actor,
      const std::function<std::pair<std::string, std::string>(const nlohmann::ordered_json&)>&
          describe);
  // Keeps the newest revision_limit revisions of an object, plus the ones in
  // effect, last applied and held; then drops source blobs nothing refers to.
  Status TrimRevisions(int64_t object_id, const std::string& version,
                       const std::string& applied_version, const std::optional<std::string>& held);
};

// Ownership checks of an apply (store_owners.cc), run inside its
// transaction. CheckSetOwner: kPermission when the caller may not apply into
// opt.set (a source's set, or a set another namespace owns); records the
// owner of a set seen for the first time. CheckAdoption: whether `key`, live
// in set `from`, may move into opt.set (kConflict: another source owns it;
// kPermission: a namespace token taking it from a set it does not own).
// CheckIngressClaims: kConflict, naming the holder, when an Ingress of the
// apply would route requests another namespace's Ingress answers.
Status CheckSetOwner(Store::Impl& impl, const ApplyOptions& opt);
Status CheckAdoption(Store::Impl& impl, const ObjectKey& key, const std::string& from,
                     const ApplyOptions& opt);
Status CheckIngressClaims(Store::Impl& impl, const std::vector<DesiredObject>& objects);

// Column list shared by every SELECT of an objects row, and its reader.
inline constexpr char kObjectColumns[] =
    "id, kind, namespace, name, version, generation, spec, sealed, spec_hash, sources, applied_by, "
    "apply_set, applied_version, hold_version, hold_by, hold_at, state_index, created_at, "
    "updated_at, "
    "deleted_at";
ObjectRow ReadObjectRow(const sqlite::Statement& stmt);

std::map<std::string, std::string> ParseSources(const std::string& json);

}  // namespace prisn::store
