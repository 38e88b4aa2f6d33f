#include "cli/get_cron.h"

#include <fmt/core.h>

#include <map>

#include "api/routes.h"
#include "cli/printer.h"
#include "cli/workload_view.h"

namespace prisn::cli {

using json = nlohmann::ordered_json;

namespace {

std::string Text(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Or(std::string s) { return s.empty() ? "-" : s; }

// "in 42s", "3m ago": relative to now.
std::string Relative(const json& time, Clock::time_point now, bool future) {
  auto ms = TimeMs(time);
  if (!ms) return "-";
  std::int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::int64_t diff = future ? *ms - now_ms : now_ms - *ms;
  auto s = std::chrono::seconds(std::max<std::int64_t>(0, (diff + 999) / 1000));
  return future ? "in " + FormatAge(s) : FormatAge(s) + " ago";
}

}  // namespace

int ListCronJobs(Context& ctx, ApiClient& client, const NamespaceOptions& ns) {
  std::vector<std::pair<std::string_view, std::string>> query{{api::query::kKind, "cronjobs"}};
  if (!ns.all) query.emplace_back(api::query::kNamespace, ns.name);
  auto objects = client.Get(std::string(api::path::kObjects) + api::Query(query));
  if (!objects) {
    Report(ctx, objects.error(), client.details());
    return ctx.exit_code;
  }
  std::map<std::pair<std::string, std::string>, json> observed;
  std::vector<std::pair<std::string_view, std::string>> status_query;
  if (!ns.all) status_query.emplace_back(api::query::kNamespace, ns.name);
  if (auto status = client.Get(std::string(api::path::kStatus) + api::Query(status_query))) {
    for (const auto& w : status->value("workloads", json::array())) {
      if (Text(w, "kind") == "CronJob") observed[{Text(w, "namespace"), Text(w, "name")}] = w;
    }
  }
  json items = json::array();
  for (const auto& o : objects->value("items", json::array())) {
    json item = {{"namespace", Text(o, "namespace")}, {"name", Text(o, "name")}};
    auto it = observed.find({Text(o, "namespace"), Text(o, "name")});
    json st = it != observed.end() ? it->second : json::object();
    for (const char* key : {"state", "schedule", "timeZone", "lastRun", "lastResult", "lastSchedule",
                            "nextFire", "activeRuns", "reason"}) {
      item[key] = st.value(key, json());
    }
    items.push_back(std::move(item));
  }
  if (ctx.global.output == "text" && items.empty()) {
    if (ns.all) {
      fmt::print(stderr, "No cronjobs found.\n");
    } else {
      fmt::print(stderr, "No cronjobs found in namespace {}.\n", ns.name);
    }
    return kExitOk;
  }
  auto now = Clock::now();
  PrintOutput(ctx.global.output, json{{"cronjobs", items}}, [&] {
    std::vector<std::string> headers{"NAME", "SCHEDULE", "ZONE", "STATE", "LAST RUN", "RESULT",
                                     "LAST SCHEDULE", "NEXT FIRE"};
    if (ns.all) headers.insert(headers.begin() + 1, "NAMESPACE");
    Table table(headers);
    for (const auto& i : items) {
      std::vector<std::string> row{Text(i, "name"),
                                   Or(Text(i, "schedule")),
                                   Or(Text(i, "timeZone")),
                                   Or(Text(i, "state")),
                                   Or(Text(i, "lastRun")),
                                   Or(Text(i, "lastResult")),
                                   Relative(i.value("lastSchedule", json()), now, false),
                                   Relative(i.value("nextFire", json()), now, true)};
      if (ns.all) row.insert(row.begin() + 1, Text(i, "namespace"));
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
  auto answer = client.Get(std::string(api::path::kRuns) + api::Query(query));
  if (!answer) {
    Report(ctx, answer.error(), client.details());
    return ctx.exit_code;
  }
  json runs = json::array();
  for (const auto& r : answer->value("runs", json::array())) {
    if (Text(r, "kind") == "CronJob" && static_cast<int>(runs.size()) < limit) runs.push_back(r);
  }
  if (ctx.global.output == "text" && runs.empty()) {
    fmt::print(stderr, "No runs of cronjob {} found.\n", name);
    return kExitOk;
  }
  auto now = Clock::now();
  PrintOutput(ctx.global.output, json{{"runs", runs}}, [&] { return RunTable(runs, now).Render(); });
  return kExitOk;
}

}  // namespace prisn::cli
