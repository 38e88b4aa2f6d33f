// Who may write what in an apply (docs/API.md "Apply sets and ownership"):
// the owner of an apply set, the owner of an object that changes sets, and
// the namespace that holds an Ingress route. These checks run inside the
// apply's transaction, in the store, so that every path into desired state
// (the API, git and folder sources) meets the same rules.
#include <fmt/core.h>

#include <algorithm>

#include "manifests/ingress_claims.h"
#include "reconciler/store_impl.h"

namespace prisn::store {
namespace {

constexpr std::string_view kSourcePrefix = "source:";

bool IsAdmin(const ApplyOptions& opt) { return !opt.only_namespace && !opt.source; }

// The owner a set's row says (nullopt inside: an admin), or no row.
Result<std::optional<std::optional<std::string>>> StoredOwner(Store::Impl& impl,
                                                              const std::string& set) {
  auto s = impl.db.Prepare("SELECT namespace FROM apply_sets WHERE name = ?1");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, set);
  auto row = s->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::optional<std::string>>();
  return std::optional<std::optional<std::string>>(s->OptText(0));
}

// The owner of a set made before sets had owners: the namespace all its
// members share, else an admin. nullopt (outer) for a set with no members.
Result<std::optional<std::optional<std::string>>> DerivedOwner(Store::Impl& impl,
                                                               const std::string& set) {
  auto s = impl.db.Prepare(
      "SELECT DISTINCT namespace FROM objects WHERE apply_set = ?1 AND deleted_at IS NULL "
      "LIMIT 2");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, set);
  std::vector<std::string> namespaces;
  for (;;) {
    auto row = s->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    namespaces.push_back(s->Text(0));
  }
  if (namespaces.empty()) return std::optional<std::optional<std::string>>();
  std::optional<std::string> owner;
  // Namespace objects have no namespace: a set holding them is an admin's.
  if (namespaces.size() == 1 && !namespaces.front().empty()) owner = namespaces.front();
  return std::optional<std::optional<std::string>>(owner);
}

Result<bool> SourceExists(Store::Impl& impl, const std::string& name,
                          std::optional<std::string>* commit) {
  auto s = impl.db.Prepare("SELECT last_applied_commit FROM sources WHERE name = ?1");
  if (!s) return std::unexpected(s.error());
  s->Bind(1, name);
  auto row = s->Step();
  if (!row) return std::unexpected(row.error());
  if (*row && commit) *commit = s->OptText(0);
  return *row;
}

std::string NotOwnedMessage(const std::string& set, const std::string& ns) {
  return fmt::format(
      "set {} is not owned by namespace {}: a set belongs to the namespace whose token first "
      "applied into it (or to an admin), and a namespace token applies only into its own sets; "
      "apply into a set of your own (--set NAME)",
      set, ns);
}

}  // namespace

Status CheckSetOwner(Store::Impl& impl, const ApplyOptions& opt) {
  const std::string& set = opt.set;
  if (set.starts_with(kSourcePrefix)) {
    if (opt.source && set == std::string(kSourcePrefix) + *opt.source) return {};
    return Fail(ErrorCode::kPermission,
                fmt::format("set {} belongs to the GitOps source {}: only its sync applies into "
                            "it (set names starting with \"source:\" are reserved for sources); "
                            "change the source's repository, or apply into a set of your own "
                            "(--set NAME)",
                            set, set.substr(kSourcePrefix.size())));
  }
  if (opt.source) {
    return Fail(ErrorCode::kInternal,
                "source " + *opt.source + " applied into set " + set + " instead of its own");
  }
  auto stored = StoredOwner(impl, set);
  if (!stored) return std::unexpected(stored.error());
  std::optional<std::string> owner;
  if (*stored) {
    owner = **stored;
  } else {
    auto derived = DerivedOwner(impl, set);
    if (!derived) return std::unexpected(derived.error());
    // A new set is its creator's.
    owner = *derived ? **derived : opt.only_namespace;
    auto s = impl.db.Prepare(
        "INSERT INTO apply_sets (name, namespace, created_by, created_at) VALUES (?1, ?2, ?3, ?4)");
    if (!s) return std::unexpected(s.error());
    s->Bind(1, set).Bind(2, owner).Bind(3, opt.actor).Bind(4, impl.Now());
    if (auto st = s->Run(); !st) return st;
  }
  // An admin may apply into any set that is not a source's; the set keeps
  // its owner.
  if (opt.only_namespace && owner != opt.only_namespace)
    return Fail(ErrorCode::kPermission, NotOwnedMessage(set, *opt.only_namespace));
  return {};
}

