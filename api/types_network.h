#pragma once
// The service network: GET /v1/namespaces/{ns}/endpoints/{name},
// GET /v1/endpoints, GET /v1/proxy/stats, GET /v1/dns/lookup.

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "api/codec.h"

namespace prisn::api {

// One replica in a service's pool; the traffic counters only once the proxy
// has seen the service.
struct EndpointView {
  std::string replica;
  std::string address;
  int64_t port = 0;
  std::optional<uint64_t> requests;
  std::optional<uint64_t> failures;
  std::optional<int64_t> active;
};
constexpr auto Fields(std::type_identity<EndpointView>) {
  return std::tuple{Field{"replica", &EndpointView::replica},
                    Field{"address", &EndpointView::address},
                    Field{"port", &EndpointView::port},
                    Field{"requests", &EndpointView::requests, Empty::kOmit},
                    Field{"failures", &EndpointView::failures, Empty::kOmit},
                    Field{"active", &EndpointView::active, Empty::kOmit}};
}

// A service: a Deployment with a port, its stable address and its pool.
struct ServiceView {
  std::string ns;
  std::string name;
  std::string address;
  int64_t port = 0;
  std::string protocol;  // "http" | "tcp"
  std::string dns_name;
  std::vector<EndpointView> endpoints;
  std::optional<std::string> error;  // why the proxy cannot serve it
};
constexpr auto Fields(std::type_identity<ServiceView>) {
  return std::tuple{
      Field{"namespace", &ServiceView::ns},        Field{"name", &ServiceView::name},
      Field{"address", &ServiceView::address},     Field{"port", &ServiceView::port},
      Field{"protocol", &ServiceView::protocol},   Field{"dnsName", &ServiceView::dns_name},
      Field{"endpoints", &ServiceView::endpoints}, Field{"error", &ServiceView::error}};
}

// GET /v1/endpoints
struct ServiceList {
  std::vector<ServiceView> items;
};
constexpr auto Fields(std::type_identity<ServiceList>) {
  return std::tuple{Field{"items", &ServiceList::items}};
}

struct UpstreamStatsView {
  std::string replica;  // "api-0@PORT"
  bool in_pool = false;
  uint64_t requests = 0;
  uint64_t failures = 0;
  int64_t active = 0;
};
constexpr auto Fields(std::type_identity<UpstreamStatsView>) {
  return std::tuple{
      Field{"replica", &UpstreamStatsView::replica}, Field{"inPool", &UpstreamStatsView::in_pool},
      Field{"requests", &UpstreamStatsView::requests},
      Field{"failures", &UpstreamStatsView::failures}, Field{"active", &UpstreamStatsView::active}};
}

struct ServiceStatsView {
  std::string service;  // "NS/NAME"
  std::string protocol;
  uint64_t requests = 0;
  uint64_t errors = 0;
  int64_t active = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  std::vector<UpstreamStatsView> upstreams;
};
constexpr auto Fields(std::type_identity<ServiceStatsView>) {
  using S = ServiceStatsView;
  return std::tuple{Field{"service", &S::service},   Field{"protocol", &S::protocol},
                    Field{"requests", &S::requests}, Field{"errors", &S::errors},
                    Field{"active", &S::active},     Field{"p50Ms", &S::p50_ms},
                    Field{"p99Ms", &S::p99_ms},      Field{"upstreams", &S::upstreams}};
}

// An ingress listener that could not start (admin tokens only).
struct IngressErrorView {
  std::string listener;
  std::string message;
};
constexpr auto Fields(std::type_identity<IngressErrorView>) {
  return std::tuple{Field{"listener", &IngressErrorView::listener},
                    Field{"message", &IngressErrorView::message}};
}

// GET /v1/proxy/stats
struct ProxyStatsAnswer {
  std::vector<ServiceStatsView> services;
  std::vector<IngressErrorView> ingress_errors;
};
constexpr auto Fields(std::type_identity<ProxyStatsAnswer>) {
  return std::tuple{Field{"services", &ProxyStatsAnswer::services},
                    Field{"ingressErrors", &ProxyStatsAnswer::ingress_errors}};
}

struct DnsRecordView {
  std::string name;
  std::string type;  // "A" | "SRV"
  std::string value;
};
constexpr auto Fields(std::type_identity<DnsRecordView>) {
  return std::tuple{Field{"name", &DnsRecordView::name}, Field{"type", &DnsRecordView::type},
                    Field{"value", &DnsRecordView::value}};
}

// GET /v1/dns/lookup: 200 with found false for a name that does not exist.
struct DnsLookupAnswer {
  std::string name;  // the full name looked up
  bool found = false;
  std::vector<DnsRecordView> records;
  std::optional<std::string> server;  // "ADDRESS:PORT"; null: DNS is not running
};
constexpr auto Fields(std::type_identity<DnsLookupAnswer>) {
  return std::tuple{Field{"name", &DnsLookupAnswer::name}, Field{"found", &DnsLookupAnswer::found},
                    Field{"records", &DnsLookupAnswer::records},
                    Field{"server", &DnsLookupAnswer::server}};
}

}  // namespace prisn::api
