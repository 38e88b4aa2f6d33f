// Service network endpoints: a service's address and pool, proxy stats,
// DNS lookups (docs/API.md "Services and networking").
#include "api/routes.h"
#include "server/api_internal.h"
#include "server/network.h"

namespace prisn::server {
namespace {

using ojson = nlohmann::ordered_json;

HttpResponse NoNetwork() {
  return ErrorResponse(503, "unavailable", "the service network is not running");
}

const net::ServiceStats* StatsOf(const std::vector<net::ServiceStats>& all,
                                 const std::string& key) {
  for (const auto& s : all)
    if (s.key == key) return &s;
  return nullptr;
}

ojson ServiceJson(const ServiceView& v, const net::ServiceStats* stats) {
  ojson endpoints = ojson::array();
  for (const reconciler::Endpoint& e : v.endpoints) {
    ojson j{{"replica", e.replica}, {"address", "127.0.0.1"}, {"port", e.port}};
    if (stats) {
      for (const net::UpstreamStats& u : stats->upstreams) {
        if (u.id != e.replica + "@" + std::to_string(e.port)) continue;
        j["requests"] = u.requests;
        j["failures"] = u.failures;
        j["active"] = u.active;
      }
    }
    endpoints.push_back(std::move(j));
  }
  return ojson{{"namespace", v.ns},
               {"name", v.name},
               {"address", v.address},
               {"port", v.port},
               {"protocol", v.http ? "http" : "tcp"},
               {"dnsName", v.dns_name},
               {"endpoints", std::move(endpoints)},
               {"error", v.error.empty() ? ojson(nullptr) : ojson(v.error)}};
}

HttpResponse Endpoints(Api::Core& core, const RouteContext& ctx) {
  std::string ns = NamespaceFromSegment(ctx.params.at("ns"));
  if (!ctx.principal.MayAccess(ns)) return Forbidden(ctx.principal, ns);
  if (!core.network) return NoNetwork();
  auto v = core.network->Service(ns, ctx.params.at("name"));
  if (!v) {
    return ErrorResponse(Error{ErrorCode::kNotFound,
                               "no service: no Deployment with a port of that name (or it has "
                               "not been reconciled yet)",
                               ns + "/" + ctx.params.at("name")});
  }
  auto stats = core.network->ProxyStats();
  return JsonResponse(200, ServiceJson(*v, StatsOf(stats, ns + "/" + v->name)));
}

HttpResponse EndpointsAll(Api::Core& core, const RouteContext& ctx) {
  std::optional<std::string> ns;
  if (auto it = ctx.request.query.find("namespace");
      it != ctx.request.query.end() && !it->second.empty()) {
    ns = it->second;
    // Another namespace is refused, never answered with an empty list: an
    // empty answer would read as "nothing there" (docs/API.md).
    if (!ctx.principal.MayAccess(*ns)) return Forbidden(ctx.principal, *ns);
  }
  if (!ctx.principal.admin()) ns = ctx.principal.ns;
  if (!core.network) return NoNetwork();
  auto stats = core.network->ProxyStats();
  ojson items = ojson::array();
  for (const ServiceView& v : core.network->Services(ns))
    items.push_back(ServiceJson(v, StatsOf(stats, v.ns + "/" + v.name)));
  return JsonResponse(200, ojson{{"items", std::move(items)}});
}

HttpResponse ProxyStats(Api::Core& core, const RouteContext& ctx) {
  if (!core.network) return NoNetwork();
  ojson services = ojson::array();
  for (const net::ServiceStats& s : core.network->ProxyStats()) {
    auto slash = s.key.find('/');
    std::string ns = slash == std::string::npos ? "" : s.key.substr(0, slash);
    if (!ctx.principal.admin() && ns != ctx.principal.ns) continue;
    ojson upstreams = ojson::array();
    for (const net::UpstreamStats& u : s.upstreams) {
      upstreams.push_back({{"replica", u.id},
                           {"inPool", u.in_pool},
                           {"requests", u.requests},
                           {"failures", u.failures},
                           {"active", u.active}});
    }
    services.push_back({{"service", s.key},
                        {"protocol", s.http ? "http" : "tcp"},
                        {"requests", s.requests},
                        {"errors", s.errors},
                        {"active", s.active},
                        {"p50Ms", s.p50_ms},
                        {"p99Ms", s.p99_ms},
                        {"upstreams", std::move(upstreams)}});
  }
  ojson ingress_errors = ojson::array();
  if (ctx.principal.admin()) {
    for (const Error& e : core.network->IngressErrors())
      ingress_errors.push_back({{"listener", e.context}, {"message", e.message}});
  }
  return JsonResponse(200, ojson{{"services", std::move(services)},
                                 {"ingressErrors", std::move(ingress_errors)}});
}

// name: "api" (namespace from the query, default "default"), "api.prod",
// "api.prod.prisn.local" or "_http._tcp.api.prod.prisn.local".
HttpResponse DnsLookup(Api::Core& core, const RouteContext& ctx) {
  auto it = ctx.request.query.find("name");
  if (it == ctx.request.query.end() || it->second.empty())
    return ErrorResponse(400, "invalid", "give the name to look up: ?name=api.default");
  std::string name = it->second;
  if (name.ends_with(".")) name.pop_back();
  if (name.ends_with(".prisn.local")) name.resize(name.size() - 12);
  bool srv = false;
  for (const char* prefix : {"_http._tcp.", "_tcp._tcp."}) {
    if (name.starts_with(prefix)) {
      srv = true;
      name = name.substr(std::string_view(prefix).size());
    }
  }
  std::string ns = "default";
  if (auto q = ctx.request.query.find("namespace"); q != ctx.request.query.end()) ns = q->second;
  if (auto dot = name.find('.'); dot != std::string::npos) {
    ns = name.substr(dot + 1);
    name = name.substr(0, dot);
  }
  if (!ctx.principal.MayAccess(ns)) return Forbidden(ctx.principal, ns);
  if (!core.network) return NoNetwork();
  std::string fqdn = name + "." + ns + ".prisn.local";
  ojson server = core.network->dns_address().empty()
                     ? ojson(nullptr)
                     : ojson(core.network->dns_address() + ":" +
                             std::to_string(core.network->dns_port()));
  auto v = core.network->Service(ns, name);
  if (!v) {
    return JsonResponse(200, ojson{{"name", fqdn}, {"found", false}, {"records", ojson::array()},
                                   {"server", server}});
  }
  ojson records = ojson::array();
  records.push_back({{"name", fqdn}, {"type", "A"}, {"value", v->address}});
  std::string srv_name = std::string(v->http ? "_http" : "_tcp") + "._tcp." + fqdn;
  records.push_back({{"name", srv_name},
                     {"type", "SRV"},
                     {"value", "0 0 " + std::to_string(v->port) + " " + fqdn + "."}});
  if (srv) std::swap(records[0], records[1]);
  return JsonResponse(200, ojson{{"name", fqdn}, {"found", true}, {"records", std::move(records)},
                                 {"server", server}});
}

}  // namespace

void AddNetworkRoutes(Api::Core& core) {
  core.router.Add("GET", std::string(api::path::kEndpoint),
                  [&core](const RouteContext& c) { return Endpoints(core, c); });
  core.router.Add("GET", std::string(api::path::kEndpoints),
                  [&core](const RouteContext& c) { return EndpointsAll(core, c); });
  core.router.Add("GET", std::string(api::path::kProxyStats),
                  [&core](const RouteContext& c) { return ProxyStats(core, c); });
  core.router.Add("GET", std::string(api::path::kDnsLookup),
                  [&core](const RouteContext& c) { return DnsLookup(core, c); });
}

}  // namespace prisn::server