Status CheckAdoption(Store::Impl& impl, const ObjectKey& key, const std::string& from,
                     const ApplyOptions& opt) {
  if (from.starts_with(kSourcePrefix)) {
    std::string owner = from.substr(kSourcePrefix.size());
    std::optional<std::string> commit;
    auto exists = SourceExists(impl, owner, &commit);
    if (!exists) return std::unexpected(exists.error());
    // A deleted source's objects are nobody's: anyone who may write the
    // namespace takes them over.
    if (!*exists) return {};
    if (opt.source) {
      return Fail(ErrorCode::kConflict,
                  fmt::format("defined by source {} but already owned by source {}: an object "
                              "belongs to one source; remove it from one of the two "
                              "repositories (or delete source {})",
                              *opt.source, owner, owner),
                  key.ToString());
    }
    if (IsAdmin(opt) && opt.force) return {};
    std::string c = commit ? commit->substr(0, 12) : "unknown";
    return Fail(ErrorCode::kConflict,
                fmt::format("owned by source {} (commit {}): change it there{}", owner, c,
                            IsAdmin(opt) ? ", or pass --force (the next sync of the source "
                                           "restores what it says)"
                                         : "; only an admin token can move it (--force)"),
                key.ToString());
  }
  // Sources and admins move objects between ordinary sets (a source's sync
  // restores what an edit took away); a namespace token only out of sets its
  // namespace owns.
  if (!opt.only_namespace) return {};
  auto stored = StoredOwner(impl, from);
  if (!stored) return std::unexpected(stored.error());
  std::optional<std::optional<std::string>> owner = *stored;
  if (!owner) {
    auto derived = DerivedOwner(impl, from);
    if (!derived) return std::unexpected(derived.error());
    owner = *derived;
  }
  if (owner && *owner == opt.only_namespace) return {};
  return Fail(ErrorCode::kPermission,
              fmt::format("in set {}, which namespace {} does not own: apply it with that "
                          "set's owner, delete it first, or ask an admin to move it",
                          from, *opt.only_namespace),
              key.ToString());
}

namespace {

struct Claimant {
  ObjectKey key;
  std::vector<manifests::RouteClaim> claims;
};

}  // namespace

Status CheckIngressClaims(Store::Impl& impl, const std::vector<DesiredObject>& objects) {
  std::map<ObjectKey, const DesiredObject*> incoming;
  for (const DesiredObject& d : objects) {
    if (d.key.Is(manifests::Kind::kIngress)) incoming[d.key] = &d;
  }
  if (incoming.empty()) return {};
  auto s = impl.db.Prepare(
      "SELECT namespace, name, spec FROM objects WHERE kind = 'Ingress' AND deleted_at IS NULL");
  if (!s) return std::unexpected(s.error());
  // What is routed now, and what will be after this apply.
  std::map<ObjectKey, std::vector<manifests::RouteClaim>> now, after;
  for (;;) {
    auto row = s->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    ObjectKey key{"Ingress", s->Text(0), s->Text(1)};
    auto json = nlohmann::json::parse(s->Text(2), nullptr, false);
    now[key] = after[key] = manifests::RouteClaimsFromCanonical(json);
  }
  for (const auto& [key, d] : incoming) {
    auto json = nlohmann::json::parse(d->canonical_json, nullptr, false);
    after[key] = manifests::RouteClaimsFromCanonical(json);
  }
  for (const auto& [key, d] : incoming) {
    std::vector<manifests::RouteClaim> held;  // the namespace's routes today
    for (const auto& [k, claims] : now) {
      if (k.ns == key.ns) held.insert(held.end(), claims.begin(), claims.end());
    }
    for (const manifests::RouteClaim& claim : after[key]) {
      // A route its namespace holds already is not a new claim: it was
      // checked when it was made, and it stays its namespace's.
      if (std::find(held.begin(), held.end(), claim) != held.end()) continue;
      for (const auto& [other, claims] : after) {
        if (other.ns == key.ns) continue;
        for (const manifests::RouteClaim& c : claims) {
          auto why = manifests::ClaimConflict(claim, c, held);
          if (!why) continue;
          return Fail(
              ErrorCode::kConflict,
              fmt::format("cannot route {}: namespace {} claimed it first with {} ({}); a "
                          "route belongs to the namespace that claimed it first. Pick another "
                          "host, path or port, or remove the route from {} first (its namespace "
                          "or an admin can) and apply again",
                          manifests::Describe(claim), other.ns, other.ToString(), *why,
                          other.ToString()),
              key.ToString());
        }
      }
    }
  }
  return {};
}

}  // namespace prisn::store
