// The fields Deployment, Job and CronJob share, and where each kind's
// fields may not appear.
#include <fmt/core.h>

#include "manifests/decode.h"

namespace prisn::manifests::internal {
namespace {

// "./a//b/" -> "a/b"; "../x" stays "../x" (the loader decides about escapes).
std::string NormalizeRelative(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string part(path.substr(pos, slash - pos));
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out.empty() ? "." : out;
}

void DecodeSource(Ctx& ctx, const YNode* n, const std::string& path, Source& out) {
  if (!n) return;
  if (n->type == YNode::Type::kScalar) {
    ctx.Error(*n, path, "expected a mapping with path or inline, found " + Describe(*n),
              fmt::format("write source: {{path: {}}}", n->scalar));
    return;
  }
  if (!ExpectMap(ctx, *n, path, "a mapping with path or inline")) return;
  Fields f(ctx, *n, path);
  const YNode* p = f.Take("path");
  const YNode* in = f.Take("inline");
  static const MisplacedFields kMisplaced{
      {"git", {"a source is a path in the manifest's own tree",
               "to deploy from a git repository, keep this manifest in the repository and register "
               "the repository as a source of the daemon"}},
      {"configMap", {"prisn has no ConfigMaps", "use source.path or source.inline"}},
      {"file", {"unknown field \"file\"", "did you mean \"path\"?"}},
      {"code", {"unknown field \"code\"", "did you mean \"inline\"?"}},
  };
  f.Finish(&kMisplaced);
  if (p && in) {
    ctx.Error(*in, f.Path("inline"), "give either source.path or source.inline, not both");
    return;
  }
  if (!p && !in) {
    if (!f.Has("git") && !f.Has("configMap")) ctx.Error(*n, path, "source needs path or inline");
    return;
  }
  if (p) {
    auto s = ReadNonEmptyString(ctx, p, f.Path("path"));
    if (!s) return;
    if (s->starts_with('/')) {
      ctx.Error(*p, f.Path("path"), "source.path must be relative to the manifest file, found " + Describe(*p),
                "place the code next to the manifest, or in a folder below the manifest root");
      return;
    }
    out.path = NormalizeRelative(*s);
  } else {
    auto s = ReadString(ctx, in, f.Path("inline"));
    if (!s) return;
    if (s->find_first_not_of(" \t\r\n") == std::string::npos) {
      ctx.Error(*in, f.Path("inline"), "the inline source is empty");
      return;
    }
    out.is_inline = true;
    out.inline_text = *s;
  }
}

void DecodeEnv(Ctx& ctx, const YNode* n, const std::string& path, std::map<std::string, std::string>& out) {
  if (!n) return;
  if (n->type == YNode::Type::kSequence) {
    // The Kubernetes spelling: [{name: A, value: b}].
    for (std::size_t i = 0; i < n->items.size(); ++i) {
      const YNode& item = n->items[i];
      std::string ip = fmt::format("{}[{}]", path, i);
      if (!ExpectMap(ctx, item, ip, "a mapping with name and value")) continue;
      Fields f(ctx, item, ip);
      auto name = ReadNonEmptyString(ctx, f.Take("name"), f.Path("name"));
      const YNode* value_node = f.Take("value");
      auto value = ReadString(ctx, value_node, f.Path("value"));
      static const MisplacedFields kMisplaced{
          {"valueFrom", {"valueFrom is not supported", "put the value in a Secret and use envFrom"}}};
      f.Finish(&kMisplaced);
      if (!f.Has("name")) ctx.Error(item, ip, "missing field \"name\"");
      if (!name) continue;
      if (!IsEnvName(*name)) {
        ctx.Error(*f.Take("name"), f.Path("name"),
                  fmt::format("\"{}\" is not a valid environment variable name", *name),
                  "use letters, digits and '_', not starting with a digit");
        continue;
      }
      if (out.count(*name)) {
        ctx.Error(item, ip, fmt::format("environment variable \"{}\" is set twice", *name));
        continue;
      }
      out[*name] = value.value_or("");
    }
    return;
  }
  auto m = ReadStringMap(ctx, n, path);
  if (!m) return;
  for (const auto& e : n->entries) {
    if (!IsEnvName(e.key)) {
      ctx.Error(e.line, e.column, path + "." + e.key,
                fmt::format("\"{}\" is not a valid environment variable name", e.key),
                "use letters, digits and '_', not starting with a digit");
    }
  }
  out = std::move(*m);
}

void DecodeEnvFrom(Ctx& ctx, const YNode* n, const std::string& path, std::vector<SecretRef>& out) {
  if (!n) return;
  if (n->type != YNode::Type::kSequence) {
    ctx.Error(*n, path, "expected a list of secret references, found " + Describe(*n),
              n->type == YNode::Type::kScalar ? fmt::format("write envFrom: [{}]", Describe(*n)) : "");
    return;
  }
  for (std::size_t i = 0; i < n->items.size(); ++i) {
    const YNode& item = n->items[i];
    std::string ip = fmt::format("{}[{}]", path, i);
    SecretRef ref;
    if (item.type == YNode::Type::kScalar) {
      auto name = ReadName(ctx, &item, ip);
      ctx.Record(ip, item);
      if (name) out.push_back(SecretRef{*name, ""});
      continue;
    }
    if (!ExpectMap(ctx, item, ip, "a secret name or {secretRef: {name: ...}}")) continue;
    Fields f(ctx, item, ip);
    const YNode* sr = f.Take("secretRef");
    auto prefix = ReadString(ctx, f.Take("prefix"), f.Path("prefix"));
    static const MisplacedFields kMisplaced{
        {"configMapRef", {"prisn has no ConfigMaps", "use env for plain values, or a Secret with secretRef"}},
        {"name", {"a secret reference is written secretRef: {name: ...}", "or just the secret's name as the list item"}},
    };
    f.Finish(&kMisplaced);
    if (!sr) {
      if (!f.Has("configMapRef") && !f.Has("name")) ctx.Error(item, ip, "missing field \"secretRef\"");
      continue;
    }
    if (!ExpectMap(ctx, *sr, f.Path("secretRef"), "a mapping with name")) continue;
    Fields g(ctx, *sr, f.Path("secretRef"));
    const YNode* name_node = g.Take("name");
    auto name = ReadName(ctx, name_node, g.Path("name"));
    g.Finish();
    if (!name_node) {
      ctx.Error(*sr, g.path(), "missing field \"name\"");
      continue;
    }
    if (prefix && !prefix->empty() && !IsEnvName(*prefix)) {
      ctx.Error(*f.Take("prefix"), f.Path("prefix"),
                fmt::format("\"{}\" cannot start an environment variable name", *prefix));
    }
    if (name) out.push_back(SecretRef{*name, prefix.value_or("")});
  }
}

void DecodeResources(Ctx& ctx, const YNode* n, const std::string& path, Resources& out) {
  if (!n || !ExpectMap(ctx, *n, path)) return;
  Fields f(ctx, *n, path);
  if (auto v = ReadCpu(ctx, f.Take("cpu"), f.Path("cpu"))) out.cpu = *v;
  const YNode* mem = f.Take("memory");
  if (auto v = ReadBytes(ctx, mem, f.Path("memory"))) {
    if (v->value < (4LL << 20)) {
      ctx.Error(*mem, f.Path("memory"),
                fmt::format("memory must be at least 4Mi, found {}", Describe(*mem)),
                v->value > 0 && v->value < 4096 ? "sizes are in bytes unless suffixed: did you mean Mi?" : "");
    } else {
      out.memory = *v;
    }
  }
  if (auto v = ReadInt(ctx, f.Take("pids"), f.Path("pids"), 1, 1000000)) out.pids = static_cast<int>(*v);
  const YNode* disk = f.Take("disk");
  if (auto v = ReadBytes(ctx, disk, f.Path("disk"))) {
    if (v->value < (1LL << 20)) {
      ctx.Error(*disk, f.Path("disk"), fmt::format("disk must be at least 1Mi, found {}", Describe(*disk)));
    } else {
      out.disk = *v;
    }
  }
  static const MisplacedFields kMisplaced{
      {"limits", {"prisn resources are limits already", "write cpu, memory, pids and disk directly under resources"}},
      {"requests", {"prisn has no resource requests", "write cpu, memory, pids and disk directly under resources"}},
  };
  f.Finish(&kMisplaced);
}

void DecodeIsolation(Ctx& ctx, const YNode* n, const std::string& path, Isolation& out) {
  if (!n || !ExpectMap(ctx, *n, path)) return;
  Fields f(ctx, *n, path);
  if (auto v = ReadInt(ctx, f.Take("level"), f.Path("level"), 0, 2)) out.level = static_cast<int>(*v);
  const YNode* user = f.Take("user");
  if (auto v = ReadNonEmptyString(ctx, user, f.Path("user"))) {
    bool numeric = v->find_first_not_of("0123456789") == std::string::npos;
    bool name = v->size() <= 32 && ((*v)[0] == '_' || ((*v)[0] >= 'a' && (*v)[0] <= 'z')) &&
                v->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
    if (!numeric && !name) {
      ctx.Error(*user, f.Path("user"), "expected a user name or numeric uid, found " + Describe(*user));
    } else if (*v == "root" || *v == "0") {
      ctx.Error(*user, f.Path("user"), "workloads never run as root",
                "omit user to get a dedicated unprivileged user");
    } else {
      out.user = *v;
    }
  }
  f.Finish();
}

}  // namespace

// The fields every workload kind shares. Kind-specific fields are taken by
// the caller before Finish().
void DecodeWorkload(Ctx& ctx, Fields& f, WorkloadSpec& w, bool has_timeout) {
  if (auto v = ReadNonEmptyString(ctx, f.Take("runtime"), f.Path("runtime"))) w.runtime = *v;
  const YNode* src = f.Take("source");
  DecodeSource(ctx, src, f.Path("source"), w.source);
  if (!src && !f.Has("image") && !f.Has("containers")) {
    ctx.Error(f.node(), f.path(), f.Has("source") ? "source is empty" : "missing field \"source\"",
              "add source: {path: FILE} or source: {inline: CODE}");
  }
  const YNode* ep = f.Take("entrypoint");
  if (auto v = ReadNonEmptyString(ctx, ep, f.Path("entrypoint"))) {
    std::string norm = NormalizeRelative(*v);
    if (v->starts_with('/') || norm.starts_with("..")) {
      ctx.Error(*ep, f.Path("entrypoint"), "the entrypoint must be a file inside the source, found " + Describe(*ep));
    } else {
      w.entrypoint = norm;
    }
  }
  if (auto v = ReadStringList(ctx, f.Take("args"), f.Path("args"))) w.args = *v;
  DecodeEnv(ctx, f.Take("env"), f.Path("env"), w.env);
  DecodeEnvFrom(ctx, f.Take("envFrom"), f.Path("envFrom"), w.env_from);
  DecodeResources(ctx, f.Take("resources"), f.Path("resources"), w.resources);
  DecodeIsolation(ctx, f.Take("isolation"), f.Path("isolation"), w.isolation);
  if (has_timeout) {
    if (auto v = ReadDuration(ctx, f.Take("timeout"), f.Path("timeout"))) w.timeout = *v;
  }
  if (auto v = ReadDuration(ctx, f.Take("terminationGracePeriod"), f.Path("terminationGracePeriod"))) {
    w.termination_grace_period = *v;
  }
  const YNode* deps = f.Take("dependsOn");
  if (auto v = ReadStringList(ctx, deps, f.Path("dependsOn"))) {
    for (std::size_t i = 0; i < v->size(); ++i) {
      std::string p = fmt::format("{}[{}]", f.Path("dependsOn"), i);
      if (ReadName(ctx, &deps->items[i], p)) w.depends_on.push_back((*v)[i]);
    }
  }
}

const MisplacedFields& WorkloadMisplaced(Kind kind) {
  static const std::pair<std::string, std::string> kCommand{
      "command belongs to a Runner", "a workload names its interpreter with runtime and passes arguments with args"};
  auto deployment_only = [](std::string_view what) {
    return std::pair<std::string, std::string>{
        fmt::format("{} applies to Deployments; a {} runs once to completion", what, "Job"),
        "use kind: Deployment for a long-running service"};
  };
  static const MisplacedFields kDeployment = [] {
    MisplacedFields m{{"command", kCommand}};
    for (const char* f : {"backoffLimit", "activeDeadline"}) {
      m[f] = {fmt::format("{} applies to Jobs and CronJobs; a Deployment runs until it is stopped", f), ""};
    }
    m["timeout"] = {"timeout applies to Jobs and CronJobs; a Deployment runs until it is stopped",
                    "for slow health checks use healthCheck.timeout, for rollouts progressDeadline"};
    for (const char* f : {"schedule", "every", "timeZone", "concurrencyPolicy", "startingDeadline", "suspend",
                          "successfulJobsHistoryLimit", "failedJobsHistoryLimit"}) {
      m[f] = {fmt::format("{} applies to CronJobs", f), "use kind: CronJob to run a script on a schedule"};
    }
    return m;
  }();
  static const MisplacedFields kJob = [&] {
    MisplacedFields m{{"command", kCommand}};
    for (const char* f : {"replicas", "port", "protocol", "loadBalancing", "healthCheck",
                          "livenessCheck", "strategy", "progressDeadline", "autoRevert"}) {
      m[f] = deployment_only(f);
    }
    for (const char* f : {"schedule", "every", "timeZone", "concurrencyPolicy", "startingDeadline", "suspend",
                          "successfulJobsHistoryLimit", "failedJobsHistoryLimit"}) {
      m[f] = {fmt::format("{} applies to CronJobs", f), "use kind: CronJob to run the job on a schedule"};
    }
    return m;
  }();
  static const MisplacedFields kCron = [&] {
    MisplacedFields m{{"command", kCommand}};
    for (const char* f : {"replicas", "port", "protocol", "loadBalancing", "healthCheck",
                          "livenessCheck", "strategy", "progressDeadline", "autoRevert"}) {
      m[f] = {fmt::format("{} applies to Deployments; each CronJob run runs once to completion", f),
              "use kind: Deployment for a long-running service"};
    }
    m["cron"] = {"unknown field \"cron\"", "did you mean \"schedule\"?"};
    m["interval"] = {"unknown field \"interval\"", "did you mean \"every\"?"};
    return m;
  }();
  return kind == Kind::kDeployment ? kDeployment : kind == Kind::kJob ? kJob : kCron;
}

std::optional<RestartPolicy> ToRestartPolicy(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  if (*s == "Always") return RestartPolicy::kAlways;
  if (*s == "OnFailure") return RestartPolicy::kOnFailure;
  return RestartPolicy::kNever;
}

}  // namespace prisn::manifests::internal
