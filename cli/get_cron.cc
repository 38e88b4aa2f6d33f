#include "cli/get_cron.h"

#include <fmt/core.h>

#include <map>

#include "api/routes.h"
#include "api/types_objects.h"
#include "cli/printer.h"
#include "cli/workload_view.h"

namespace prisn::cli {

namespace {

std::string Or(const std::optional<std::string>& s) { return s && !s->empty() ? *s : "-"; }

// "in 42s", "3m ago": relative to now.
std::string Relative(const std::optional<std::string>& time, Clock::time_point now, bool future) {
  auto ms = TimeMs(time);
  if (!ms) return "-";
  std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::int64_t diff = future ? *ms - now_ms : now_ms - *ms;
  auto s = std::chrono::seconds(std::max<std::int64_t>(0, (diff + 999) / 1000));
  return future ? "in " + FormatAge(s) : FormatAge(s) + " ago";
}

// A CronJob's row: null for what the loop has not observed.
api::CronJobRow CronRow(const std::string& ns, const std::string& name,
                        const api::WorkloadStatus* observed) {
  api::CronJobRow row;
  row.ns = ns;
  row.name = name;
  if (observed == nullptr) return row;
  const api::WorkloadStatus& st = *observed;
  auto flat = [](const api::CronOnly<std::string>& v) { return v ? *v : std::nullopt; };
  row.state = st.state;
  row.schedule = flat(st.schedule);
  row.time_zone = flat(st.time_zone);
  row.last_run = st.last_run;
  row.last_result = flat(st.last_result);
  row.last_schedule = flat(st.last_schedule);
  row.next_fire = flat(st.next_fire);
  if (st.active_runs && *st.active_runs) row.active_runs = **st.active_runs;
  row.reason = st.reason;
  return row;
}

}  // namespace

int ListCronJobs(Context& ctx, ApiClient& client, const NamespaceOptions& ns) {
  std::vector<std::pair<std::string_view, std::string>> query{{api::query::kKind, "cronjobs"}};
  if (!ns.all) query.emplace_back(api::query::kNamespace, ns.name);
  auto objects = client.Get<api::ObjectList>(std::string(api::path::kObjects) + api::Query(query));
  if (!objects) {
    Report(ctx, objects.error(), client.details());
    return ctx.exit_code;
  }
  std::map<std::pair<std::string, std::string>, api::WorkloadStatus> observed;
  std::vector<std::pair<std::string_view, std::string>> status_query;
  if (!ns.all) status_query.emplace_back(api::query::kNamespace, ns.name);
  if (auto status = client.Get<api::StatusOverview>(std::string(api::path::kStatus) +
                                                    api::Query(status_query))) {
    for (auto& w : status->workloads) {
      if (w.kind == "CronJob") observed[{w.ns, w.name}] = std::move(w);
    }
  }
  api::CronJobRows rows;
  for (const api::ObjectView& o : objects->items) {
    auto it = observed.find({o.ns, o.name});
    rows.cronjobs.push_back(CronRow(o.ns, o.name, it != observed.end() ? &it->second : nullptr));
  }
  if (ctx.global.output == "text" && rows.cronjobs.empty()) {
    if (ns.all) {
      fmt::print(stderr, "No cronjobs found.\n");
    } else {
      fmt::print(stderr, "No cronjobs found in namespace {}.\n", ns.name);
    }
    return kExitOk;
  }
  auto now = Clock::now();
  PrintOutput(ctx.global.output, api::Encode(rows), [&] {
    std::vector<std::string> headers{"NAME", "SCHEDULE", "ZONE", "STATE", "LAST RUN", "RESULT",
                                     "LAST SCHEDULE", "NEXT FIRE"};
    if (ns.all) headers.insert(headers.begin() + 1, "NAMESPACE");
    Table table(headers);
    for (const api::CronJobRow& i : rows.cronjobs) {
      std::vector<std::string> row{i.name,
                                   Or(i.schedule),
                                   Or(i.time_zone),
                                   Or(i.state),
                                   Or(i.last_run),
                                   Or(i.last_result),
                                   Relative(i.last_schedule, now, false),
                                   Relative(i.next_fire, now, true)};
      if (ns.all) row.insert(row.begin() + 1, i.ns);
      table.AddRow(row);
    }
    return table.Render();
  });
  return kExitOk;
}

int ListCronRuns(Context& ctx, ApiClient& client, const NamespaceOptions& ns,
                 const std::string& name, int limit) {
  std::vector<std::pair<std::string_view, std::string>> query{{api::query::kJob, name}};
  if (!ns.all) query.emplace_back(api::query::kNamespace, ns.name);
  // A Job or script of the same name shares the listing: ask for more.
  query.emplace_back(api::query::kLimit, std::to_string(std::min(limit * 2, 1000)));
  auto answer = client.Get<api::RunList>(std::string(api::path::kRuns) + api::Query(query));
  if (!answer) {
    Report(ctx, answer.error(), client.details());
    return ctx.exit_code;
  }
  api::RunList runs;
  for (auto& r : answer->runs) {
    if (r.kind == "CronJob" && static_cast<int>(runs.runs.size()) < limit)
      runs.runs.push_back(std::move(r));
  }
  if (ctx.global.output == "text" && runs.runs.empty()) {
    fmt::print(stderr, "No runs of cronjob {} found.\n", name);
    return kExitOk;
  }
  auto now = Clock::now();
  PrintOutput(ctx.global.output, api::Encode(runs),
              [&] { return RunTable(runs.runs, now).Render(); });
  return kExitOk;
}

}  // namespace prisn::cli
