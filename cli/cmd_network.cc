// prisn proxy stats, prisn dns lookup NAME: the service network as the
// daemon sees it (docs/CLI.md "Services and networking").
#include <fmt/core.h>

#include <memory>

#include "api/routes.h"
#include "api/types_network.h"
#include "cli/command.h"
#include "cli/command_util.h"
#include "cli/printer.h"

namespace prisn::cli {
namespace {

int RunProxyStats(Context& ctx) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto answer = client->Get(api::path::kProxyStats);
  if (!answer) {
    Report(ctx, answer.error(), client->details());
    return ctx.exit_code;
  }
  auto stats = DecodeAnswer<api::ProxyStatsAnswer>(*answer);
  if (!stats) {
    Report(ctx, stats.error());
    return ctx.exit_code;
  }
  PrintOutput(ctx.global.output, *answer, [&] {
    Table t({"SERVICE", "PROTOCOL", "REQUESTS", "ERRORS", "ACTIVE", "P50", "P99", "POOL"});
    for (const api::ServiceStatsView& s : stats->services) {
      int in_pool = 0, total = 0;
      for (const api::UpstreamStatsView& u : s.upstreams) {
        ++total;
        if (u.in_pool) ++in_pool;
      }
      t.AddRow({s.service, s.protocol, std::to_string(s.requests), std::to_string(s.errors),
                std::to_string(s.active), fmt::format("{:.2f}ms", s.p50_ms),
                fmt::format("{:.2f}ms", s.p99_ms), fmt::format("{}/{}", in_pool, total)});
    }
    std::string out = t.Render();
    for (const api::IngressErrorView& e : stats->ingress_errors)
      out += fmt::format("warning: ingress {}: {}\n", e.listener, e.message);
    return out;
  });
  return kExitOk;
}

int RunDnsLookup(Context& ctx, const std::string& name, const std::string& ns) {
  auto client = Connect(ctx);
  if (!client) {
    Report(ctx, client.error());
    return kExitError;
  }
  auto answer = client->Get(std::string(api::path::kDnsLookup) +
                            api::Query({{api::query::kName, name}, {api::query::kNamespace, ns}}));
  if (!answer) {
    Report(ctx, answer.error(), client->details());
    return ctx.exit_code;
  }
  auto lookup = DecodeAnswer<api::DnsLookupAnswer>(*answer);
  if (!lookup) {
    Report(ctx, lookup.error());
    return ctx.exit_code;
  }
  bool found = lookup->found;
  PrintOutput(ctx.global.output, *answer, [&] {
    if (!found) return fmt::format("{}: no such service (NXDOMAIN)\n", lookup->name);
    Table t({"NAME", "TYPE", "VALUE"});
    for (const api::DnsRecordView& r : lookup->records) t.AddRow({r.name, r.type, r.value});
    std::string out = t.Render();
    out += lookup->server ? fmt::format("served by prisn's DNS at {} (dig @ADDRESS -p PORT NAME)\n",
                                        *lookup->server)
                          : std::string("prisn's DNS server is not running (see the daemon log)\n");
    return out;
  });
  return found ? kExitOk : 1;
}

}  // namespace

void RegisterNetwork(CLI::App& app, Context& ctx) {
  auto* proxy = app.add_subcommand("proxy", "The service proxy");
  proxy->require_subcommand(1);
  auto* stats = proxy->add_subcommand(
      "stats", "Requests, errors, active connections and latency per service, and its pool");
  AddOutputOption(*stats, ctx);
  stats->callback([&ctx] { ctx.exit_code = RunProxyStats(ctx); });

  auto* dns = app.add_subcommand("dns", "prisn's DNS (NAME.NAMESPACE.prisn.local)");
  dns->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto ns = std::make_shared<std::string>("default");
  auto* lookup = dns->add_subcommand(
      "lookup", "The A and SRV records of a service: NAME, NAME.NAMESPACE or the full name");
  lookup->add_option("NAME", *name, "api, api.prod or api.prod.prisn.local")->required();
  lookup->add_option("-n,--namespace", *ns, "Namespace when NAME has none")->capture_default_str();
  AddOutputOption(*lookup, ctx);
  lookup->footer("Exit status: 0 found, 1 no such service, 2 any other error.");
  lookup->callback([&ctx, name, ns] { ctx.exit_code = RunDnsLookup(ctx, *name, *ns); });
}

}  // namespace prisn::cli
