#include "reconciler/apply.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "manifests/canonical.h"

namespace prisn::reconciler {
namespace {

manifests::ChangeClass ClassOf(store::Action action, const manifests::Object* before,
                               const manifests::Object* after) {
  switch (action) {
    case store::Action::kCreated:
      return manifests::ChangeClass::kCreate;
    case store::Action::kPruned:
      return manifests::ChangeClass::kDelete;
    case store::Action::kUnchanged:
      return manifests::ChangeClass::kNone;
    case store::Action::kConfigured:
      break;
  }
  // A configured object that does not read back is rolled: the safe guess.
  if (!before || !after) return manifests::ChangeClass::kRolling;
  return manifests::Classify(before, after);
}

}  // namespace

store::DesiredObject ToDesired(const manifests::Object& o) {
  store::DesiredObject d;
  d.key = {o.kind, o.meta.namespace_, o.meta.name};
  d.version = o.version;
  d.canonical_json = manifests::ToCanonicalJson(o).dump();
  d.sensitive = o.GetKind() == manifests::Kind::kSecret;
  d.display_json =
      d.sensitive ? manifests::ToCanonicalJson(o, /*mask_secrets=*/true).dump() : d.canonical_json;
  d.sources = o.sources;
  return d;
}

std::optional<manifests::Object> ReadStored(store::Store& s, const store::ObjectKey& key) {
  auto canonical = s.GetCanonical(key);
  if (!canonical) return std::nullopt;
  auto sources = s.GetSources(key);
  if (!sources) return std::nullopt;
  auto json = nlohmann::json::parse(*canonical, nullptr, false);
  auto object = manifests::FromCanonicalJson(json, std::move(*sources));
  if (!object) {
    spdlog::warn("{}: the stored object does not read back: {}", key.ToString(),
                 object.error().message);
    return std::nullopt;
  }
  return std::move(*object);
}

bool AppliedSet::PruneNeedsConfirm() const {
  size_t pruned = 0;
  for (const AppliedItem& i : items) pruned += i.item.action == store::Action::kPruned ? 1 : 0;
  return store::IsMassPrune(pruned, members_before);
}

Result<AppliedSet> ApplySet(store::Store& s, const std::vector<manifests::Object>& objects,
                            const ApplySetOptions& options) {
  const store::ApplyOptions& opt = options.store;
  std::vector<store::DesiredObject> desired;
  desired.reserve(objects.size());
  std::map<store::ObjectKey, const manifests::Object*> by_key;
  for (const manifests::Object& o : objects) {
    desired.push_back(ToDesired(o));
    by_key[desired.back().key] = &o;
  }
  AppliedSet out;
  // What is stored now, for the change class of the objects that change.
  std::map<store::ObjectKey, manifests::Object> before;
  for (const store::DesiredObject& d : desired) {
    auto existing = s.Get(d.key);
    if (!existing) return std::unexpected(existing.error());
    if (!*existing) continue;
    if (const auto& from = (*existing)->apply_set;
        opt.force && from && from->starts_with("source:") && *from != opt.set) {
      out.taken_from_sources.push_back(from->substr(7));
    }
    if ((*existing)->version == d.version && (*existing)->spec_json == d.display_json) continue;
    if (auto object = ReadStored(s, d.key)) before.emplace(d.key, std::move(*object));
  }
  auto result = s.Apply(desired, opt);
  if (!result) return std::unexpected(result.error());
  out.state_index = result->state_index;
  out.members_before = result->members_before;
  out.not_named = result->not_named.size();
  for (store::ApplyItem& item : result->items) {
    AppliedItem applied;
    // A pruned object was read neither above nor by the store: a dry run
    // still has it, a real apply has soft-deleted it (its last revision stays
    // readable through history, not here).
    if (item.action == store::Action::kPruned && options.keep_before) {
      if (auto object = ReadStored(s, item.key)) before.emplace(item.key, std::move(*object));
    }
    auto b = before.find(item.key);
    auto a = by_key.find(item.key);
    applied.after =
        item.action == store::Action::kPruned || a == by_key.end() ? nullptr : a->second;
    const manifests::Object* bp = b == before.end() ? nullptr : &b->second;
    applied.change = ClassOf(item.action, bp, applied.after);
    if (options.keep_before && b != before.end()) applied.before = std::move(b->second);
    applied.item = std::move(item);
    out.items.push_back(std::move(applied));
  }
  return out;
}

}  // namespace prisn::reconciler
