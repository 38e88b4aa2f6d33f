#pragma once
// The proxy's figures as Prometheus metric families, for the daemon to add
// to /metrics at scrape time (append them to its registry's Collect()).
// Labels carry the protocol only, never service names: per-service figures
// are what `prisn proxy stats` shows.
//
//   prisn_proxy_requests_total{protocol}   L7 requests / L4 connections
//   prisn_proxy_errors_total{protocol}     answered by the proxy with 5xx, or cut
//   prisn_proxy_active{protocol}           in flight now
//   prisn_proxy_services{protocol}         services served
//   prisn_proxy_upstreams{state}           replicas in_pool / out (drained)
//   prisn_proxy_upstream_failures_total    connects refused, responses broken
//   prisn_proxy_latency_p99_seconds_max    the worst service's p99

#include <vector>

#include <prometheus/metric_family.h>

#include "net/proxy.h"

namespace prisn::net {

std::vector<prometheus::MetricFamily> ProxyMetricFamilies(const std::vector<ServiceStats>& stats);

}  // namespace prisn::net
