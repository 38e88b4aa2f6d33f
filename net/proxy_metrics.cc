#include "net/proxy_metrics.h"

#include <algorithm>
#include <map>
#include <string>

namespace prisn::net {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

ClientMetric Metric(MetricType type, double value, std::vector<ClientMetric::Label> labels) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return m;
}

MetricFamily ByProtocol(std::string name, std::string help, MetricType type,
                        const std::map<std::string, double>& values) {
  MetricFamily f{std::move(name), std::move(help), type, {}};
  for (const auto& [protocol, value] : values) {
    f.metric.push_back(Metric(type, value, {{"protocol", protocol}}));
  }
  return f;
}

}  // namespace

std::vector<MetricFamily> ProxyMetricFamilies(const std::vector<ServiceStats>& stats) {
  // Both protocols always appear, so a scrape sees 0 rather than nothing.
  std::map<std::string, double> requests{{"http", 0}, {"tcp", 0}};
  auto errors = requests, active = requests, services = requests;
  double in_pool = 0, out = 0, failures = 0, worst_p99_ms = 0;
  for (const auto& s : stats) {
    std::string protocol = s.http ? "http" : "tcp";
    requests[protocol] += static_cast<double>(s.requests);
    errors[protocol] += static_cast<double>(s.errors);
    active[protocol] += static_cast<double>(s.active);
    services[protocol] += 1;
    worst_p99_ms = std::max(worst_p99_ms, s.p99_ms);
    for (const auto& u : s.upstreams) {
      (u.in_pool ? in_pool : out) += 1;
      failures += static_cast<double>(u.failures);
    }
  }
  std::vector<MetricFamily> out_families;
  out_families.push_back(ByProtocol("prisn_proxy_requests_total",
                                    "Requests (http) or connections (tcp) the proxy accepted.",
                                    MetricType::Counter, requests));
  out_families.push_back(ByProtocol("prisn_proxy_errors_total",
                                    "Requests the proxy answered with 5xx itself, or connections "
                                    "it could not place.",
                                    MetricType::Counter, errors));
  out_families.push_back(ByProtocol("prisn_proxy_active",
                                    "Requests or connections in flight through the proxy.",
                                    MetricType::Gauge, active));
  out_families.push_back(ByProtocol("prisn_proxy_services", "Services the proxy serves.",
                                    MetricType::Gauge, services));
  MetricFamily upstreams{"prisn_proxy_upstreams",
                         "Replicas known to the proxy, in the pool or taken out (drained).",
                         MetricType::Gauge, {}};
  upstreams.metric.push_back(Metric(MetricType::Gauge, in_pool, {{"state", "in_pool"}}));
  upstreams.metric.push_back(Metric(MetricType::Gauge, out, {{"state", "out"}}));
  out_families.push_back(std::move(upstreams));
  MetricFamily fail{"prisn_proxy_upstream_failures_total",
                    "Upstream connects refused or responses broken.", MetricType::Counter, {}};
  fail.metric.push_back(Metric(MetricType::Counter, failures, {}));
  out_families.push_back(std::move(fail));
  MetricFamily p99{"prisn_proxy_latency_p99_seconds_max",
                   "The highest 99th-percentile latency over the proxied services.",
                   MetricType::Gauge, {}};
  p99.metric.push_back(Metric(MetricType::Gauge, worst_p99_ms / 1000.0, {}));
  out_families.push_back(std::move(p99));
  return out_families;
}

}  // namespace prisn::net
