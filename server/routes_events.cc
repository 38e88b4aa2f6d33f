// GET /v1/events.
#include <charconv>

#include "api/routes.h"
#include "api/types_events.h"
#include "server/api_internal.h"

namespace prisn::server {
namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

Result<int64_t> QueryInt(const std::string& key, const std::string& value) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < 0) {
    return Fail(ErrorCode::kInvalid, key + " must be a non-negative integer", value);
  }
  return n;
}

// A query parameter's value; nullptr when absent or empty.
const std::string* EventQuery(const std::map<std::string, std::string>& q, std::string_view key) {
  auto it = q.find(std::string(key));
  return it == q.end() || it->second.empty() ? nullptr : &it->second;
}

HttpResponse Events(Api::Core& core, const RouteContext& ctx) {
  const auto& q = ctx.request.query;
  store::EventFilter filter;
  filter.limit = kDefaultLimit;
  if (const std::string* v = EventQuery(q, api::query::kKind)) {
    auto kind = KindFromWord(*v);
    if (!kind) return ErrorResponse(400, "invalid", kind.error().message);
    filter.kind = std::string(manifests::KindName(*kind));
  }
  if (const std::string* v = EventQuery(q, api::query::kNamespace)) {
    filter.ns = NamespaceFromSegment(*v);
    if (!ctx.principal.MayAccess(*filter.ns)) return Forbidden(ctx.principal, *filter.ns);
  }
  if (const std::string* v = EventQuery(q, api::query::kName)) filter.name = *v;
  int64_t now = NowMs();
  if (const std::string* v = EventQuery(q, api::query::kSince)) {
    auto since = ParseSince(*v, now);
    if (!since) return ErrorResponse(since.error());
    filter.since_ms = *since;
  }
  if (const std::string* v = EventQuery(q, api::query::kAfter)) {
    auto after = QueryInt(std::string(api::query::kAfter), *v);
    if (!after) return ErrorResponse(after.error());
    filter.after_id = *after;
  }
  if (const std::string* v = EventQuery(q, api::query::kLimit)) {
    auto limit = QueryInt(std::string(api::query::kLimit), *v);
    if (!limit) return ErrorResponse(limit.error());
    if (*limit < 1 || *limit > kMaxLimit)
      return ErrorResponse(400, "invalid", "limit must be from 1 to 1000");
    filter.limit = static_cast<int>(*limit);
  }
  filter.only_namespace = ctx.principal.ns;
  return core.store.With([&](store::Store& s) {
    auto events = s.Events(filter);
    if (!events) return ErrorResponse(events.error());
    api::EventList list;
    for (const store::Event& e : *events) {
      api::EventView v;
      v.id = e.id;
      v.time = FormatTime(e.time_ms);
      if (e.object) {
        v.kind = e.object->kind;
        v.ns = e.object->ns;
        v.name = e.object->name;
      }
      v.type = e.type;
      v.message = e.message;
      v.actor = e.actor;
      v.index = e.state_index;
      list.items.push_back(std::move(v));
    }
    return JsonResponse(200, api::Encode(list));
  });
}

}  // namespace

void AddEventRoutes(Api::Core& core) {
  core.router.Add("GET", std::string(api::path::kEvents),
                  [&core](const RouteContext& c) { return Events(core, c); });
}

}  // namespace prisn::server
