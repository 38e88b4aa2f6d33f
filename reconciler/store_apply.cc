// Writes to desired state: apply of a set (with prune and its guards), put of
// one object, delete. Each public call is one transaction; the state index
// moves by one per call that changed anything.
#include <fmt/core.h>

#include <set>

#include "reconciler/store_impl.h"

namespace prisn::store {
namespace {

// What an apply writes for one object: the spec in effect plus everything the
// row needs (sealed copy, keyed hash, source index).
struct PreparedSpec {
  std::string shown;  // clear JSON (secret values masked)
  std::optional<std::string> sealed;
  std::string hash;
  std::string sources_json;
};

Result<PreparedSpec> Prepare(Store::Impl& impl, const DesiredObject& d) {
  PreparedSpec p;
  p.shown = d.sensitive ? d.display_json : d.canonical_json;
  if (d.sensitive) p.sealed = impl.box.Seal(d.canonical_json);
  // The version covers the source files, the JSON covers fields the version
  // leaves out (replicas): together they say whether anything changed.
  p.hash = impl.box.Hash(d.version + "\n" + d.canonical_json);
  auto sources = impl.PutSources(d.sources);
  if (!sources) return std::unexpected(sources.error());
  p.sources_json = std::move(*sources);
  return p;
}

Status WriteRevision(Store::Impl& impl, int64_t id, const std::string& version, int64_t generation,
                     const PreparedSpec& p, const std::string& actor, int64_t now) {
  auto& s = impl.st.rev_upsert;
  s.Bind(1, id).Bind(2, version).Bind(3, generation).Bind(4, p.shown);
  if (p.sealed)
    s.BindBlob(5, *p.sealed);
  else
    s.BindNull(5);
  s.BindBlob(6, p.hash).Bind(7, p.sources_json).Bind(8, actor).Bind(9, now);
  return s.Run();
}

// Replaces the spec in effect of an existing row.
Status UpdateSpec(Store::Impl& impl, int64_t id, const std::string& version, int64_t generation,
                  const PreparedSpec& p, const std::string& applied_by,
                  const std::optional<std::string>& set, const std::string& applied_version,
                  const std::optional<Hold>& hold, int64_t state_index, int64_t created,
                  int64_t now) {
  auto& s = impl.st.obj_update;
  s.Bind(1, id).Bind(2, version).Bind(3, generation).Bind(4, p.shown);
  if (p.sealed)
    s.BindBlob(5, *p.sealed);
  else
    s.BindNull(5);
  s.BindBlob(6, p.hash)
      .Bind(7, p.sources_json)
      .Bind(8, applied_by)
      .Bind(9, set)
      .Bind(10, applied_version);
  s.Bind(11, state_index);
  if (hold) {
    s.Bind(12, hold->version).Bind(13, hold->by).Bind(14, hold->at_ms);
  } else {
    s.BindNull(12).BindNull(13).BindNull(14);
  }
  s.Bind(15, created).Bind(16, now);
  return s.Run();
}

Status SetMeta(Store::Impl& impl, int64_t id, const std::optional<std::string>& set,
               const std::string& applied_version, const std::optional<Hold>& hold,
               int64_t state_index, int64_t now) {
  auto& s = impl.st.obj_set_meta;
  s.Bind(1, id).Bind(2, set).Bind(3, applied_version);
  if (hold) {
    s.Bind(4, hold->version).Bind(5, hold->by).Bind(6, hold->at_ms);
  } else {
    s.BindNull(4).BindNull(5).BindNull(6);
  }
  s.Bind(7, state_index).Bind(8, now);
  return s.Run();
}

std::string SetName(const std::optional<std::string>& set) {
  return set ? "set " + *set : "no set";
}

// Creates or updates one object. `set` nullptr keeps the object's set (a new
// object then belongs to none). `apply`: the options of an apply, whose
// caller must be allowed to take the object from the set it is in. Sets
// `changed` when a row was written.
Result<ApplyItem> Upsert(Store::Impl& impl, const DesiredObject& d,
                         const std::optional<std::string>* set, const std::string& actor,
                         int64_t new_index, bool& changed, const ApplyOptions* apply = nullptr) {
  auto loaded = impl.LoadRow(d.key);
  if (!loaded) return std::unexpected(loaded.error());
  auto prepared = Prepare(impl, d);
  if (!prepared) return std::unexpected(prepared.error());
  const PreparedSpec& p = *prepared;
  int64_t now = impl.Now();
  ApplyItem item{d.key, Action::kCreated, d.version, std::nullopt, false};

  if (!*loaded || (*loaded)->deleted_ms) {
    std::optional<std::string> target_set = set ? *set : std::nullopt;
    int64_t id = 0;
    int64_t generation = 1;
    if (!*loaded) {
      auto& s = impl.st.obj_insert;
      s.Bind(1, d.key.kind)
          .Bind(2, d.key.ns)
          .Bind(3, d.key.name)
          .Bind(4, d.version)
          .Bind(5, p.shown);
      if (p.sealed)
        s.BindBlob(6, *p.sealed);
      else
        s.BindNull(6);
      s.BindBlob(7, p.hash)
          .Bind(8, p.sources_json)
          .Bind(9, actor)
          .Bind(10, target_set)
          .Bind(11, new_index);
      s.Bind(12, now);
      if (auto st = s.Run(); !st) return std::unexpected(st.error());
      id = impl.db.LastInsertRowid();
    } else {
      id = (*loaded)->id;
      generation = (*loaded)->object.generation + 1;
      if (auto st = UpdateSpec(impl, id, d.version, generation, p, actor, target_set, d.version,
                               std::nullopt, new_index, now, now);
          !st) {
        return std::unexpected(st.error());
      }
    }
    if (auto st = WriteRevision(impl, id, d.version, generation, p, actor, now); !st)
      return std::unexpected(st.error());
    if (auto st = impl.TrimRevisions(id, d.version, d.version, std::nullopt); !st)
      return std::unexpected(st.error());
    if (auto st = impl.AddEvent(d.key, "created",
                                "created at " + d.version + " (" + SetName(target_set) + ")", actor,
                                new_index);
        !st) {
      return std::unexpected(st.error());
    }
    changed = true;
    return item;
  }

  const ObjectRow& row = **loaded;
  const StoredObject& cur = row.object;
  std::optional<std::string> target_set = set ? *set : cur.apply_set;
  item.previous_version = cur.version;
  bool adopted = target_set != cur.apply_set;
  if (adopted && apply && cur.apply_set) {
    if (auto st = CheckAdoption(impl, d.key, *cur.apply_set, *apply); !st)
      return std::unexpected(st.error());
  }
  if (adopted) {
    std::string message =
        fmt::format("moved from {} to {}", SetName(cur.apply_set), SetName(target_set));
    if (auto st = impl.AddEvent(d.key, "adopted", message, actor, new_index); !st)
      return std::unexpected(st.error());
  }

  // A hold stays while applies keep asking for the version it replaced.
  if (cur.hold && d.version == cur.applied_version) {
    item.action = Action::kUnchanged;
    item.version = cur.version;
    item.held = true;
    if (adopted) {
      if (auto st =
              SetMeta(impl, row.id, target_set, cur.applied_version, cur.hold, new_index, now);
          !st) {
        return std::unexpected(st.error());
      }
      changed = true;
    }
    return item;
  }
  if (cur.hold) {
    std::string message =
        fmt::format("apply asked for {}; hold on {} lifted", d.version, cur.hold->version);
    if (auto st = impl.AddEvent(d.key, "hold-lifted", message, actor, new_index); !st)
      return std::unexpected(st.error());
  }

  if (p.hash == row.spec_hash) {
    item.action = Action::kUnchanged;
    if (adopted || cur.hold || cur.applied_version != d.version) {
      if (auto st = SetMeta(impl, row.id, target_set, d.version, std::nullopt, new_index, now);
          !st) {
        return std::unexpected(st.error());
      }
      changed = true;
    }
    return item;
  }

  int64_t generation = cur.generation + 1;
  if (auto st = UpdateSpec(impl, row.id, d.version, generation, p, actor, target_set, d.version,
                           std::nullopt, new_index, cur.created_ms, now);
      !st) {
    return std::unexpected(st.error());
  }
  if (auto st = WriteRevision(impl, row.id, d.version, generation, p, actor, now); !st)
    return std::unexpected(st.error());
  if (auto st = impl.TrimRevisions(row.id, d.version, d.version, std::nullopt); !st)
    return std::unexpected(st.error());
  std::string message = cur.version == d.version
                            ? fmt::format("spec changed, version stays {}", d.version)
                            : fmt::format("{} -> {}", cur.version, d.version);
  if (auto st = impl.AddEvent(d.key, "configured", message, actor, new_index); !st)
    return std::unexpected(st.error());
  item.action = Action::kConfigured;
  changed = true;
  return item;
}

Result<std::vector<ObjectKey>> SetMembers(Store::Impl& impl, const std::string& set,
                                          const std::optional<std::string>& ns) {
  auto& s = impl.st.obj_set_members;
  sqlite::ResetGuard guard(s);
  s.Bind(1, set).Bind(2, ns);
  std::vector<ObjectKey> out;
  for (;;) {
    auto row = s.Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({s.Text(0), s.Text(1), s.Text(2)});
  }
  return out;
}

Status SoftDelete(Store::Impl& impl, int64_t id, int64_t state_index) {
  impl.st.obj_delete.Bind(1, id).Bind(2, impl.Now()).Bind(3, state_index);
  return impl.st.obj_delete.Run();
}

}  // namespace

Result<ApplyResult> Store::Apply(const std::vector<DesiredObject>& objects,
                                 const ApplyOptions& opt) {
  Impl& impl = *impl_;
  if (opt.set.empty()) return Fail(ErrorCode::kInvalid, "an apply needs a set name");
  if (opt.prune && objects.empty()) {
    return Fail(ErrorCode::kInvalid,
                "the set is empty and prune is on: an empty set never prunes (it would delete "
                "every object of set " +
                    opt.set + "); delete objects one by one with prisn delete");
  }
  std::set<ObjectKey> keys;
  for (const DesiredObject& d : objects) {
    if (!keys.insert(d.key).second)
      return Fail(ErrorCode::kInvalid, "the set names this object twice", d.key.ToString());
  }

  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  if (opt.check_index && *index > *opt.check_index) {
    return Fail(ErrorCode::kConflict,
                fmt::format("the state index is {}, past checkIndex {}: the state changed "
                            "since that diff; run diff again and review it",
                            *index, *opt.check_index));
  }
  if (auto st = CheckSetOwner(impl, opt); !st) return std::unexpected(st.error());
  if (auto st = CheckIngressClaims(impl, objects); !st) return std::unexpected(st.error());
  // Prune compares against the membership before this apply; without prune
  // the members the set no longer names are reported (a diff shows them).
  auto members = SetMembers(impl, opt.set, opt.only_namespace);
  if (!members) return std::unexpected(members.error());

  int64_t new_index = *index + 1;
  bool changed = false;
  ApplyResult result;
  std::optional<std::string> set = opt.set;
  for (const DesiredObject& d : objects) {
    auto item = Upsert(impl, d, &set, opt.actor, new_index, changed, &opt);
    if (!item) {
      Error err = item.error();
      if (err.context.empty()) err.context = d.key.ToString();
      return std::unexpected(err);
    }
    result.items.push_back(std::move(*item));
  }

  std::vector<ObjectKey> doomed;
  for (const ObjectKey& key : *members) {
    if (!keys.contains(key)) doomed.push_back(key);
  }
  result.members_before = members->size();
  if (!opt.prune) {
    result.not_named = std::move(doomed);
  } else {
    if (IsMassPrune(doomed.size(), members->size()) && !opt.confirm_prune) {
      return Fail(
          ErrorCode::kConflict,
          fmt::format(
              "prune would delete {} of the {} objects of set {} (more than half); check the "
              "paths, then confirm with confirmPrune (--confirm-prune)",
              doomed.size(), members->size(), opt.set));
    }
    for (const ObjectKey& key : doomed) {
      auto row = impl.LoadRow(key);
      if (!row) return std::unexpected(row.error());
      if (!*row) continue;
      if (auto st = SoftDelete(impl, (*row)->id, new_index); !st)
        return std::unexpected(st.error());
      if (auto st = impl.AddEvent(
              key, "pruned", "pruned from set " + opt.set + " (was " + (*row)->object.version + ")",
              opt.actor, new_index);
          !st) {
        return std::unexpected(st.error());
      }
      result.items.push_back(
          {key, Action::kPruned, (*row)->object.version, (*row)->object.version, false});
      changed = true;
    }
  }

  result.state_index = *index;
  if (!changed) return result;  // nothing written: the transaction rolls back
  std::map<Action, int> counts;
  for (const ApplyItem& item : result.items) counts[item.action]++;
  std::string summary = fmt::format("set {}: {} created, {} configured, {} unchanged, {} pruned",
                                    opt.set, counts[Action::kCreated], counts[Action::kConfigured],
                                    counts[Action::kUnchanged], counts[Action::kPruned]);
  if (auto st = impl.AddScopedEvent(opt.only_namespace, "applied", summary, opt.actor, new_index);
      !st) {
    return std::unexpected(st.error());
  }
  auto bumped = impl.BumpIndex();
  if (!bumped) return std::unexpected(bumped.error());
  if (opt.dry_run) return result;  // rolled back; the index did not move
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  result.state_index = *bumped;
  return result;
}

Result<ApplyItem> Store::Put(const DesiredObject& object, bool overwrite, const std::string& actor,
                             int64_t* state_index) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  auto existing = impl.LoadRow(object.key);
  if (!existing) return std::unexpected(existing.error());
  if (*existing && !(*existing)->deleted_ms && !overwrite) {
    return Fail(ErrorCode::kConflict, "it exists already; replace it with overwrite (--overwrite)",
                object.key.ToString());
  }
  if (auto st = CheckIngressClaims(impl, {object}); !st) return std::unexpected(st.error());
  bool changed = false;
  auto item = Upsert(impl, object, nullptr, actor, *index + 1, changed);
  if (!item) return std::unexpected(item.error());
  int64_t final_index = *index;
  if (changed) {
    auto bumped = impl.BumpIndex();
    if (!bumped) return std::unexpected(bumped.error());
    if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
    final_index = *bumped;
  }
  if (state_index) *state_index = final_index;
  return item;
}

Result<StoredObject> Store::Delete(const ObjectKey& key, bool dry_run, const std::string& actor,
                                   int64_t* state_index) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  auto row = impl.LoadRow(key);
  if (!row) return std::unexpected(row.error());
  if (!*row || (*row)->deleted_ms)
    return Fail(ErrorCode::kNotFound, "no such object", key.ToString());
  if (state_index) *state_index = *index;
  if (dry_run) return (*row)->object;
  int64_t new_index = *index + 1;
  if (auto st = SoftDelete(impl, (*row)->id, new_index); !st) return std::unexpected(st.error());
  if (auto st = impl.AddEvent(key, "deleted", "deleted (was " + (*row)->object.version + ")", actor,
                              new_index);
      !st) {
    return std::unexpected(st.error());
  }
  auto bumped = impl.BumpIndex();
  if (!bumped) return std::unexpected(bumped.error());
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  if (state_index) *state_index = *bumped;
  return (*row)->object;
}

}  // namespace prisn::store
