// Revisions: history, rollback to an earlier version (recorded as a hold) and
// release of a hold.
#include <fmt/core.h>

#include "reconciler/store_impl.h"

namespace prisn::store {
namespace {

struct RevisionRow {
  std::string spec;
  std::optional<std::string> sealed;
  std::string spec_hash;
  std::string sources;
  std::string applied_by;
};

Result<std::optional<RevisionRow>> LoadRevision(Store::Impl& impl, int64_t id,
                                                const std::string& version) {
  auto& s = impl.st.rev_get;
  sqlite::ResetGuard guard(s);
  s.Bind(1, id).Bind(2, version);
  auto row = s.Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<RevisionRow>();
  RevisionRow r{s.Text(0), std::nullopt, s.Blob(2), s.Text(3), s.Text(4)};
  if (!s.IsNull(1)) r.sealed = s.Blob(1);
  return std::optional<RevisionRow>(std::move(r));
}

// Puts revision `version` in effect with the given hold (nullopt: none).
Status Restore(Store::Impl& impl, const ObjectRow& row, const std::string& version,
               const RevisionRow& rev, const std::optional<Hold>& hold, int64_t state_index) {
  // An old Ingress may route what another namespace has claimed since.
  if (row.object.key.Is(manifests::Kind::kIngress)) {
    DesiredObject restored;
    restored.key = row.object.key;
    restored.version = version;
    restored.canonical_json = rev.spec;
    if (auto st = CheckIngressClaims(impl, {restored}); !st) return st;
  }
  int64_t generation = row.object.generation + 1;
  int64_t now = impl.Now();
  auto& s = impl.st.obj_update;
  s.Bind(1, row.id).Bind(2, version).Bind(3, generation).Bind(4, rev.spec);
  if (rev.sealed)
    s.BindBlob(5, *rev.sealed);
  else
    s.BindNull(5);
  s.BindBlob(6, rev.spec_hash)
      .Bind(7, rev.sources)
      .Bind(8, rev.applied_by)
      .Bind(9, row.object.apply_set);
  s.Bind(10, row.object.applied_version).Bind(11, state_index);
  if (hold) {
    s.Bind(12, hold->version).Bind(13, hold->by).Bind(14, hold->at_ms);
  } else {
    s.BindNull(12).BindNull(13).BindNull(14);
  }
  s.Bind(15, row.object.created_ms).Bind(16, now);
  if (auto st = s.Run(); !st) return st;
  impl.st.rev_touch.Bind(1, row.id).Bind(2, version).Bind(3, generation);
  return impl.st.rev_touch.Run();
}

Status SetMetaClearHold(Store::Impl& impl, const ObjectRow& row, int64_t state_index) {
  auto& s = impl.st.obj_set_meta;
  s.Bind(1, row.id).Bind(2, row.object.apply_set).Bind(3, row.object.applied_version);
  s.BindNull(4).BindNull(5).BindNull(6).Bind(7, state_index).Bind(8, impl.Now());
  return s.Run();
}

Result<ObjectRow> LiveRow(Store::Impl& impl, const ObjectKey& key) {
  auto row = impl.LoadRow(key);
  if (!row) return std::unexpected(row.error());
  if (!*row || (*row)->deleted_ms)
    return Fail(ErrorCode::kNotFound, "no such object", key.ToString());
  return std::move(**row);
}

// The version Rollback(key, version) restores and its revision.
Result<std::pair<std::string, std::optional<RevisionRow>>> RollbackTarget(
    Store::Impl& impl, const ObjectRow& row, const ObjectKey& key,
    const std::optional<std::string>& version) {
  const std::string& current = row.object.version;
  std::string target;
  if (version) {
    target = *version;
  } else {
    auto& s = impl.st.rev_previous;
    sqlite::ResetGuard guard(s);
    s.Bind(1, row.id).Bind(2, current);
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (!*step)
      return Fail(ErrorCode::kConflict, "there is no earlier version to roll back to",
                  key.ToString());
    target = s.Text(0);
  }
  if (target == current) return Fail(ErrorCode::kInvalid, "already at " + target, key.ToString());
  auto rev = LoadRevision(impl, row.id, target);
  if (!rev) return std::unexpected(rev.error());
  if (!*rev) {
    return Fail(ErrorCode::kNotFound,
                "version " + target + " is not in the history (see prisn history)", key.ToString());
  }
  return std::pair{target, std::move(*rev)};
}

}  // namespace

Result<std::string> Store::RestoreTargetSpec(const ObjectKey& key,
                                             const std::optional<std::string>& version,
                                             bool release) {
  Impl& impl = *impl_;
  auto found = LiveRow(impl, key);
  if (!found) return std::unexpected(found.error());
  const ObjectRow& row = *found;
  if (!release) {
    auto chosen = RollbackTarget(impl, row, key, version);
    if (!chosen) return std::unexpected(chosen.error());
    return chosen->second->spec;
  }
  if (!row.object.hold)
    return Fail(ErrorCode::kConflict, "there is no rollback hold to release", key.ToString());
  if (row.object.applied_version == row.object.version) return row.object.spec_json;
  auto rev = LoadRevision(impl, row.id, row.object.applied_version);
  if (!rev) return std::unexpected(rev.error());
  if (!*rev)
    return Fail(ErrorCode::kInternal,
                "the last applied version " + row.object.applied_version + " has no revision",
                key.ToString());
  return (*rev)->spec;
}

Result<std::vector<Revision>> Store::History(const ObjectKey& key) {
  Impl& impl = *impl_;
  auto row = impl.LoadRow(key);
  if (!row) return std::unexpected(row.error());
  if (!*row) return Fail(ErrorCode::kNotFound, "no such object", key.ToString());
  auto& s = impl.st.rev_list;
  sqlite::ResetGuard guard(s);
  s.Bind(1, (*row)->id);
  std::vector<Revision> out;
  for (;;) {
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    Revision r;
    r.version = s.Text(0);
    r.generation = s.Int(1);
    r.applied_by = s.Text(2);
    r.created_ms = s.Int(3);
    r.sources = ParseSources(s.Text(4));
    r.current = !(*row)->deleted_ms && r.version == (*row)->object.version;
    out.push_back(std::move(r));
  }
  return out;
}

Result<RollbackResult> Store::Rollback(const ObjectKey& key,
                                       const std::optional<std::string>& version,
                                       const std::string& actor) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto found = LiveRow(impl, key);
  if (!found) return std::unexpected(found.error());
  const ObjectRow& row = *found;
  const std::string& current = row.object.version;

