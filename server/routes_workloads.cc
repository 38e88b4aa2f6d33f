// Workload endpoints: status (all, one), scale, logs.
#include <charconv>
#include <chrono>
#include <thread>

#include "api/routes.h"
#include "server/workload_json.h"
#include "server/workload_routes.h"

namespace prisn::server {

HttpResponse NoConvergeLoop() {
  return ErrorResponse(503, "unavailable", "the converge loop is not running");
}

Result<std::optional<int64_t>> QueryInt(const HttpRequest& request, const std::string& key,
                                        int64_t min, int64_t max, bool clamp) {
  auto it = request.query.find(key);
  if (it == request.query.end() || it->second.empty()) return std::optional<int64_t>();
  const std::string& v = it->second;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < min || (n > max && !clamp)) {
    return Fail(
        ErrorCode::kInvalid,
        key + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max), v);
  }
  return std::optional<int64_t>(std::min(n, max));
}

Result<reconciler::LogPage> ReadLogs(const Api::Core& core, const reconciler::LogQuery& query) {
  if (core.backend == nullptr) return reconciler::LogPage{};
  return core.backend->ReadLogs(query);
}

std::vector<api::LogLine> LogLinesView(const std::vector<reconciler::LogLine>& lines) {
  std::vector<api::LogLine> out;
  out.reserve(lines.size());
  for (const reconciler::LogLine& l : lines) {
    out.push_back({l.name, l.time.empty() ? std::nullopt : std::optional<std::string>(l.time),
                   l.stream, l.text});
  }
  return out;
}

std::string WorkloadQueryParam(const HttpRequest& request, std::string_view key) {
  auto it = request.query.find(std::string(key));
  return it == request.query.end() ? std::string() : it->second;
}

