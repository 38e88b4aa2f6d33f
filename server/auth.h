#pragma once
// API tokens: generation, hashing, and the in-memory registry of valid
// tokens that every request is checked against before routing. The registry
// mirrors the store's tokens table; the clear token never leaves the request
// that created it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "manifests/types.h"
#include "reconciler/store.h"
#include "util/synchronized.h"

namespace prisn::server {

// Who a request acts as.
struct Principal {
  int64_t token_id = 0;
  std::string name;               // the token's name: the actor in events
  std::optional<std::string> ns;  // nullopt: admin

  bool admin() const { return !ns.has_value(); }
  // May this principal see or change objects in namespace `object_ns`?
  // Objects without a namespace ("") are admin-only.
  bool MayAccess(std::string_view object_ns) const { return admin() || *ns == object_ns; }
};

// What a workload may ask of the host (docs/SECURITY.md). Isolation level 0
// runs it as the daemon's own user (root, on a packaged install) with the
// host's files, processes and network; `isolation.user` runs it as a named
// host user, with that user's files. Either hands the host to whoever wrote
// the manifest, so only an admin token may ask for them; namespace tokens may
// name the host users the daemon was started to allow (--allow-host-user).
struct HostAccessPolicy {
  std::set<std::string> allowed_users;  // names or uids, as isolation.user spells them
  // False when the daemon cannot isolate (it does not run as root): every
  // workload would then run as the daemon's own user, the owner of the state
  // dir and the admin token, so no namespace token may start one.
  bool isolates = true;
};

// kPermission (a 403) saying what `object` ("Job team-a/report") asks for,
// that it needs an admin token and what to do instead, when `who` may not run
// a workload with this isolation; ok otherwise. Levels above the default (2)
// are always allowed: they only take privileges away.
Status CheckHostAccess(const Principal& who, const HostAccessPolicy& policy,
                       std::string_view object, int level, std::string_view user);
// The same for a typed object (Deployment, Job, CronJob). A Runner in the
// "default" namespace is admin-only too: every namespace's workloads may run
// with it. Other kinds pass.
Status CheckHostAccess(const Principal& who, const HostAccessPolicy& policy,
                       const manifests::Object& object);
// The same for an object as the store keeps it (display JSON with
// spec.isolation {level, user}): a rollback restores such a revision. A
// workload whose isolation cannot be read is refused to a namespace token.
Status CheckHostAccess(const Principal& who, const HostAccessPolicy& policy,
                       const store::ObjectKey& key, std::string_view spec_json);

// "prisn_" + 43 URL-safe base64 characters (32 random bytes).
std::string GenerateToken();
// BLAKE2b-256 of the token, raw bytes: what the store keeps.
std::string HashToken(std::string_view token);

class TokenRegistry {
 public:
  // Replaces the registry with the store's live (not revoked) tokens.
  void Load(const std::vector<store::Token>& tokens);
  void Add(const store::Token& token);
  void Remove(int64_t token_id);
  // The principal of a header value "Bearer prisn_..."; nullopt when the
  // header is malformed or the token unknown or revoked.
  std::optional<Principal> Authenticate(std::string_view authorization) const;

 private:
  Synchronized<std::map<std::string, Principal>> by_hash_;
};

}  // namespace prisn::server
