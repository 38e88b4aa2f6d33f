// Service network endpoints: a service's address and pool, proxy stats,
// DNS lookups (docs/API.md "Services and networking").
#include "api/routes.h"
#include "api/types_network.h"
#include "server/api_internal.h"
#include "server/network.h"

namespace prisn::server {
namespace {

HttpResponse NoNetwork() {
  return ErrorResponse(503, "unavailable", "the service network is not running");
}

const net::ServiceStats* StatsOf(const std::vector<net::ServiceStats>& all,
                                 const std::string& key) {
  for (const auto& s : all)
    if (s.key == key) return &s;
  return nullptr;
}

api::ServiceView ServiceViewOf(const ServiceView& v, const net::ServiceStats* stats) {
  api::ServiceView out{v.ns,       v.name, v.address,   v.port, v.http ? "http" : "tcp",
                       v.dns_name, {},     std::nullopt};
  for (const reconciler::Endpoint& e : v.endpoints) {
    api::EndpointView ep;
    ep.replica = e.replica;
    ep.address = "127.0.0.1";
    ep.port = e.port;
    if (stats) {
      for (const net::UpstreamStats& u : stats->upstreams) {
        if (u.id != e.replica + "@" + std::to_string(e.port)) continue;
        ep.requests = u.requests;
        ep.failures = u.failures;
        ep.active = u.active;
      }
    }
    out.endpoints.push_back(std::move(ep));
  }
  if (!v.error.empty()) out.error = v.error;
  return out;
}

HttpResponse Endpoints(Api::Core& core, const RouteContext& ctx) {
  std::string ns = NamespaceFromSegment(ctx.params.at(std::string(api::param::kNs)));
  if (!ctx.principal.MayAccess(ns)) return Forbidden(ctx.principal, ns);
  if (!core.network) return NoNetwork();
  auto v = core.network->Service(ns, ctx.params.at(std::string(api::param::kName)));
  if (!v) {
    return ErrorResponse(Error{ErrorCode::kNotFound,
                               "no service: no Deployment with a port of that name (or it has "
                               "not been reconciled yet)",
                               ns + "/" + ctx.params.at(std::string(api::param::kName))});
  }
  auto stats = core.network->ProxyStats();
  return JsonResponse(200, api::Encode(ServiceViewOf(*v, StatsOf(stats, ns + "/" + v->name))));
}

HttpResponse EndpointsAll(Api::Core& core, const RouteContext& ctx) {
  std::optional<std::string> ns;
  if (auto it = ctx.request.query.find(std::string(api::query::kNamespace));
      it != ctx.request.query.end() && !it->second.empty()) {
    ns = it->second;
    // Another namespace is refused, never answered with an empty list: an
    // empty answer would read as "nothing there" (docs/API.md).
    if (!ctx.principal.MayAccess(*ns)) return Forbidden(ctx.principal, *ns);
  }
  if (!ctx.principal.admin()) ns = ctx.principal.ns;
  if (!core.network) return NoNetwork();
  auto stats = core.network->ProxyStats();
  api::ServiceList list;
  for (const ServiceView& v : core.network->Services(ns))
    list.items.push_back(ServiceViewOf(v, StatsOf(stats, v.ns + "/" + v.name)));
  return JsonResponse(200, api::Encode(list));
}

HttpResponse ProxyStats(Api::Core& core, const RouteContext& ctx) {
  if (!core.network) return NoNetwork();
  api::ProxyStatsAnswer out;
  for (const net::ServiceStats& s : core.network->ProxyStats()) {
    auto slash = s.key.find('/');
    std::string ns = slash == std::string::npos ? "" : s.key.substr(0, slash);
    if (!ctx.principal.admin() && ns != ctx.principal.ns) continue;
    api::ServiceStatsView view{
        s.key, s.http ? "http" : "tcp", s.requests, s.errors, s.active, s.p50_ms, s.p99_ms, {}};
    for (const net::UpstreamStats& u : s.upstreams)
      view.upstreams.push_back({u.id, u.in_pool, u.requests, u.failures, u.active});
    out.services.push_back(std::move(view));
  }
  if (ctx.principal.admin()) {
    for (const Error& e : core.network->IngressErrors())
      out.ingress_errors.push_back({e.context, e.message});
  }
  return JsonResponse(200, api::Encode(out));
}

// name: "api" (namespace from the query, default "default"), "api.prod",
// "api.prod.prisn.local" or "_http._tcp.api.prod.prisn.local".
HttpResponse DnsLookup(Api::Core& core, const RouteContext& ctx) {
  const auto& query = ctx.request.query;
  auto it = query.find(std::string(api::query::kName));
  if (it == query.end() || it->second.empty())
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
  if (auto q = query.find(std::string(api::query::kNamespace)); q != query.end()) ns = q->second;
  if (auto dot = name.find('.'); dot != std::string::npos) {
    ns = name.substr(dot + 1);
    name = name.substr(0, dot);
  }
  if (!ctx.principal.MayAccess(ns)) return Forbidden(ctx.principal, ns);
  if (!core.network) return NoNetwork();
  api::DnsLookupAnswer out;
  out.name = name + "." + ns + ".prisn.local";
  if (!core.network->dns_address().empty())
    out.server = core.network->dns_address() + ":" + std::to_string(core.network->dns_port());
  auto v = core.network->Service(ns, name);
  if (!v) return JsonResponse(200, api::Encode(out));
  out.found = true;
  out.records.push_back({out.name, "A", v->address});
  std::string srv_name = std::string(v->http ? "_http" : "_tcp") + "._tcp." + out.name;
  out.records.push_back({srv_name, "SRV", "0 0 " + std::to_string(v->port) + " " + out.name + "."});
  if (srv) std::swap(out.records[0], out.records[1]);
  return JsonResponse(200, api::Encode(out));
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