namespace {

struct Target {
  store::ObjectKey key;
  std::optional<HttpResponse> error;
};

// The Deployment or Job a /v1/namespaces/{ns}/{kind}/{name}/... path names,
// after the scope check (403 before any lookup).
Target ResolveWorkload(const RouteContext& ctx, bool deployments_only) {
  Target out;
  std::string ns = NamespaceFromSegment(ctx.params.at(std::string(api::param::kNs)));
  if (!ctx.principal.MayAccess(ns)) {
    out.error = Forbidden(ctx.principal, ns);
    return out;
  }
  auto kind = KindFromWord(ctx.params.at(std::string(api::param::kKind)));
  if (!kind) {
    out.error = ErrorResponse(kind.error());
    return out;
  }
  bool ok = *kind == manifests::Kind::kDeployment || *kind == manifests::Kind::kCronJob ||
            (!deployments_only && *kind == manifests::Kind::kJob);
  if (!ok) {
    out.error = ErrorResponse(400, "invalid",
                              deployments_only
                                  ? "only deployments and cronjobs scale"
                                  : "status and logs exist for deployments, jobs and cronjobs");
    return out;
  }
  out.key = {std::string(manifests::KindName(*kind)), ns,
             ctx.params.at(std::string(api::param::kName))};
  return out;
}

Result<std::optional<store::StoredObject>> StoredObject(Api::Core& core,
                                                        const store::ObjectKey& key) {
  return core.store.With([&](store::Store& s) { return s.Get(key); });
}

// What is known of a workload the loop has not observed (yet).
reconciler::WorkloadStatus Unobserved(const store::StoredObject& object) {
  reconciler::WorkloadStatus s;
  s.key = object.key;
  s.version = object.version;
  s.desired = object.key.Is(manifests::Kind::kDeployment) ? ReplicasOf(object.spec_json) : 1;
  s.state = reconciler::WorkloadState::kUnknown;
  s.reason = "not observed by the converge loop yet";
  return s;
}

HttpResponse StatusAll(Api::Core& core, const RouteContext& ctx) {
  if (core.converger == nullptr) return NoConvergeLoop();
  std::optional<std::string> ns;
  if (std::string asked = WorkloadQueryParam(ctx.request, api::query::kNamespace); !asked.empty()) {
    ns = NamespaceFromSegment(asked);
    if (!ctx.principal.MayAccess(*ns)) return Forbidden(ctx.principal, *ns);
  }
  if (!ctx.principal.admin()) ns = ctx.principal.ns;
  auto index = core.store.With([](store::Store& s) { return s.StateIndex(); });
  if (!index) return ErrorResponse(index.error());
  api::StatusOverview out;
  out.state_index = *index;
  for (const auto& w : core.converger->StatusAll(ns))
    out.workloads.push_back(WorkloadStatusView(w));
  reconciler::RunFilter filter;
  filter.ns = ns;
  filter.limit = 10;
  auto runs = core.converger->ListRuns(filter);
  if (!runs) return ErrorResponse(runs.error());
  for (const auto& r : *runs) out.runs.push_back(RunViewOf(r));
  return JsonResponse(200, api::Encode(out));
}

HttpResponse StatusOne(Api::Core& core, const RouteContext& ctx) {
  Target t = ResolveWorkload(ctx, false);
  if (t.error) return *t.error;
  if (core.converger == nullptr) return NoConvergeLoop();
  if (auto status = core.converger->StatusOf(t.key))
    return JsonResponse(200, api::Encode(WorkloadStatusView(*status)));
  auto object = StoredObject(core, t.key);
  if (!object) return ErrorResponse(object.error());
  if (!*object)
    return ErrorResponse(Error{ErrorCode::kNotFound, "no such workload", t.key.ToString()});
  return JsonResponse(200, api::Encode(WorkloadStatusView(Unobserved(**object))));
}

// A CronJob scales between 0 (suspended) and 1 (scheduled).
HttpResponse ScaleCronJob(Api::Core& core, const RouteContext& ctx, const store::ObjectKey& key,
                          const ScaleRequest& request) {
  bool suspend = request.count == 0;
  HttpResponse response = core.store.With([&](store::Store& s) {
    auto object = s.Get(key);
    if (!object) return ErrorResponse(object.error());
    if (!*object) return ErrorResponse(Error{ErrorCode::kNotFound, "no such cronjob", key.ToString()});
    if (request.mode != ScaleRequest::Mode::kSet || request.count > 1)
      return ErrorResponse(400, "invalid",
                           "a CronJob scales to 0 (suspend) or 1 (resume): {\"replicas\": 0|1}");
    bool previous = SuspendOf((*object)->spec_json);
    auto index = s.SetSuspend(key, suspend, ctx.principal.name);
    if (!index) return ErrorResponse(index.error());
    return JsonResponse(
        200, api::Encode(api::ScaleAnswer{suspend ? 0 : 1, previous ? 0 : 1, suspend, *index}));
  });
  if (response.status == 200 && core.converger != nullptr) core.converger->Wake(key);
  return response;
}

HttpResponse Scale(Api::Core& core, const RouteContext& ctx) {
  Target t = ResolveWorkload(ctx, true);
  if (t.error) return *t.error;
  HttpResponse error;
  auto body = ParseBody<api::ScaleRequest>(ctx.request, error);
  if (!body) return error;
  auto request = ParseScaleRequest(*body);
  if (!request) return ErrorResponse(request.error());
  auto force = QueryFlag(ctx.request, std::string(api::query::kForce));
  if (!force) return ErrorResponse(force.error());
  if (auto refused = core.store.With(
          [&](store::Store& s) { return RefuseSourceOwned(core, s, t.key, "", *force); }))
    return *refused;
  if (t.key.Is(manifests::Kind::kCronJob)) return ScaleCronJob(core, ctx, t.key, *request);
  HttpResponse response = core.store.With([&](store::Store& s) {
    auto object = s.Get(t.key);
    if (!object) return ErrorResponse(object.error());
    if (!*object)
      return ErrorResponse(Error{ErrorCode::kNotFound, "no such deployment", t.key.ToString()});
    int previous = ReplicasOf((*object)->spec_json);
    auto target = ScaledReplicas(*request, previous);
    if (!target) return ErrorResponse(target.error());
    auto index = s.SetReplicas(t.key, *target, ctx.principal.name);
    if (!index) return ErrorResponse(index.error());
    core.RefreshGauges(s);
    return JsonResponse(200,
                        api::Encode(api::ScaleAnswer{*target, previous, std::nullopt, *index}));
  });
  if (response.status == 200 && core.converger != nullptr) core.converger->Wake(t.key);
  return response;
}

// The logs of a workload: a Deployment's replicas, or the runs of a Job
// (`prisn run` scripts of that name included), by replica or run name.
Result<std::vector<std::string>> LogNamesOf(Api::Core& core, const store::ObjectKey& key) {
  if (key.Is(manifests::Kind::kDeployment)) {
    if (core.backend == nullptr) return std::vector<std::string>();
    return core.backend->ReplicaLogNames(key.ns, key.name);
  }
  std::vector<store::Run> runs;
  if (core.converger != nullptr) {
    auto listed = core.converger->ListRuns({key.ns, key.name, 50});
    if (!listed) return std::unexpected(listed.error());
    runs = std::move(*listed);
  } else {
    auto listed = core.store.With([&](store::Store& s) {
      store::RunQuery q;
      q.ns = key.ns;
      q.job = key.name;
      return s.ListRuns(q);
    });
    if (!listed) return std::unexpected(listed.error());
    runs = std::move(*listed);
  }
  if (key.Is(manifests::Kind::kCronJob)) {
    std::erase_if(runs, [&](const store::Run& r) { return !r.job.Is(manifests::Kind::kCronJob); });
  } else {
    std::erase_if(runs, [&](const store::Run& r) { return r.job.Is(manifests::Kind::kCronJob); });
  }
  std::vector<std::string> names;
  // Oldest first: merged by time anyway, and ties keep the older run first.
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) names.push_back(it->id);
  return names;
}

