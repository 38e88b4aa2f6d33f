// Reads: objects, counts, sources, events; and events recorded by the daemon.
#include <algorithm>

#include "reconciler/store_impl.h"

namespace prisn::store {

Result<std::optional<StoredObject>> Store::Get(const ObjectKey& key) {
  auto row = impl_->LoadRow(key);
  if (!row) return std::unexpected(row.error());
  if (!*row || (*row)->deleted_ms) return std::optional<StoredObject>();
  return std::optional<StoredObject>(std::move((*row)->object));
}

Result<std::string> Store::GetCanonical(const ObjectKey& key) {
  auto row = impl_->LoadRow(key);
  if (!row) return std::unexpected(row.error());
  if (!*row || (*row)->deleted_ms)
    return Fail(ErrorCode::kNotFound, "no such object", key.ToString());
  if (!(*row)->sealed) return std::move((*row)->object.spec_json);
  auto opened = impl_->box.Open(*(*row)->sealed);
  if (!opened) {
    Error err = opened.error();
    err.context = key.ToString();
    return std::unexpected(err);
  }
  return std::move(*opened);
}

Result<std::map<std::string, std::string>> Store::GetSources(const ObjectKey& key) {
  auto row = impl_->LoadRow(key);
  if (!row) return std::unexpected(row.error());
  if (!*row || (*row)->deleted_ms)
    return Fail(ErrorCode::kNotFound, "no such object", key.ToString());
  std::map<std::string, std::string> out;
  auto& s = impl_->st.blob_get;
  for (const auto& [path, sha] : (*row)->object.sources) {
    sqlite::ResetGuard guard(s);
    s.Bind(1, sha);
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (!*step)
      return Fail(ErrorCode::kInternal, "source blob " + sha + " is missing",
                  key.ToString() + ": " + path);
    out[path] = s.Blob(0);
  }
  return out;
}

Result<std::vector<StoredObject>> Store::List(const ListFilter& filter) {
  auto& s = impl_->st.obj_list;
  sqlite::ResetGuard guard(s);
  s.Bind(1, filter.kind).Bind(2, filter.ns).Bind(3, filter.set);
  std::vector<StoredObject> out;
  for (;;) {
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    out.push_back(ReadObjectRow(s).object);
  }
  return out;
}

Result<std::map<std::string, int64_t>> Store::CountObjects(const std::optional<std::string>& ns) {
  auto& s = impl_->st.obj_count;
  sqlite::ResetGuard guard(s);
  s.Bind(1, ns);
  std::map<std::string, int64_t> out;
  for (;;) {
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    out[s.Text(0)] = s.Int(1);
  }
  return out;
}

Result<std::vector<Event>> Store::Events(const EventFilter& filter) {
  auto& s = impl_->st.event_query;
  sqlite::ResetGuard guard(s);
  s.Bind(1, filter.kind)
      .Bind(2, filter.ns)
      .Bind(3, filter.name)
      .Bind(4, filter.since_ms)
      .Bind(5, filter.after_id);
  s.Bind(6, filter.only_namespace).Bind(7, static_cast<int64_t>(std::max(filter.limit, 0)));
  std::vector<Event> out;
  for (;;) {
    auto step = s.Step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    Event e;
    e.id = s.Int(0);
    e.time_ms = s.Int(1);
    if (!s.IsNull(2)) e.object = ObjectKey{s.Text(2), s.Text(3), s.Text(4)};
    e.type = s.Text(5);
    e.message = s.Text(6);
    e.actor = s.Text(7);
    e.state_index = s.Int(8);
    out.push_back(std::move(e));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Status Store::RecordEvent(const std::string& type, const std::string& message,
                          const std::string& actor) {
  auto index = impl_->CurrentIndex();
  if (!index) return std::unexpected(index.error());
  return impl_->AddScopedEvent(std::nullopt, type, message, actor, *index);
}

}  // namespace prisn::store