  auto chosen = RollbackTarget(impl, row, key, version);
  if (!chosen) return std::unexpected(chosen.error());
  const std::string& target = chosen->first;
  auto& rev = chosen->second;
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  int64_t new_index = *index + 1;
  // Rolling "back" to what the last apply asked for is a release: no hold.
  std::optional<Hold> hold;
  if (target != row.object.applied_version)
    hold = Hold{target, row.object.applied_version, actor, impl.Now()};
  if (auto st = Restore(impl, row, target, *rev, hold, new_index); !st)
    return std::unexpected(st.error());
  std::string message =
      hold ? fmt::format(
                 "{} -> {}; held until an apply asks for a version other than {}, or "
                 "release",
                 current, target, row.object.applied_version)
           : fmt::format("{} -> {} (the version last applied; no hold)", current, target);
  if (auto st = impl.AddEvent(key, "rolled-back", message, actor, new_index); !st)
    return std::unexpected(st.error());
  auto bumped = impl.BumpIndex();
  if (!bumped) return std::unexpected(bumped.error());
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  return RollbackResult{*bumped, current, target};
}

Result<RollbackResult> Store::Release(const ObjectKey& key, const std::string& actor) {
  Impl& impl = *impl_;
  auto tx = sqlite::Transaction::Begin(impl.db);
  if (!tx) return std::unexpected(tx.error());
  auto found = LiveRow(impl, key);
  if (!found) return std::unexpected(found.error());
  const ObjectRow& row = *found;
  if (!row.object.hold)
    return Fail(ErrorCode::kConflict, "there is no rollback hold to release", key.ToString());
  const std::string& current = row.object.version;
  const std::string& target = row.object.applied_version;
  auto index = impl.CurrentIndex();
  if (!index) return std::unexpected(index.error());
  int64_t new_index = *index + 1;
  if (target == current) {
    if (auto st = SetMetaClearHold(impl, row, new_index); !st) return std::unexpected(st.error());
  } else {
    auto rev = LoadRevision(impl, row.id, target);
    if (!rev) return std::unexpected(rev.error());
    if (!*rev)
      return Fail(ErrorCode::kInternal, "the last applied version " + target + " has no revision",
                  key.ToString());
    if (auto st = Restore(impl, row, target, **rev, std::nullopt, new_index); !st)
      return std::unexpected(st.error());
  }
  if (auto st = impl.AddEvent(key, "hold-released",
                              fmt::format("{} -> {} (the version last applied)", current, target),
                              actor, new_index);
      !st) {
    return std::unexpected(st.error());
  }
  auto bumped = impl.BumpIndex();
  if (!bumped) return std::unexpected(bumped.error());
  if (auto st = tx->Commit(); !st) return std::unexpected(st.error());
  return RollbackResult{*bumped, current, target};
}

}  // namespace prisn::store
