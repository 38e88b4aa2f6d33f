#include "cli/object_view.h"

#include <fmt/core.h>

#include <cctype>
#include <ctime>
#include <set>
#include <vector>

#include "cli/command_util.h"
#include "cli/json_fields.h"
#include "cli/workload_view.h"

namespace prisn::cli {
namespace {

using json = nlohmann::ordered_json;

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string VersionCell(const api::ObjectView& o) {
  return o.hold ? o.version + " (held)" : o.version;
}

std::string StatusCell(const api::ObjectView& o) {
  return o.status.state.empty() ? "unknown" : o.status.state;
}

// "ready/desired", with "-" for a count nothing observed.
std::string ReplicasCell(const api::ObjectView& o) {
  json spec = SpecOf(o);
  std::string ready = o.status.observed ? std::to_string(o.status.observed->ready_replicas) : "-";
  std::string desired = spec.contains("replicas") ? Cell(spec["replicas"]) : "-";
  return ready + "/" + desired;
}

std::string ScheduleCell(const json& spec) {
  std::string s = StrOrDump(spec, "schedule");
  if (!s.empty()) return s;
  std::string every = StrOrDump(spec, "every");
  return every.empty() ? "-" : "every " + every;
}

std::string KeysCell(const json& spec) {
  std::set<std::string> keys;
  for (const char* field : {"data", "stringData", "sealedData"}) {
    if (!spec.contains(field) || !spec[field].is_object()) continue;
    for (const auto& [k, v] : spec[field].items()) keys.insert(k);
  }
  return keys.empty() ? "-" : Join({keys.begin(), keys.end()}, ",");
}

std::vector<std::string> StringList(const json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const auto& e : v) out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  return out;
}

std::string HostsCell(const json& spec) {
  std::vector<std::string> hosts;
  for (const auto& rule : spec.value("rules", json::array())) {
    std::string h = StrOrDump(rule, "host");
    hosts.push_back(h.empty() ? "*" : h);
  }
  return hosts.empty() ? "-" : Join(hosts, ",");
}

std::string PortCell(const json& spec) { return spec.contains("port") ? Cell(spec["port"]) : "-"; }

std::string TypeCell(std::string_view kind) {
  std::string out(kind);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string NsCell(const api::ObjectView& o) { return o.ns.empty() ? "-" : o.ns; }

}  // namespace

json SpecOf(const api::ObjectView& object) {
  const json& m = object.manifest;
  if (!m.is_object()) return json::object();
  // The canonical document carries its spec one level down.
  if (auto it = m.find("spec"); it != m.end() && it->is_object()) return *it;
  return json::object();
}

std::string LocalTime(const json& time, bool minutes) {
  if (!time.is_string()) return time.is_null() ? "-" : time.dump();
  auto epoch = ParseRfc3339(time.get<std::string>());
  if (!epoch) return time.get<std::string>();
  std::time_t t = static_cast<std::time_t>(*epoch);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, minutes ? "%Y-%m-%d %H:%M" : "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

Table ObjectTable(const std::vector<api::ObjectView>& items, std::string_view kind,
                  bool with_namespace, std::chrono::system_clock::time_point now) {
  std::vector<std::string> headers;
  if (with_namespace) headers.push_back("NAMESPACE");
  headers.push_back("NAME");
  if (kind.empty()) {
    for (const char* h : {"TYPE", "REPLICAS", "VERSION", "STATUS", "AGE"}) headers.push_back(h);
  } else if (kind == "Deployment") {
    for (const char* h : {"REPLICAS", "PORT", "VERSION", "STATUS", "AGE"}) headers.push_back(h);
  } else if (kind == "Job") {
    for (const char* h : {"RUNTIME", "VERSION", "STATUS", "AGE"}) headers.push_back(h);
  } else if (kind == "CronJob") {
    for (const char* h : {"SCHEDULE", "SUSPEND", "VERSION", "STATUS", "AGE"}) headers.push_back(h);
  } else if (kind == "Runner") {
    for (const char* h : {"COMMAND", "EXTENSIONS", "VERSION", "AGE"}) headers.push_back(h);
  } else if (kind == "Secret") {
    for (const char* h : {"KEYS", "VERSION", "AGE"}) headers.push_back(h);
  } else if (kind == "Ingress") {
    for (const char* h : {"HOSTS", "ADDRESS", "VERSION", "AGE"}) headers.push_back(h);
  } else {
    for (const char* h : {"VERSION", "AGE"}) headers.push_back(h);
  }
  Table table(std::move(headers));
  for (const api::ObjectView& o : items) {
    json spec = SpecOf(o);
    const std::string& k = o.kind;
    std::vector<std::string> row;
    if (with_namespace) row.push_back(NsCell(o));
    row.push_back(o.name);
    std::string age = AgeOf(json(o.created_at), now);
    if (kind.empty()) {
      bool workload = k == "Deployment" || k == "Job" || k == "CronJob";
      row.push_back(TypeCell(k));
      row.push_back(k == "Deployment" ? ReplicasCell(o) : "-");
      row.push_back(VersionCell(o));
      row.push_back(workload ? StatusCell(o) : "-");
      row.push_back(age);
    } else if (kind == "Deployment") {
      row.insert(row.end(), {ReplicasCell(o), PortCell(spec), VersionCell(o), StatusCell(o), age});
    } else if (kind == "Job") {
      row.insert(row.end(), {StrOrDump(spec, "runtime"), VersionCell(o), StatusCell(o), age});
    } else if (kind == "CronJob") {
      row.insert(row.end(),
                 {ScheduleCell(spec), spec.contains("suspend") ? Cell(spec["suspend"]) : "-",
                  VersionCell(o), StatusCell(o), age});
    } else if (kind == "Runner") {
      row.insert(row.end(), {Join(StringList(spec.value("command", json::array())), " "),
                             Join(StringList(spec.value("extensions", json::array())), ","),
                             VersionCell(o), age});
    } else if (kind == "Secret") {
      row.insert(row.end(), {KeysCell(spec), VersionCell(o), age});
    } else if (kind == "Ingress") {
      row.insert(row.end(),
                 {HostsCell(spec), fmt::format("{}:{}", StrOrDump(spec, "address"), PortCell(spec)),
                  VersionCell(o), age});
    } else {
      row.insert(row.end(), {VersionCell(o), age});
    }
    table.AddRow(std::move(row));
  }
  return table;
}

std::string DescribeText(const api::ObjectView& o, const std::vector<api::EventView>& events,
                         std::chrono::system_clock::time_point now,
                         const std::optional<api::WorkloadStatus>& status) {
  const bool observed = status.has_value();
  json spec = SpecOf(o);
  const std::string& kind = o.kind;
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Name", o.name},
      {"Kind", kind},
      {"Namespace", NsCell(o)},
      {"Version", fmt::format("{} (generation {})", o.version, o.generation)},
      {"Applied by", o.applied_by},
      {"Set", o.set.value_or("")},
      {"Created",
       fmt::format("{} ({} ago)", LocalTime(json(o.created_at)), AgeOf(json(o.created_at), now))},
      {"Updated",
       fmt::format("{} ({} ago)", LocalTime(json(o.updated_at)), AgeOf(json(o.updated_at), now))},
  };
  if (o.hold) {
    const api::HoldView& hold = *o.hold;
    fields.emplace_back(
        "Hold", fmt::format("pinned to {} by {} at {} (applies asking for {} leave it; release "
                            "with `prisn rollback {} --release`)",
                            hold.version, hold.by, LocalTime(json(hold.at)), hold.held_from,
                            Label(kind, o.name)));
  } else {
    fields.emplace_back("Hold", "-");
  }
  bool workload = kind == "Deployment" || kind == "Job" || kind == "CronJob";
  if (workload) {
    fields.emplace_back("Status", observed ? status->state : StatusCell(o));
    if (observed && !status->reason.empty()) fields.emplace_back("Reason", status->reason);
    fields.emplace_back("Runtime", StrOrDump(spec, "runtime"));
    const json source = spec.value("source", json());
    fields.emplace_back("Source", source.is_object() && source.contains("path")
                                      ? StrOrDump(source, "path")
                                      : (source.is_object() ? "inline" : "-"));
    fields.emplace_back("Entrypoint", StrOrDump(spec, "entrypoint"));
  }
  if (kind == "Deployment") {
    fields.emplace_back("Port", PortCell(spec));
    fields.emplace_back("Replicas", (observed ? fmt::format("{}/{}", status->ready, status->desired)
                                              : ReplicasCell(o)) +
                                        " ready");
  }
  if (kind == "CronJob") {
    fields.emplace_back("Schedule", ScheduleCell(spec));
    std::string tz = StrOrDump(spec, "timeZone");
    fields.emplace_back("Time zone", tz.empty() ? "the host's" : tz);
    fields.emplace_back("Suspend", spec.contains("suspend") ? Cell(spec["suspend"]) : "-");
  }
  if (kind == "Secret") fields.emplace_back("Keys", KeysCell(spec));

  std::string out = RenderFields(fields);
  if (observed && !status->replicas.empty()) {
    out += "\nReplicas:\n" + ReplicaTable(status->replicas, now, 2).Render();
  }
  out += "\nSpec:\n";
  std::string yaml = ToYaml(spec);
  for (size_t start = 0; start < yaml.size();) {
    size_t nl = yaml.find('\n', start);
    if (nl == std::string::npos) nl = yaml.size();
    out += "  " + yaml.substr(start, nl - start) + "\n";
    start = nl + 1;
  }
  if (!o.sources.empty()) {
    out += "\nSource files:\n";
    Table t({"  PATH", "SHA256"});
    for (const auto& [path, sha] : o.sources) t.AddRow({"  " + path, sha.substr(0, 12)});
    out += t.Render();
  }
  out += "\nRecent events:\n";
  if (events.empty()) {
    out += "  none\n";
  } else {
    Table t({"  TIME", "TYPE", "MESSAGE", "BY"});
    for (const api::EventView& e : events) {
      t.AddRow({"  " + LocalTime(json(e.time)), e.type, e.message, e.actor});
    }
    out += t.Render();
  }
  return out;
}

}  // namespace prisn::cli
