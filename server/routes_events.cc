// GET /v1/events.
#include <charconv>

#include "api/routes.h"
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

HttpResponse Events(Api::Core& core, const RouteContext& ctx) {
  const auto& q = ctx.request.query;
  store::EventFilter filter;
  filter.limit = kDefaultLimit;
  if (auto it = q.find("kind"); it != q.end() && !it->second.empty()) {
    auto kind = KindFromWord(it->second);
    if (!kind) return ErrorResponse(400, "invalid", kind.error().message);
    filter.kind = std::string(manifests::KindName(*kind));
  }
  if (auto it = q.find("namespace"); it != q.end() && !it->second.empty()) {
    filter.ns = NamespaceFromSegment(it->second);
    if (!ctx.principal.MayAccess(*filter.ns)) return Forbidden(ctx.principal, *filter.ns);
  }
  if (auto it = q.find("name"); it != q.end() && !it->second.empty()) filter.name = it->second;
  int64_t now = NowMs();
  if (auto it = q.find("since"); it != q.end() && !it->second.empty()) {
    auto since = ParseSince(it->second, now);
    if (!since) return ErrorResponse(since.error());
    filter.since_ms = *since;
  }
  if (auto it = q.find("after"); it != q.end() && !it->second.empty()) {
    auto after = QueryInt("after", it->second);
    if (!after) return ErrorResponse(after.error());
    filter.after_id = *after;
  }
  if (auto it = q.find("limit"); it != q.end() && !it->second.empty()) {
    auto limit = QueryInt("limit", it->second);
    if (!limit) return ErrorResponse(limit.error());
    if (*limit < 1 || *limit > kMaxLimit)
      return ErrorResponse(400, "invalid", "limit must be from 1 to 1000");
    filter.limit = static_cast<int>(*limit);
  }
  filter.only_namespace = ctx.principal.ns;
  return core.store.With([&](store::Store& s) {
    auto events = s.Events(filter);
    if (!events) return ErrorResponse(events.error());
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (const store::Event& e : *events) {
      nlohmann::ordered_json j;
      j["id"] = e.id;
      j["time"] = FormatTime(e.time_ms);
      if (e.object) {
        j["kind"] = e.object->kind;
        j["namespace"] = e.object->ns;
        j["name"] = e.object->name;
      } else {
        j["kind"] = nullptr;
        j["namespace"] = nullptr;
        j["name"] = nullptr;
      }
      j["type"] = e.type;
      j["message"] = e.message;
      j["actor"] = e.actor;
      j["index"] = e.state_index;
      items.push_back(std::move(j));
    }
    return JsonResponse(200, nlohmann::ordered_json{{"items", std::move(items)}});
  });
}

}  // namespace

void AddEventRoutes(Api::Core& core) {
  core.router.Add("GET", std::string(api::path::kEvents),
                  [&core](const RouteContext& c) { return Events(core, c); });
}

}  // namespace prisn::server
