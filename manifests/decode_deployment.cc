// Deployment: replicas, port, probes, rollout strategy.
#include <fmt/core.h>

#include "manifests/decode.h"

namespace prisn::manifests::internal {
namespace {

// A probe port: 1..65535, or absent (the replica's own $PORT).
int ReadProbePort(Ctx& ctx, Fields& f) {
  auto v = ReadInt(ctx, f.Take("port"), f.Path("port"), 1, 65535);
  return v ? static_cast<int>(*v) : 0;
}

// Duration with its Kubernetes spelling as an alias (integer seconds).
void ReadProbeDuration(Ctx& ctx, Fields& f, std::string_view name, std::string_view k8s_name,
                       std::string_view alias, Duration& out, bool positive) {
  const YNode* d = f.Take(name);
  const YNode* s = f.Take(k8s_name);
  const YNode* a = alias.empty() ? nullptr : f.Take(alias);
  int given = (d != nullptr) + (s != nullptr) + (a != nullptr);
  if (given > 1) {
    std::vector<std::string_view> names;
    if (d) names.push_back(name);
    if (a) names.push_back(alias);
    if (s) names.push_back(k8s_name);
    const YNode* second = s ? s : a;
    ctx.Error(*second, f.Path(s ? k8s_name : alias),
              fmt::format("the same setting is given twice, as {} and {}", names[0], names[1]),
              fmt::format("keep only {}", name));
    return;
  }
  std::optional<Duration> v;
  std::string path;
  const YNode* at = nullptr;
  if (d) {
    v = ReadDuration(ctx, d, path = f.Path(name));
    at = d;
  } else if (a) {
    v = ReadDuration(ctx, a, path = f.Path(alias));
    at = a;
  } else if (s) {
    if (auto secs = ReadInt(ctx, s, path = f.Path(k8s_name), 0, 86400)) v = Duration{*secs * 1000};
    at = s;
  }
  if (!v) return;
  if (positive && v->count() == 0) {
    ctx.Error(*at, path, "must be greater than zero");
    return;
  }
  out = *v;
}

std::optional<HealthCheck> DecodeHealthCheck(Ctx& ctx, const YNode* n, const std::string& path, bool liveness) {
  if (!n || !ExpectMap(ctx, *n, path, "a mapping with http, tcp or exec")) return std::nullopt;
  HealthCheck hc;
  Fields f(ctx, *n, path);
  const YNode* http = f.Take("http");
  const YNode* tcp = f.Take("tcp");
  const YNode* exec = f.Take("exec");
  int kinds = (http != nullptr) + (tcp != nullptr) + (exec != nullptr);
  if (http && ExpectMap(ctx, *http, f.Path("http"), "a mapping with path and port")) {
    Fields g(ctx, *http, f.Path("http"));
    HttpProbe p;
    const YNode* pn = g.Take("path");
    if (auto s = ReadNonEmptyString(ctx, pn, g.Path("path"))) {
      if (!s->starts_with('/')) {
        ctx.Error(*pn, g.Path("path"), "an HTTP path must start with '/', found " + Describe(*pn),
                  fmt::format("did you mean \"/{}\"?", *s));
      } else {
        p.path = *s;
      }
    }
    p.port = ReadProbePort(ctx, g);
    if (auto v = ReadInt(ctx, g.Take("expectedStatus"), g.Path("expectedStatus"), 100, 599)) {
      p.expected_status = static_cast<int>(*v);
    }
    g.Finish();
    hc.probe = p;
  }
  if (tcp && ExpectMap(ctx, *tcp, f.Path("tcp"), "a mapping with port")) {
    Fields g(ctx, *tcp, f.Path("tcp"));
    TcpProbe p;
    p.port = ReadProbePort(ctx, g);
    g.Finish();
    hc.probe = p;
  }
  if (exec && ExpectMap(ctx, *exec, f.Path("exec"), "a mapping with command")) {
    Fields g(ctx, *exec, f.Path("exec"));
    ExecProbe p;
    const YNode* cmd = g.Take("command");
    if (auto v = ReadStringList(ctx, cmd, g.Path("command"))) {
      if (v->empty()) ctx.Error(*cmd, g.Path("command"), "the command is empty");
      p.command = *v;
    } else if (!cmd) {
      ctx.Error(*exec, g.path(), "missing field \"command\"");
    }
    g.Finish();
    hc.probe = p;
  }
  ReadProbeDuration(ctx, f, "initialDelay", "initialDelaySeconds", "", hc.initial_delay, false);
  ReadProbeDuration(ctx, f, "period", "periodSeconds", "interval", hc.period, true);
  ReadProbeDuration(ctx, f, "timeout", "timeoutSeconds", "", hc.timeout, true);
  if (auto v = ReadInt(ctx, f.Take("failureThreshold"), f.Path("failureThreshold"), 1, 1000)) {
    hc.failure_threshold = static_cast<int>(*v);
  }
  const YNode* st = f.Take("successThreshold");
  if (auto v = ReadInt(ctx, st, f.Path("successThreshold"), 1, 1000)) {
    if (liveness && *v != 1) {
      ctx.Error(*st, f.Path("successThreshold"), "a liveness check's successThreshold must be 1");
    } else {
      hc.success_threshold = static_cast<int>(*v);
    }
  }
  static const MisplacedFields kMisplaced{
      {"path", {"an HTTP check is written under http", "write http: {path: ..., port: ...}"}},
      {"port", {"the probe's port is written under tcp or http", "write tcp: {port: ...} or http: {port: ...}"}},
      {"command", {"an exec check is written under exec", "write exec: {command: [...]}"}},
      {"threshold", {"unknown field \"threshold\"", "did you mean \"failureThreshold\"?"}},
      {"httpGet", {"unknown field \"httpGet\"", "did you mean \"http\"?"}},
      {"tcpSocket", {"unknown field \"tcpSocket\"", "did you mean \"tcp\"?"}},
  };
  f.Finish(&kMisplaced);
  if (kinds == 0) {
    if (!f.Has("path") && !f.Has("port") && !f.Has("command") && !f.Has("httpGet") && !f.Has("tcpSocket")) {
      ctx.Error(*n, path, "a health check needs one of http, tcp or exec");
    }
    return std::nullopt;
  }
  if (kinds > 1) {
    ctx.Error(*n, path, "a health check has exactly one of http, tcp or exec");
    return std::nullopt;
  }
  return hc;
}

void DecodeStrategy(Ctx& ctx, const YNode* n, const std::string& path, Strategy& out) {
  if (!n || !ExpectMap(ctx, *n, path)) return;
  Fields f(ctx, *n, path);
  if (auto t = ReadEnum(ctx, f.Take("type"), f.Path("type"), {"rolling", "recreate"})) {
    out.type = *t == "rolling" ? StrategyType::kRolling : StrategyType::kRecreate;
  }
  const YNode* surge = f.Take("maxSurge");
  const YNode* unavail = f.Take("maxUnavailable");
  auto s = ReadIntOrPercent(ctx, surge, f.Path("maxSurge"));
  auto u = ReadIntOrPercent(ctx, unavail, f.Path("maxUnavailable"));
  static const MisplacedFields kMisplaced{
      {"rollingUpdate", {"the rolling update budget is written directly under strategy",
                         "write strategy: {maxSurge: ..., maxUnavailable: ...}"}}};
  f.Finish(&kMisplaced);
  if (out.type == StrategyType::kRecreate) {
    if (surge) ctx.Error(*surge, f.Path("maxSurge"), "maxSurge applies to the rolling strategy only");
    if (unavail) ctx.Error(*unavail, f.Path("maxUnavailable"), "maxUnavailable applies to the rolling strategy only");
    return;
  }
  if (s) out.max_surge = *s;
  if (u) out.max_unavailable = *u;
  if (out.max_surge.value == 0 && out.max_unavailable.value == 0) {
    ctx.Error(unavail ? *unavail : surge ? *surge : *n, path,
              "maxSurge and maxUnavailable cannot both be 0: the rollout could never make progress");
  }
}

}  // namespace

DeploymentSpec DecodeDeployment(Ctx& ctx, const YNode* spec) {
  DeploymentSpec d;
  if (!spec || !ExpectMap(ctx, *spec, "spec")) return d;
  Fields f(ctx, *spec, "spec");
  DecodeWorkload(ctx, f, d, false);
  if (auto v = ReadInt(ctx, f.Take("replicas"), f.Path("replicas"), 0, 10000)) d.replicas = static_cast<int>(*v);
  const YNode* port = f.Take("port");
  if (port) {
    if (port->type == YNode::Type::kScalar && port->scalar == "auto") {
      d.port = Port{Port::Mode::kAuto, 0};
    } else if (port->type == YNode::Type::kScalar && port->plain &&
               port->scalar.find_first_not_of("0123456789-") == std::string::npos && !port->scalar.empty()) {
      if (auto v = ReadInt(ctx, port, f.Path("port"), 1, 65535)) d.port = Port{Port::Mode::kFixed, static_cast<int>(*v)};
    } else {
      ctx.Error(*port, f.Path("port"), "expected an integer from 1 to 65535 or \"auto\", found " + Describe(*port),
                !port->plain && port->scalar.find_first_not_of("0123456789") == std::string::npos
                    ? "remove the quotes"
                    : "");
    }
  }
  const YNode* proto = f.Take("protocol");
  if (auto p = ReadEnum(ctx, proto, f.Path("protocol"), {"tcp", "http"})) {
    d.protocol = *p == "http" ? Protocol::kHttp : Protocol::kTcp;
    if (d.protocol == Protocol::kHttp && d.port.mode == Port::Mode::kNone && !port) {
      ctx.Error(*proto, f.Path("protocol"), "protocol http needs a port", "add port: 8080 (or port: auto)");
    }
  }
  const YNode* lb = f.Take("loadBalancing");
  if (lb && ExpectMap(ctx, *lb, f.Path("loadBalancing"), "a mapping with algorithm and sessionAffinity")) {
    Fields g(ctx, *lb, f.Path("loadBalancing"));
    if (auto a = ReadEnum(ctx, g.Take("algorithm"), g.Path("algorithm"),
                          {"round-robin", "least-connections", "random", "ip-hash"})) {
      d.lb_algorithm = *a;
    }
    const YNode* affinity = g.Take("sessionAffinity");
    if (auto s = ReadEnum(ctx, affinity, g.Path("sessionAffinity"), {"none", "cookie"})) {
      d.cookie_affinity = *s == "cookie";
      if (d.cookie_affinity && d.protocol != Protocol::kHttp) {
        ctx.Error(*affinity, g.Path("sessionAffinity"),
                  "cookie affinity needs protocol: http (the proxy sets the cookie)",
                  "add protocol: http, or remove sessionAffinity");
      }
    }
    g.Finish();
    if (d.port.mode == Port::Mode::kNone) {
      ctx.Error(*lb, f.Path("loadBalancing"), "loadBalancing needs a port: there is nothing to balance",
                "add port: 8080 (or port: auto)");
    }
  }
  const YNode* hc = f.Take("healthCheck");
  d.health_check = DecodeHealthCheck(ctx, hc, f.Path("healthCheck"), false);
  const YNode* lc = f.Take("livenessCheck");
  d.liveness_check = DecodeHealthCheck(ctx, lc, f.Path("livenessCheck"), true);
  // A tcp/http probe without its own port targets the replica's $PORT, which
  // only exists when the Deployment has a port.
  for (auto [check, node, name] : {std::tuple{&d.health_check, hc, "healthCheck"},
                                   std::tuple{&d.liveness_check, lc, "livenessCheck"}}) {
    if (!check->has_value() || d.port.mode != Port::Mode::kNone || port) continue;
    const auto& probe = (*check)->probe;
    bool needs = (std::holds_alternative<TcpProbe>(probe) && std::get<TcpProbe>(probe).port == 0) ||
                 (std::holds_alternative<HttpProbe>(probe) && std::get<HttpProbe>(probe).port == 0);
    if (needs) {
      std::string which = std::holds_alternative<TcpProbe>(probe) ? "tcp" : "http";
      ctx.Error(*node, f.Path(name) + "." + which,
                fmt::format("{} check without a port probes the replica's $PORT, but this Deployment has no port",
                            which == "tcp" ? "a tcp" : "an http"),
                fmt::format("add spec.port, or {}.{}.port", name, which));
    }
  }
  if (d.port.mode != Port::Mode::kNone && d.env.count("PORT")) {
    ctx.Error(ctx.object().PositionOf("spec.env.PORT").line, ctx.object().PositionOf("spec.env.PORT").column,
              "spec.env.PORT", "PORT is set by prisn for each replica of a Deployment with a port",
              "read $PORT in the script instead of setting it");
  }
  DecodeStrategy(ctx, f.Take("strategy"), f.Path("strategy"), d.strategy);
  if (auto p = ToRestartPolicy(ReadEnum(ctx, f.Take("restartPolicy"), f.Path("restartPolicy"),
                                        {"Always", "OnFailure", "Never"}))) {
    d.restart_policy = *p;
  }
  const YNode* pd = f.Take("progressDeadline");
  if (auto v = ReadDuration(ctx, pd, f.Path("progressDeadline"))) {
    if (v->count() == 0) ctx.Error(*pd, f.Path("progressDeadline"), "must be greater than zero");
    else d.progress_deadline = *v;
  }
  if (auto v = ReadBool(ctx, f.Take("autoRevert"), f.Path("autoRevert"))) d.auto_revert = *v;
  f.Finish(&WorkloadMisplaced(Kind::kDeployment));
  return d;
}

}  // namespace prisn::manifests::internal
