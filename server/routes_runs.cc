// Runs: `prisn run` submits one, lists them, stops one and streams its log.
#include <chrono>
#include <thread>

#include "api/routes.h"
#include "server/run_request.h"
#include "server/workload_json.h"
#include "server/workload_routes.h"

namespace prisn::server {
namespace {

constexpr int kDefaultRunLimit = 50;
constexpr int kMaxRunLimit = 1000;

// The run, from the loop (or the store when there is no loop). A run in
// another namespace than a namespace token's is "not found": its id names no
// namespace, so existence must not leak.
Result<store::Run> FindRun(Api::Core& core, const RouteContext& ctx, const std::string& id) {
  Result<store::Run> run = Fail(ErrorCode::kNotFound, "no such run", id);
  if (core.converger != nullptr) {
    run = core.converger->GetRun(id);
  } else {
    auto stored = core.store.With([&](store::Store& s) { return s.GetRun(id); });
    if (!stored) return std::unexpected(stored.error());
    if (*stored) run = std::move(**stored);
  }
  if (!run) return run;
  if (!ctx.principal.MayAccess(run->job.ns)) return Fail(ErrorCode::kNotFound, "no such run", id);
  return run;
}

// Runners the store holds in the run's namespace and in "default".
Result<std::vector<KnownRunner>> StoredRunners(Api::Core& core, const std::string& ns) {
  auto listed = core.store.With([&](store::Store& s) {
    return s.List(
        {std::string(manifests::KindName(manifests::Kind::kRunner)), std::nullopt, std::nullopt});
  });
  if (!listed) return std::unexpected(listed.error());
  std::vector<KnownRunner> out;
  for (const store::StoredObject& o : *listed) {
    if (o.key.ns != ns && o.key.ns != "default") continue;
    KnownRunner r{o.key.ns, o.key.name, {}};
    auto j = nlohmann::json::parse(o.spec_json, nullptr, false);
    if (j.is_object() && j.contains("spec") && j["spec"].is_object()) {
      for (const auto& e : j["spec"].value("extensions", nlohmann::json::array())) {
        if (e.is_string()) r.extensions.push_back(e.get<std::string>());
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

HttpResponse Submit(Api::Core& core, const RouteContext& ctx) {
  if (core.converger == nullptr) return NoConvergeLoop();
  HttpResponse error;
  auto body = ParseBody<api::RunRequest>(ctx.request, error);
  if (!body) return error;
  auto request = ParseRunRequest(*body);
  if (!request) return ErrorResponse(request.error());
  if (!ctx.principal.MayAccess(request->ns)) return Forbidden(ctx.principal, request->ns);
  auto runners = StoredRunners(core, request->ns);
  if (!runners) return ErrorResponse(runners.error());
  auto job = BuildRunJob(*request, *runners);
  if (!job) return ErrorResponse(job.error());
  if (auto host = CheckHostAccess(ctx.principal, core.info.host_access, *job); !host)
    return ErrorResponse(host.error());
  auto run = core.converger->SubmitRun(*job);
  if (!run) return ErrorResponse(run.error());
  return JsonResponse(201, api::Encode(RunViewOf(*run)));
}

HttpResponse ListRuns(Api::Core& core, const RouteContext& ctx) {
  reconciler::RunFilter filter;
  if (std::string ns = WorkloadQueryParam(ctx.request, api::query::kNamespace); !ns.empty()) {
    filter.ns = ns;
    if (!ctx.principal.MayAccess(*filter.ns)) return Forbidden(ctx.principal, *filter.ns);
  }
  if (!ctx.principal.admin()) filter.ns = ctx.principal.ns;
  if (std::string job = WorkloadQueryParam(ctx.request, api::query::kJob); !job.empty())
    filter.job = job;
  auto limit = QueryInt(ctx.request, std::string(api::query::kLimit), 1, kMaxRunLimit);
  if (!limit) return ErrorResponse(limit.error());
  filter.limit = static_cast<int>(limit->value_or(kDefaultRunLimit));
  Result<std::vector<store::Run>> runs = std::vector<store::Run>();
  if (core.converger != nullptr) {
    runs = core.converger->ListRuns(filter);
  } else {
    runs = core.store.With([&](store::Store& s) {
      store::RunQuery query;
      query.ns = filter.ns;
      query.job = filter.job;
      query.limit = filter.limit;
      return s.ListRuns(query);
    });
  }
  if (!runs) return ErrorResponse(runs.error());
  api::RunList out;
  for (const store::Run& r : *runs) out.runs.push_back(RunViewOf(r));
  return JsonResponse(200, api::Encode(out));
}

HttpResponse GetRun(Api::Core& core, const RouteContext& ctx) {
  auto run = FindRun(core, ctx, ctx.params.at(std::string(api::param::kId)));
  if (!run) return ErrorResponse(run.error());
  return JsonResponse(200, api::Encode(RunViewOf(*run)));
}

HttpResponse Stop(Api::Core& core, const RouteContext& ctx) {
  if (core.converger == nullptr) return NoConvergeLoop();
  auto run = FindRun(core, ctx, ctx.params.at(std::string(api::param::kId)));
  if (!run) return ErrorResponse(run.error());
  auto stopped = core.converger->StopRun(run->id);
  if (!stopped) return ErrorResponse(stopped.error());
  return JsonResponse(200, api::Encode(RunViewOf(*stopped)));
}

// New lines of the run's log. `prisn run` streams through this, so it answers
// the moment there is something to say: lines, or the run's end (WaitRun
// returns as the run finishes). "complete" tells the client that the run has
// finished and every line of its log was returned.
HttpResponse RunLogs(Api::Core& core, const RouteContext& ctx) {
  const std::string& id = ctx.params.at(std::string(api::param::kId));
  auto wait = QueryInt(ctx.request, std::string(api::query::kWait), 0, kMaxLogWaitMs,
                       /*clamp=*/true);
  if (!wait) return ErrorResponse(wait.error());
  auto tail =
      QueryInt(ctx.request, std::string(api::query::kTail), 0, static_cast<int64_t>(kMaxLogLines));
  if (!tail) return ErrorResponse(tail.error());
  std::optional<std::string> cursor;
  if (std::string text = WorkloadQueryParam(ctx.request, api::query::kCursor); !text.empty())
    cursor = text;
  auto run = FindRun(core, ctx, id);
  if (!run) return ErrorResponse(run.error());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait->value_or(0));
  reconciler::LogPage read;
  bool finished = false;
  for (bool first = true;; first = false) {
    // The record is read before the log: when it says finished, the log
    // already holds every line, and this read returns them.
    finished = reconciler::RunFinished(*run);
    reconciler::LogQuery query;
    query.ns = run->job.ns;
    query.owner = run->job.name;
    query.names = {id};
    query.cursor = cursor;
    // A first read without a cursor: the tail asked for, else from the start.
    if (first && !cursor && tail->has_value()) {
      query.tail = static_cast<size_t>(**tail);
    } else if (!cursor) {
      query.from_start = true;
    }
    auto r = ReadLogs(core, query);
    if (!r) return ErrorResponse(r.error());
    read = std::move(*r);
    cursor = read.cursor;
    auto now = std::chrono::steady_clock::now();
    if (!read.lines.empty() || finished || now >= deadline) break;
    auto slice = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now),
                          std::chrono::milliseconds(kLogPollMs));
    if (core.converger != nullptr) {
      auto waited = core.converger->WaitRun(id, slice);
      if (!waited) return ErrorResponse(waited.error());
      run = std::move(*waited);
    } else {
      std::this_thread::sleep_for(slice);
      run = FindRun(core, ctx, id);
      if (!run) return ErrorResponse(run.error());
    }
  }
  return JsonResponse(
      200, api::Encode(api::RunLogPage{LogLinesView(read.lines), read.cursor, RunViewOf(*run),
                                       finished && !read.truncated}));
}

}  // namespace

void AddRunRoutes(Api::Core& core) {
  core.router.Add("POST", std::string(api::path::kRuns),
                  [&core](const RouteContext& c) { return Submit(core, c); });
  core.router.Add("GET", std::string(api::path::kRuns),
                  [&core](const RouteContext& c) { return ListRuns(core, c); });
  core.router.Add("GET", std::string(api::path::kRun),
                  [&core](const RouteContext& c) { return GetRun(core, c); });
  core.router.Add("POST", std::string(api::path::kRunStop),
                  [&core](const RouteContext& c) { return Stop(core, c); });
  core.router.Add("GET", std::string(api::path::kRunLogs),
                  [&core](const RouteContext& c) { return RunLogs(core, c); });
}

}  // namespace prisn::server
