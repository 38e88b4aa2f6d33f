#pragma once
// The store: desired objects, their revisions and source files, the event log,
// the state index and API tokens, in one SQLite database (schema.sql).
//
// Every write is one transaction committed with synchronous=FULL before the
// call returns: what a caller acknowledges survives a crash, and a failed call
// leaves nothing half-written. A Store is not thread-safe: one owner (the
// server keeps it in a Synchronized<>) calls it at a time.
//
// The store does not parse manifests: callers hand it canonical JSON and the
// version the manifest library computed. Objects marked sensitive (Secret)
// are stored sealed (SecretBox); their clear JSON (`display_json`) must
// already have the values masked.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "manifests/types.h"
#include "reconciler/secret_box.h"
#include "reconciler/states.h"
#include "util/error.h"
#include "util/mutex.h"

namespace prisn::sqlite {
class Damage;
}

namespace prisn::store {

struct ObjectKey {
  std::string kind;  // manifests::KindName: "Deployment" (the loop's run keys: "Run")
  std::string ns;    // "" for kinds without a namespace
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
  bool Is(manifests::Kind k) const { return kind == manifests::KindName(k); }
  std::string ToString() const;  // "Deployment/default/api", "Namespace/team-a"
};

// One object of an apply set, as validated by the manifest library.
struct DesiredObject {
  ObjectKey key;
  std::string version;         // "v-1a2b3c4d"
  std::string canonical_json;  // complete, secret values included
  std::string display_json;    // safe to show; equals canonical_json unless sensitive
  bool sensitive = false;
  std::map<std::string, std::string> sources;  // relative path -> file bytes
};

struct Hold {
  std::string version;    // pinned version
  std::string held_from;  // the version the last apply asked for
  std::string by;
  int64_t at_ms = 0;
};

struct StoredObject {
  ObjectKey key;
  std::string version;
  int64_t generation = 0;
  std::string spec_json;  // display form (secret values masked)
  bool sensitive = false;
  std::map<std::string, std::string> sources;  // relative path -> sha256 hex
  std::string applied_by;
  std::optional<std::string> apply_set;
  std::string applied_version;
  std::optional<Hold> hold;
  int64_t state_index = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

enum class Action { kCreated, kConfigured, kUnchanged, kPruned };
std::string_view ActionName(Action action);  // "created", ...

struct ApplyOptions {
  std::string set;  // required, non-empty
  bool prune = false;
  bool confirm_prune = false;
  bool dry_run = false;                       // compute everything, commit nothing
  std::optional<int64_t> check_index;         // kConflict when the index is past it
  std::string actor;                          // token name or "source:NAME@sha"
  std::optional<std::string> only_namespace;  // prune scope of a namespace token
  // Set by a source's sync: its name. Only it applies into "source:NAME";
  // nothing else may use the "source:" prefix.
  std::optional<std::string> source;
  // An admin's explicit move of objects another source owns (--force).
  // Ignored for namespace tokens and sources.
  bool force = false;
};

struct ApplyItem {
  ObjectKey key;
  Action action = Action::kUnchanged;
  std::string version;  // in effect after the apply (pruned: the last one)
  std::optional<std::string> previous_version;
  bool held = false;  // a rollback hold kept the object where it was
};

struct ApplyResult {
  int64_t state_index = 0;
  std::vector<ApplyItem> items;  // input order, then pruned objects by key
  // Members of the set (in the caller's namespace scope) before the apply.
  size_t members_before = 0;
  // Without prune: the members this apply does not name, which stay behind.
  std::vector<ObjectKey> not_named;
};

// The mass-prune guard, the one place it is decided: a prune that would
// delete more than half of a set's members, and more than one object, needs
// confirm_prune (--confirm-prune, or a source's allowMassPrune). Deleting a
// single object is never a mass deletion: a set whose only object is renamed
// deletes 1 of 1 and creates 1. docs/MANIFEST.md states the rule.
constexpr bool IsMassPrune(size_t doomed, size_t members) {
  return doomed > 1 && doomed * 2 > members;
}

struct Revision {
  std::string version;
  int64_t generation = 0;
  std::string applied_by;
  int64_t created_ms = 0;
  bool current = false;
  std::map<std::string, std::string> sources;  // path -> sha256 hex
};

struct RollbackResult {
  int64_t state_index = 0;
  std::string from_version;
  std::string to_version;
};

struct ListFilter {
  std::optional<std::string> kind;
  std::optional<std::string> ns;
  std::optional<std::string> set;
};

struct Event {
  int64_t id = 0;
  int64_t time_ms = 0;
  std::optional<ObjectKey> object;
  std::string type;
  std::string message;
  std::string actor;
  int64_t state_index = 0;
};

struct EventFilter {
  std::optional<std::string> kind;
  std::optional<std::string> ns;
  std::optional<std::string> name;
  std::optional<int64_t> since_ms;
  std::optional<int64_t> after_id;
  // Namespace tokens: only events of objects in this namespace.
  std::optional<std::string> only_namespace;
  int limit = 100;
};

struct Token {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> ns;  // nullopt: admin
  std::string hash;               // raw hash bytes
  int64_t created_ms = 0;
  std::optional<int64_t> revoked_ms;
};

// One run: an attempt series of a Job object, or a `prisn run`.
struct Run {
  std::string id;   // "r-" + 10 hex; stable, also the log's name
  ObjectKey job;    // the Job object, or kind "Job" + the script's name for `prisn run`
  std::string version;
  bool adhoc = false;  // started by `prisn run`, not by a Job object
  reconciler::RunState state = reconciler::RunState::kPending;
  int attempts = 0;    // started so far
  std::optional<int> exit_code;
  std::string reason;  // "exit 3", "timed out after 30s", "deadline exceeded", ...
  int64_t created_ms = 0;
  std::optional<int64_t> started_ms;
  std::optional<int64_t> finished_ms;
  std::optional<int64_t> next_retry_ms;
  int64_t pid = 0;
  std::string degraded;  // why isolation is lower than asked
};

struct RunQuery {
  std::optional<std::string> ns;
  std::optional<std::string> job;  // the job's name
  std::optional<std::string> version;
  int limit = 50;
};

// A GitOps source row (reconciler/source_store.cc). `spec_json` is the
// definition (reconciler/source_sync.h reads it); the rest is its status.
struct SourceRecord {
  std::string name;
  std::string type;  // "git" | "dir"
  std::string spec_json;
  bool suspended = false;
  std::optional<std::string> last_fetched_commit;
  std::optional<int64_t> last_fetched_ms;
  std::optional<std::string> last_applied_commit;
  std::optional<int64_t> last_applied_ms;
  std::optional<std::string> last_error;  // JSON; nullopt after a success
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

// What one sync attempt changes in a source's status; unset fields stay.
// A Deployment's service address (net/service_address.h allocates them).
struct ServiceAddress {
  std::string ns;
  std::string name;
  std::string address;  // "127.77.0.2"
  int port = 0;         // served port: declared, or picked for `port: auto`
};

struct SourceStatusUpdate {
  std::optional<std::string> fetched_commit;  // with fetched_ms = now
  std::optional<std::string> applied_commit;  // with applied_ms = now
  bool set_error = false;                     // write `error` (nullopt clears)
  std::optional<std::string> error;
};

// What the cron scheduler remembers of a CronJob across restarts.
struct CronState {
  ObjectKey key;  // kind "CronJob"
  // Every scheduled time at or before this is handled (fired, skipped or
  // missed) and never considered again.
  int64_t handled_ms = 0;
  std::optional<int64_t> last_scheduled_ms;  // scheduled time of the last run started
  std::optional<int64_t> last_started_ms;
  std::string last_run;  // its id; empty before the first
  bool suspended = false;  // spec.suspend as last seen
};

struct StoreOptions {
  int revision_limit = 10;          // revisions kept per object (>= 1)
  std::function<int64_t()> now_ms;  // defaults to the system clock
};

// How long Store::Open may spend on PRAGMA quick_check, which reads every
// page: a larger database is checked only this far, with a warning in the
// log, so that a start is never held for long.
inline constexpr std::chrono::milliseconds kIntegrityCheckBudget{10'000};

// A check of the store cheap enough for /health, safe from any thread
// without the store's lock (/health answers on the I/O thread). Fails kIo,
// saying what is damaged, once any statement of the store met a corrupt page,
// "not a database" or an I/O error; or when a fresh connection to the file
// cannot read the core tables (the file deleted, truncated, replaced or
// damaged). The file is read at most once a second; between, the last
// answer is repeated.
class StoreProbe {
 public:
  StoreProbe(std::string path, std::shared_ptr<const sqlite::Damage> damage);
  Status Check();

 private:
  Status Read();
  const std::string path_;
  const std::shared_ptr<const sqlite::Damage> damage_;
  Mutex mu_;
  std::optional<std::chrono::steady_clock::time_point> checked_ PRISN_GUARDED_BY(mu_);
  Status last_ PRISN_GUARDED_BY(mu_);
};

class Store {
 public:
  // Opens or creates the database at `path`, applies WAL, synchronous=FULL and
  // every pending schema step, and prepares all statements. A file that
  // exists is first checked with PRAGMA quick_check (kIntegrityCheckBudget).
  // Fails kConflict when the database has a newer schema than this binary
  // knows (nothing is changed), kIo when the file cannot be opened or is
  // damaged (the message lists what the check found).
  static Result<Store> Open(const std::string& path, SecretBox box, StoreOptions options = {});
  // The probe /health runs; it outlives the store safely.
  std::shared_ptr<StoreProbe> Probe() const;
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  // The schema version this binary writes.
  static int SchemaVersion();

  Result<int64_t> StateIndex();

  // Applies a set atomically. Fails, with nothing written: kConflict when
  // check_index is behind or prune would remove more than half of the set
  // without confirm_prune; kInvalid for an empty set with prune, or an empty
  // set name. Ownership (store_owners.cc): kPermission when the caller may
  // not apply into the set (a "source:" set of another caller, a set another
  // namespace or an admin owns, for a namespace token) or would take an
  // object out of a set its namespace does not own; kConflict when an object
  // is owned by another source (an admin's `force` moves it) or an Ingress
  // would route requests another namespace's Ingress answers.
  Result<ApplyResult> Apply(const std::vector<DesiredObject>& objects, const ApplyOptions& options);

  // Creates or replaces one object outside any apply set (secret create).
  // Fails kConflict when it exists and `overwrite` is false.
  Result<ApplyItem> Put(const DesiredObject& object, bool overwrite, const std::string& actor,
                        int64_t* state_index = nullptr);

  // nullopt when absent or deleted.
  Result<std::optional<StoredObject>> Get(const ObjectKey& key);
  // The complete canonical JSON in effect, decrypted for sensitive objects.
  // Fails kNotFound when absent or deleted. Callers must not log it.
  Result<std::string> GetCanonical(const ObjectKey& key);
  // The source files of the version in effect: path -> bytes.
  Result<std::map<std::string, std::string>> GetSources(const ObjectKey& key);
  Result<std::vector<StoredObject>> List(const ListFilter& filter);
  // kind -> number of live objects (of one namespace when given).
  Result<std::map<std::string, int64_t>> CountObjects(const std::optional<std::string>& ns);

  // Revisions newest first; also for deleted objects. kNotFound if never seen.
  Result<std::vector<Revision>> History(const ObjectKey& key);
  // Restores `version` (default: the newest revision other than the one in
  // effect) and records a hold. kNotFound: no such object or version;
  // kConflict: nothing to roll back to; kInvalid: already at that version.
  Result<RollbackResult> Rollback(const ObjectKey& key, const std::optional<std::string>& version,
                                  const std::string& actor);
  // Lifts a hold, restoring what the last apply asked for. kConflict: no hold.
  Result<RollbackResult> Release(const ObjectKey& key, const std::string& actor);
  // The display JSON (secret values masked) of the revision that
  // Rollback(key, version) would restore, or Release(key) when `release`:
  // the API checks what a version asks of the host before restoring it.
  // Fails as Rollback and Release would (kNotFound, kConflict, kInvalid).
  Result<std::string> RestoreTargetSpec(const ObjectKey& key,
                                        const std::optional<std::string>& version, bool release);
  // Soft-deletes (history stays). Returns the deleted object; kNotFound.
  Result<StoredObject> Delete(const ObjectKey& key, bool dry_run, const std::string& actor,
                              int64_t* state_index = nullptr);

  // Oldest first, at most filter.limit (the newest ones when more match).
  Result<std::vector<Event>> Events(const EventFilter& filter);
  // An event that changes no object (daemon start/stop).
  Status RecordEvent(const std::string& type, const std::string& message, const std::string& actor);

  // Sets spec.replicas of a Deployment. Replicas are not part of the
  // version, so nothing restarts; the generation and the state index move and
  // a "scaled" event is recorded. kNotFound; kInvalid for other kinds or a
  // negative count. Returns the new state index.
  Result<int64_t> SetReplicas(const ObjectKey& key, int replicas, const std::string& actor);
  // An event about one object (the converge loop's actions and findings).
  Status RecordObjectEvent(const ObjectKey& key, const std::string& type,
                           const std::string& message, const std::string& actor);

  // Runs. PutRun inserts or replaces by id.
  Status PutRun(const Run& run);
  Result<std::optional<Run>> GetRun(const std::string& id);
  // Newest first.
  Result<std::vector<Run>> ListRuns(const RunQuery& query);
  // At start-up: runs left "running" or "pending" by a daemon that died are
  // marked failed with `reason`. Returns them.
  Result<std::vector<Run>> FailUnfinishedRuns(const std::string& reason);
  // Deletes finished runs of `job` beyond the newest `keep` (per outcome:
  // succeeded and failed separately). Returns the removed runs.
  Result<std::vector<Run>> TrimRuns(const ObjectKey& job, int keep_succeeded, int keep_failed);

  // Cron state (store_cron.cc). nullopt: the scheduler never saw it.
  Result<std::optional<CronState>> GetCronState(const ObjectKey& key);
  // Writes `state`, and `run` and the events {type, message} in the same
  // transaction when given: a fire is never recorded without its run, nor a
  // run without the mark that keeps it from firing again (one commit, one
  // fsync, per fire).
  Status PutCronState(const CronState& state, const Run* run = nullptr,
                      const std::vector<std::pair<std::string, std::string>>& events = {});
  Status DeleteCronState(const ObjectKey& key);
  // Sets spec.suspend of a CronJob (`prisn scale NAME 0|1`). Like replicas,
  // suspend is not part of the version: the generation and the state index
  // move and a "suspended"/"resumed" event is recorded. kNotFound; kInvalid
  // for other kinds. Returns the new state index.
  Result<int64_t> SetSuspend(const ObjectKey& key, bool suspend, const std::string& actor);

  // The last version of a workload that was fully healthy (autoRevert's
  // target); nullopt when none yet.
  Result<std::optional<std::string>> HealthyVersion(const ObjectKey& key);
  Status SetHealthyVersion(const ObjectKey& key, const std::string& version);

  // Tokens. `hash` is computed by the caller; the clear token never arrives
  // here. Fails kConflict when the name is taken.
  Result<Token> CreateToken(const std::optional<std::string>& name,
                            const std::optional<std::string>& ns, const std::string& hash,
                            const std::string& actor);
  Result<std::vector<Token>> ListTokens();
  // By decimal id or by name. kNotFound; kConflict for the last admin token.
  Result<Token> RevokeToken(const std::string& id_or_name, const std::string& actor);

  // GitOps sources. PutSource fails kConflict when the name is taken and
  // `overwrite` is false (status columns are kept on overwrite).
  Status PutSource(const SourceRecord& source, bool overwrite, const std::string& actor);
  Result<std::optional<SourceRecord>> GetSource(const std::string& name);
  Result<std::vector<SourceRecord>> ListSources();  // by name
  // kNotFound. The objects the source applied stay (they keep their set).
  Status DeleteSource(const std::string& name, const std::string& actor);
  Status SetSourceSuspended(const std::string& name, bool suspended, const std::string& actor);
  Status UpdateSourceStatus(const std::string& name, const SourceStatusUpdate& update);

  // Webhook deliveries (table webhook_deliveries), by source: records the
  // `keys` (server/webhook.h WebhookDeliveryKeys) of a delivery and returns
  // true; returns false, recording nothing, when one of them was recorded
  // after `since_ms` (a redelivery or a replay). Rows older than `since_ms`
  // go, and all but the newest `keep` of the source.
  Result<bool> RememberWebhookDelivery(const std::string& source,
                                       const std::vector<std::string>& keys, int64_t since_ms,
                                       int keep);

  // Service addresses (table service_addresses): by (namespace, name).
  Result<std::vector<ServiceAddress>> ListServiceAddresses();
  // Inserts or replaces. kConflict when another service holds the address.
  Status PutServiceAddress(const ServiceAddress& address);
  // Deleting an unknown service is not an error.
  Status DeleteServiceAddress(const std::string& ns, const std::string& name);

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The embedded schema.sql text.
std::string_view SchemaSql();

}  // namespace prisn::store
