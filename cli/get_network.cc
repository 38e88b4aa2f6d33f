#include "cli/get_network.h"

#include <fmt/core.h>

#include "api/routes.h"
#include "cli/printer.h"

namespace prisn::cli {

using json = nlohmann::ordered_json;

bool IsEndpointsWord(const std::string& word) {
  return word == "endpoints" || word == "endpoint" || word == "ep";
}

namespace {

std::string Pool(const json& service) {
  std::string out;
  for (const auto& e : service.value("endpoints", json::array())) {
    if (!out.empty()) out += ",";
    out += fmt::format("{}:{}", e.value("address", ""), e.value("port", 0));
  }
  return out.empty() ? "<none>" : out;
}

std::string EndpointTable(const json& items, bool all_namespaces) {
  std::vector<std::string> headers{"NAME", "ADDRESS", "PROTOCOL", "ENDPOINTS", "DNS"};
  if (all_namespaces) headers.insert(headers.begin(), "NAMESPACE");
  Table t(headers);
  for (const auto& s : items) {
    std::vector<std::string> row{s.value("name", ""),
                                 fmt::format("{}:{}", s.value("address", ""), s.value("port", 0)),
                                 s.value("protocol", ""), Pool(s), s.value("dnsName", "")};
    if (all_namespaces) row.insert(row.begin(), s.value("namespace", ""));
    t.AddRow(std::move(row));
  }
  std::string out = t.Render();
  for (const auto& s : items) {
    if (s.contains("error") && s["error"].is_string())
      out += fmt::format("warning: {}: {}\n", s.value("name", ""), s["error"].get<std::string>());
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
    PrintOutput(ctx.global.output, *answer, [&] { return EndpointTable(json::array({*answer}), false); });
    return kExitOk;
  }
  std::vector<std::pair<std::string_view, std::string>> query;
  if (!ns.all) query.emplace_back(api::query::kNamespace, ns.name);
  auto answer = client.Get(std::string(api::path::kEndpoints) + api::Query(query));
  if (!answer) {
    Report(ctx, answer.error(), client.details());
    return ctx.exit_code;
  }
  const json items = answer->value("items", json::array());
  if (ctx.global.output == "text" && items.empty()) {
    fmt::print(stderr, "No services (Deployments with a port) found.\n");
    return kExitOk;
  }
  PrintOutput(ctx.global.output, *answer, [&] { return EndpointTable(items, ns.all); });
  return kExitOk;
}

}  // namespace prisn::cli