HttpResponse WorkloadLogs(Api::Core& core, const RouteContext& ctx) {
  Target t = ResolveWorkload(ctx, false);
  if (t.error) return *t.error;
  const HttpRequest& req = ctx.request;
  auto tail = QueryInt(req, std::string(api::query::kTail), 0, static_cast<int64_t>(kMaxLogLines));
  if (!tail) return ErrorResponse(tail.error());
  auto wait = QueryInt(req, std::string(api::query::kWait), 0, kMaxLogWaitMs, /*clamp=*/true);
  if (!wait) return ErrorResponse(wait.error());
  std::optional<int64_t> since;
  if (std::string text = WorkloadQueryParam(req, api::query::kSince); !text.empty()) {
    auto parsed = ParseSince(text, NowMs());
    if (!parsed) return ErrorResponse(parsed.error());
    since = *parsed;
  }
  std::optional<std::string> cursor;
  if (std::string text = WorkloadQueryParam(req, api::query::kCursor); !text.empty()) cursor = text;
  std::string replica = WorkloadQueryParam(req, api::query::kReplica);

  auto list = [&]() -> Result<std::vector<std::string>> {
    auto names = LogNamesOf(core, t.key);
    if (!names || replica.empty()) return names;
    std::vector<std::string> one;
    for (auto& n : *names) {
      if (n == replica) one.push_back(std::move(n));
    }
    // A replica that has written nothing yet has no log, but it exists.
    if (one.empty() && t.key.Is(manifests::Kind::kDeployment) && core.converger != nullptr) {
      if (auto status = core.converger->StatusOf(t.key)) {
        for (const auto& r : status->replicas) {
          if (r.name == replica) one.push_back(replica);
        }
      }
    }
    return one;
  };
  auto files = list();
  if (!files) return ErrorResponse(files.error());
  if (files->empty()) {
    // Nothing to read: fine for a workload that exists but has not run yet.
    bool known = core.converger != nullptr && core.converger->StatusOf(t.key).has_value();
    if (!known) {
      auto object = StoredObject(core, t.key);
      if (!object) return ErrorResponse(object.error());
      known = object->has_value();
    }
    if (!known)
      return ErrorResponse(Error{ErrorCode::kNotFound, "no such workload", t.key.ToString()});
    if (!replica.empty())
      return ErrorResponse(Error{ErrorCode::kNotFound, "no such replica or run", replica});
  }

  reconciler::LogQuery query;
  query.ns = t.key.ns;
  query.owner = t.key.name;
  query.names = *files;
  query.since_ms = since;
  query.cursor = cursor;
  reconciler::LogPage read;
  if (!cursor) {
    // Without a tail, `since` alone asks for everything since then.
    query.tail = tail->has_value() ? static_cast<size_t>(**tail) : since ? kMaxLogLines : 100;
    auto r = ReadLogs(core, query);
    if (!r) return ErrorResponse(r.error());
    read = std::move(*r);
  } else {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait->value_or(0));
    for (;;) {
      auto r = ReadLogs(core, query);
      if (!r) return ErrorResponse(r.error());
      read = std::move(*r);
      if (!read.lines.empty() || std::chrono::steady_clock::now() >= deadline) break;
      // A service's output has no end to wait for: look again shortly.
      std::this_thread::sleep_for(std::chrono::milliseconds(kLogPollMs));
      query.cursor = read.cursor;
      files = list();  // replicas come and go while a follower waits
      if (!files) return ErrorResponse(files.error());
      query.names = *files;
    }
  }
  return JsonResponse(
      200, api::Encode(api::WorkloadLogPage{LogLinesView(read.lines), read.cursor, *files}));
}

}  // namespace

void AddWorkloadRoutes(Api::Core& core) {
  core.router.Add("GET", std::string(api::path::kStatus),
                  [&core](const RouteContext& c) { return StatusAll(core, c); });
  core.router.Add("GET", std::string(api::path::kObjectStatus),
                  [&core](const RouteContext& c) { return StatusOne(core, c); });
  core.router.Add("POST", std::string(api::path::kObjectScale),
                  [&core](const RouteContext& c) { return Scale(core, c); });
  core.router.Add("GET", std::string(api::path::kObjectLogs),
                  [&core](const RouteContext& c) { return WorkloadLogs(core, c); });
}

}  // namespace prisn::server
