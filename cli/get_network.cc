#include "cli/get_network.h"

#include <fmt/core.h>

#include "api/routes.h"
#include "api/types_network.h"
#include "cli/printer.h"

namespace prisn::cli {

bool IsEndpointsWord(const std::string& word) {
  return word == "endpoints" || word == "endpoint" || word == "ep";
}

namespace {

std::string Pool(const api::ServiceView& service) {
  std::string out;
  for (const api::EndpointView& e : service.endpoints) {
    if (!out.empty()) out += ",";
    out += fmt::format("{}:{}", e.address, e.port);
  }
  return out.empty() ? "<none>" : out;
}

std::string EndpointTable(const std::vector<api::ServiceView>& items, bool all_namespaces) {
  std::vector<std::string> headers{"NAME", "ADDRESS", "PROTOCOL", "ENDPOINTS", "DNS"};
  if (all_namespaces) headers.insert(headers.begin(), "NAMESPACE");
  Table t(headers);
  for (const api::ServiceView& s : items) {
    std::vector<std::string> row{s.name, fmt::format("{}:{}", s.address, s.port), s.protocol,
                                 Pool(s), s.dns_name};
    if (all_namespaces) row.insert(row.begin(), s.ns);
    t.AddRow(std::move(row));
  }
  std::string out = t.Render();
  for (const api::ServiceView& s : items) {
    if (s.error) out += fmt::format("warning: {}: {}\n", s.name, *s.error);
  }
  return out;
}

}  // namespace

int GetEndpoints(Context& ctx, ApiClient& client, const NamespaceOptions& ns,
                 const std::optional<std::string>& name) {
  if (name) {
    auto answer = client.Get(api::Path(api::path::kEndpoint, {ns.name, *name}));
    if (!answer) {
      Report(ctx, answer.error(), client.details());
      return ctx.exit_code;
    }
    auto service = DecodeAnswer<api::ServiceView>(*answer);
    if (!service) {
      Report(ctx, service.error());
      return ctx.exit_code;
    }
    PrintOutput(ctx.global.output, *answer, [&] { return EndpointTable({*service}, false); });
    return kExitOk;
  }
  std::vector<std::pair<std::string_view, std::string>> query;
  if (!ns.all) query.emplace_back(api::query::kNamespace, ns.name);
  auto answer = client.Get(std::string(api::path::kEndpoints) + api::Query(query));
  if (!answer) {
    Report(ctx, answer.error(), client.details());
    return ctx.exit_code;
  }
  auto list = DecodeAnswer<api::ServiceList>(*answer);
  if (!list) {
    Report(ctx, list.error());
    return ctx.exit_code;
  }
  if (ctx.global.output == "text" && list->items.empty()) {
    fmt::print(stderr, "No services (Deployments with a port) found.\n");
    return kExitOk;
  }
  PrintOutput(ctx.global.output, *answer, [&] { return EndpointTable(list->items, ns.all); });
  return kExitOk;
}

}  // namespace prisn::cli
