#pragma once
// The daemon's Prometheus metrics (docs/API.md "GET /metrics"). Every metric
// measures something that happens; labels never carry object names or
// namespaces. Thread-safe: prometheus-cpp metrics are atomic and families lock.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "util/mutex.h"

namespace prisn::server {

class Metrics {
 public:
  Metrics();

  void ObserveRequest(std::string_view method, std::string_view route, int status, double seconds);
  // result: success, dry_run, invalid, conflict, error
  void ObserveApply(std::string_view result, double seconds);
  // A desired version put in effect (created, configured, rolled back).
  void CountDeployment(std::string_view kind);
  // Live objects per kind; kinds missing from `counts` are set to 0.
  void SetObjects(const std::map<std::string, int64_t>& counts);
  void SetStateIndex(int64_t index);
  // One pass of the converge loop over one object.
  void ObserveReconcile(std::string_view kind, double seconds);
  // What the loop did or saw: replica-exited, rollout-started, rollout-complete,
  // rollout-failed, auto-reverted, job-succeeded, run-failed, ...
  void CountLoopEvent(std::string_view type);

  // One sync of a GitOps source. type: git, dir; outcome: applied,
  // unchanged, failed; stage (failures): fetch, load, apply.
  void ObserveSourceSync(std::string_view type, std::string_view outcome, std::string_view stage,
                         double seconds);
  // result: accepted, unsigned, bad_signature, unknown_source, ignored
  void CountWebhook(std::string_view result);

  // Families computed at scrape time by their owner (the proxy, the DNS
  // server), appended to every Serialize(). Set once at start; null clears.
  using Collector = std::function<std::vector<prometheus::MetricFamily>()>;
  void SetCollector(Collector collector);

  // Prometheus text exposition format 0.0.4.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Counter>& applies_;
  prometheus::Histogram& apply_seconds_;
  prometheus::Family<prometheus::Counter>& deployments_;
  prometheus::Family<prometheus::Gauge>& objects_;
  prometheus::Gauge& state_index_;
  prometheus::Family<prometheus::Counter>& reconciles_;
  prometheus::Family<prometheus::Histogram>& reconcile_seconds_;
  prometheus::Family<prometheus::Counter>& loop_events_;
  prometheus::Family<prometheus::Counter>& source_syncs_;
  prometheus::Family<prometheus::Histogram>& source_sync_seconds_;
  prometheus::Family<prometheus::Counter>& source_failures_;
  prometheus::Family<prometheus::Counter>& webhooks_;
  mutable Mutex collector_mu_;
  Collector collector_ PRISN_GUARDED_BY(collector_mu_);
};

}  // namespace prisn::server
