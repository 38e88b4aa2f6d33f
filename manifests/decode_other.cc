// Runner, Secret and Ingress specs.
#include <arpa/inet.h>
#include <fmt/core.h>
#include <sodium.h>

#include <algorithm>

#include "manifests/decode.h"

namespace prisn::manifests::internal {
namespace {

bool IsBase64(std::string_view s) {
  if (s.empty()) return true;
  std::string bin(s.size(), '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  int rc = sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), s.data(), s.size(),
                             "\n\r ", &len, &end, sodium_base64_VARIANT_ORIGINAL);
  return rc == 0 && end == s.data() + s.size();
}

bool IsSecretKey(std::string_view k) {
  return !k.empty() && k.size() <= 253 && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

void ReadSecretMap(Ctx& ctx, Fields& f, std::string_view name, bool base64,
                   std::map<std::string, std::string>& out) {
  const YNode* n = f.Take(name);
  auto m = ReadStringMap(ctx, n, f.Path(name));
  if (!m) return;
  for (const auto& e : n->entries) {
    std::string p = f.Path(name) + "." + e.key;
    if (!IsSecretKey(e.key)) {
      ctx.Error(e.line, e.column, p, fmt::format("\"{}\" is not a valid secret key", e.key),
                "use letters, digits, '-', '_' and '.'");
      continue;
    }
    if (base64 && !IsBase64(e.value.scalar)) {
      ctx.Error(e.value, p, "expected a base64 value, found " + Describe(e.value),
                name == "data" ? "put plain text in stringData instead" : "seal values with `prisn secret seal`");
      continue;
    }
    out[e.key] = e.value.scalar;
  }
}

// A host name as Ingress rules take it: a DNS name, optionally "*." first.
bool IsHost(std::string_view h) {
  if (h.starts_with("*.")) h.remove_prefix(2);
  if (h.empty() || h.size() > 253) return false;
  std::size_t pos = 0;
  while (pos <= h.size()) {
    std::size_t dot = h.find('.', pos);
    if (dot == std::string_view::npos) dot = h.size();
    if (!IsDnsLabel(h.substr(pos, dot - pos))) return false;
    pos = dot + 1;
  }
  return true;
}

void DecodeIngressPath(Ctx& ctx, const YNode& n, const std::string& path, IngressPath& out) {
  if (!ExpectMap(ctx, n, path, "a mapping with path and backend")) return;
  Fields f(ctx, n, path);
  const YNode* p = f.Take("path");
  if (auto s = ReadNonEmptyString(ctx, p, f.Path("path"))) {
    if (!s->starts_with('/')) {
      ctx.Error(*p, f.Path("path"), "a path must start with '/', found " + Describe(*p),
                fmt::format("did you mean \"/{}\"?", *s));
    } else {
      out.path = *s;
    }
  }
  const YNode* b = f.Take("backend");
  if (b && ExpectMap(ctx, *b, f.Path("backend"), "a mapping with service and port")) {
    Fields g(ctx, *b, f.Path("backend"));
    const YNode* svc = g.Take("service");
    if (svc && svc->type == YNode::Type::kMap) {
      ctx.Error(*svc, g.Path("service"), "expected the Deployment's name, found a mapping",
                "write backend: {service: NAME, port: PORT}");
    } else if (auto name = ReadName(ctx, svc, g.Path("service"))) {
      out.backend.service = *name;
    }
    if (!svc) ctx.Error(*b, g.path(), "missing field \"service\"");
    if (auto v = ReadInt(ctx, g.Take("port"), g.Path("port"), 1, 65535)) out.backend.port = static_cast<int>(*v);
    static const MisplacedFields kMisplaced{
        {"deployment", {"unknown field \"deployment\"", "did you mean \"service\"?"}},
        {"serviceName", {"unknown field \"serviceName\"", "did you mean \"service\"?"}},
        {"servicePort", {"unknown field \"servicePort\"", "did you mean \"port\"?"}},
    };
    g.Finish(&kMisplaced);
  } else if (!b && !f.Has("deployment") && !f.Has("service")) {
    ctx.Error(n, path, "missing field \"backend\"", "add backend: {service: NAME}");
  }
  static const MisplacedFields kMisplaced{
      {"deployment", {"the target is written under backend", "write backend: {service: NAME, port: PORT}"}},
      {"service", {"the target is written under backend", "write backend: {service: NAME, port: PORT}"}},
      {"port", {"the target port is written under backend", "write backend: {service: NAME, port: PORT}"}},
      {"pathType", {"paths always match by prefix", "remove pathType"}},
  };
  f.Finish(&kMisplaced);
}

}  // namespace

RunnerSpec DecodeRunner(Ctx& ctx, const YNode* spec) {
  RunnerSpec r;
  if (!spec || !ExpectMap(ctx, *spec, "spec")) return r;
  Fields f(ctx, *spec, "spec");
  const YNode* cmd = f.Take("command");
  if (auto v = ReadStringList(ctx, cmd, f.Path("command"))) {
    if (v->empty() || (*v)[0].empty()) ctx.Error(*cmd, f.Path("command"), "the command is empty");
    else r.command = *v;
  } else if (!cmd) {
    ctx.Error(*spec, "spec", "missing field \"command\"", "add command: [\"/usr/bin/INTERPRETER\"]");
  }
  auto has_script = [](const std::vector<std::string>& v) {
    return std::any_of(v.begin(), v.end(), [](const std::string& s) { return s.find("{script}") != std::string::npos; });
  };
  const YNode* args = f.Take("args");
  if (auto v = ReadStringList(ctx, args, f.Path("args"))) {
    r.args = *v;
  } else if (!args && has_script(r.command)) {
    r.args.clear();  // the command already places the script
  }
  if (args && !has_script(r.args) && !has_script(r.command)) {
    ctx.Error(*args, f.Path("args"), "the runner never receives the script: no \"{script}\" in command or args",
              "add \"{script}\" where the script's path goes, e.g. args: [\"{script}\"]");
  }
  const YNode* exts = f.Take("extensions");
  if (auto v = ReadStringList(ctx, exts, f.Path("extensions"))) {
    for (std::size_t i = 0; i < v->size(); ++i) {
      const std::string& e = (*v)[i];
      bool ok = e.size() >= 2 && e[0] == '.' && std::all_of(e.begin() + 1, e.end(), [](char c) {
                  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+';
                });
      if (!ok) {
        ctx.Error(exts->items[i], fmt::format("{}[{}]", f.Path("extensions"), i),
                  "an extension starts with '.', found " + Describe(exts->items[i]),
                  e.empty() || e[0] == '.' ? "" : fmt::format("did you mean \".{}\"?", e));
      } else {
        r.extensions.push_back(e);
      }
    }
  }
  if (auto m = ReadStringMap(ctx, f.Take("env"), f.Path("env"))) r.env = *m;
  static const MisplacedFields kMisplaced{
      {"source", {"a Runner defines an interpreter; it runs no script itself",
                  "scripts run as Deployments, Jobs and CronJobs that name this runner in runtime"}},
      {"runtime", {"a Runner defines an interpreter; it runs no script itself",
                   "scripts run as Deployments, Jobs and CronJobs that name this runner in runtime"}},
      {"interpreter", {"unknown field \"interpreter\"", "did you mean \"command\"?"}},
      {"extension", {"unknown field \"extension\"", "did you mean \"extensions\"? (a list)"}},
  };
  f.Finish(&kMisplaced);
  return r;
}

SecretSpec DecodeSecret(Ctx& ctx, const YNode* spec) {
  SecretSpec s;
  if (!spec || !ExpectMap(ctx, *spec, "spec")) return s;
  Fields f(ctx, *spec, "spec");
  if (auto v = ReadNonEmptyString(ctx, f.Take("type"), f.Path("type"))) s.type = *v;
  ReadSecretMap(ctx, f, "data", true, s.data);
  ReadSecretMap(ctx, f, "stringData", false, s.string_data);
  ReadSecretMap(ctx, f, "sealedData", true, s.sealed_data);
  f.Finish();
  // One key, one value: a key in two maps would silently shadow.
  std::map<std::string, std::string> seen;
  for (auto [map, name] : {std::pair{&s.data, "data"}, std::pair{&s.string_data, "stringData"},
                           std::pair{&s.sealed_data, "sealedData"}}) {
    for (auto it = map->begin(); it != map->end();) {
      auto [prev, fresh] = seen.emplace(it->first, name);
      if (!fresh) {
        std::string p = fmt::format("spec.{}.{}", name, it->first);
        Position pos = ctx.object().PositionOf(p);
        ctx.Error(pos.line, pos.column, p,
                  fmt::format("key \"{}\" is also given in spec.{}", it->first, prev->second));
        it = map->erase(it);
      } else {
        ++it;
      }
    }
  }
  return s;
}

IngressSpec DecodeIngress(Ctx& ctx, const YNode* spec) {
  IngressSpec in;
  if (!spec || !ExpectMap(ctx, *spec, "spec")) return in;
  Fields f(ctx, *spec, "spec");
  const YNode* addr = f.Take("address");
  if (auto v = ReadNonEmptyString(ctx, addr, f.Path("address"))) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, v->c_str(), buf) != 1 && inet_pton(AF_INET6, v->c_str(), buf) != 1) {
      ctx.Error(*addr, f.Path("address"), "expected an IP address such as 0.0.0.0 or 127.0.0.1, found " + Describe(*addr));
    } else {
      in.address = *v;
    }
  }
  const YNode* port = f.Take("port");
  auto port_value = ReadInt(ctx, port, f.Path("port"), 1, 65535);
  const YNode* tls = f.Take("tls");
  if (tls && tls->type == YNode::Type::kSequence) {
    ctx.Error(*tls, f.Path("tls"), "expected a mapping with secretName, found a list",
              "an Ingress has one certificate: write tls: {secretName: NAME}");
  } else if (tls && ExpectMap(ctx, *tls, f.Path("tls"), "a mapping with secretName")) {
    Fields g(ctx, *tls, f.Path("tls"));
    IngressTls t;
    const YNode* sn = g.Take("secretName");
    if (auto name = ReadName(ctx, sn, g.Path("secretName"))) t.secret_name = *name;
    if (!sn) ctx.Error(*tls, g.path(), "missing field \"secretName\"", "name the Secret holding tls.crt and tls.key");
    const YNode* hosts = g.Take("hosts");
    if (auto v = ReadStringList(ctx, hosts, g.Path("hosts"))) {
      for (std::size_t i = 0; i < v->size(); ++i) {
        if (!IsHost((*v)[i])) {
          ctx.Error(hosts->items[i], fmt::format("{}[{}]", g.Path("hosts"), i),
                    "expected a host name such as api.example.com, found " + Describe(hosts->items[i]));
        } else {
          t.hosts.push_back((*v)[i]);
        }
      }
    }
    static const MisplacedFields kMisplaced{
        {"cert", {"unknown field \"cert\"", "did you mean \"secretName\"?"}},
        {"enabled", {"tls is enabled by writing it", "remove enabled"}},
    };
    g.Finish(&kMisplaced);
    in.tls = t;
  }
  in.port = port_value ? static_cast<int>(*port_value) : (in.tls ? 443 : 80);
  const YNode* rules = f.Take("rules");
  if (rules && rules->type != YNode::Type::kSequence) {
    ctx.Error(*rules, f.Path("rules"), "expected a list of rules, found " + Describe(*rules));
  } else if (rules) {
    for (std::size_t i = 0; i < rules->items.size(); ++i) {
      const YNode& r = rules->items[i];
      std::string rp = fmt::format("{}[{}]", f.Path("rules"), i);
      if (!ExpectMap(ctx, r, rp, "a mapping with host and paths")) continue;
      Fields g(ctx, r, rp);
      IngressRule rule;
      const YNode* host = g.Take("host");
      if (auto h = ReadString(ctx, host, g.Path("host"))) {
        if (!h->empty() && !IsHost(*h)) {
          ctx.Error(*host, g.Path("host"), "expected a host name such as api.example.com, found " + Describe(*host),
                    h->find("://") != std::string::npos ? "write the host name only, without scheme or port" : "");
        } else {
          rule.host = *h;
        }
      }
      const YNode* paths = g.Take("paths");
      if (paths && paths->type != YNode::Type::kSequence) {
        ctx.Error(*paths, g.Path("paths"), "expected a list of paths, found " + Describe(*paths));
      } else if (paths) {
        for (std::size_t k = 0; k < paths->items.size(); ++k) {
          IngressPath ip;
          DecodeIngressPath(ctx, paths->items[k], fmt::format("{}[{}]", g.Path("paths"), k), ip);
          rule.paths.push_back(ip);
        }
        if (paths->items.empty()) ctx.Error(*paths, g.Path("paths"), "the rule has no paths");
      } else {
        ctx.Error(r, rp, "missing field \"paths\"", "add paths: [{path: /, backend: {service: NAME}}]");
      }
      static const MisplacedFields kMisplaced{
          {"http", {"paths are written directly under the rule", "write paths: [...] instead of http: {paths: [...]}"}}};
      g.Finish(&kMisplaced);
      in.rules.push_back(std::move(rule));
    }
    if (rules->items.empty()) ctx.Error(*rules, f.Path("rules"), "the Ingress has no rules");
  } else {
    ctx.Error(*spec, "spec", "missing field \"rules\"");
  }
  f.Finish();
  return in;
}

}  // namespace prisn::manifests::internal
