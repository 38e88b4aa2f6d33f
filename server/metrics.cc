#include "server/metrics.h"

#include <prometheus/text_serializer.h>

#include <array>

namespace prisn::server {
namespace {

// Request latencies: 0.5 ms to 10 s; an apply with sources may take seconds.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

constexpr std::array<const char*, 7> kKinds = {"Namespace", "Deployment", "Job",    "CronJob",
                                               "Runner",    "Secret",     "Ingress"};

}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("prisn_api_requests_total")
                    .Help("API requests answered, by method, route pattern and status code")
                    .Register(*registry_)),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("prisn_api_request_duration_seconds")
                           .Help("Time from a complete request to its response, by route pattern")
                           .Register(*registry_)),
      applies_(prometheus::BuildCounter()
                   .Name("prisn_applies_total")
                   .Help("Apply requests, by result")
                   .Register(*registry_)),
      apply_seconds_(prometheus::BuildHistogram()
                         .Name("prisn_apply_duration_seconds")
                         .Help("Time to validate and commit an apply set")
                         .Register(*registry_)
                         .Add({}, LatencyBuckets())),
      deployments_(
          prometheus::BuildCounter()
              .Name("prisn_deployments_total")
              .Help("Desired versions put in effect (created, configured, rolled back), by kind")
              .Register(*registry_)),
      objects_(prometheus::BuildGauge()
                   .Name("prisn_objects")
                   .Help("Objects in the store (not deleted), by kind")
                   .Register(*registry_)),
      state_index_(prometheus::BuildGauge()
                       .Name("prisn_state_index")
                       .Help("The store's state index: committed changes to desired state")
                       .Register(*registry_)
                       .Add({})),
      reconciles_(prometheus::BuildCounter()
                      .Name("prisn_reconciles_total")
                      .Help("Passes of the converge loop over one object, by kind")
                      .Register(*registry_)),
      reconcile_seconds_(prometheus::BuildHistogram()
                             .Name("prisn_reconcile_duration_seconds")
                             .Help("Time of one converge pass over one object, by kind")
                             .Register(*registry_)),
      loop_events_(prometheus::BuildCounter()
                       .Name("prisn_converge_events_total")
                       .Help("What the converge loop did or observed, by event type")
                       .Register(*registry_)),
      source_syncs_(prometheus::BuildCounter()
                        .Name("prisn_source_syncs_total")
                        .Help("Syncs of GitOps sources, by source type and outcome "
                              "(applied, unchanged, failed)")
                        .Register(*registry_)),
      source_sync_seconds_(prometheus::BuildHistogram()
                               .Name("prisn_source_sync_duration_seconds")
                               .Help("Time of one source sync (fetch, load, validate, apply), "
                                     "by source type")
                               .Register(*registry_)),
      source_failures_(prometheus::BuildCounter()
                           .Name("prisn_source_sync_failures_total")
                           .Help("Failed source syncs, by source type and the stage that failed "
                                 "(fetch, load, apply); the last good revision stays in force")
                           .Register(*registry_)),
      webhooks_(prometheus::BuildCounter()
                    .Name("prisn_source_webhooks_total")
                    .Help("Webhook deliveries to /v1/hooks, by result")
                    .Register(*registry_)) {
  for (const char* kind : kKinds) objects_.Add({{"kind", kind}}).Set(0);
}

void Metrics::ObserveRequest(std::string_view method, std::string_view route, int status,
                             double seconds) {
  requests_
      .Add({{"method", std::string(method)},
            {"route", std::string(route)},
            {"code", std::to_string(status)}})
      .Increment();
  request_seconds_.Add({{"route", std::string(route)}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::ObserveSourceSync(std::string_view type, std::string_view outcome,
                                std::string_view stage, double seconds) {
  source_syncs_.Add({{"type", std::string(type)}, {"outcome", std::string(outcome)}}).Increment();
  source_sync_seconds_.Add({{"type", std::string(type)}}, LatencyBuckets()).Observe(seconds);
  if (!stage.empty()) {
    source_failures_.Add({{"type", std::string(type)}, {"stage", std::string(stage)}})
        .Increment();
  }
}

void Metrics::CountWebhook(std::string_view result) {
  webhooks_.Add({{"result", std::string(result)}}).Increment();
}

void Metrics::ObserveApply(std::string_view result, double seconds) {
  applies_.Add({{"result", std::string(result)}}).Increment();
  apply_seconds_.Observe(seconds);
}

void Metrics::CountDeployment(std::string_view kind) {
  deployments_.Add({{"kind", std::string(kind)}}).Increment();
}

void Metrics::SetObjects(const std::map<std::string, int64_t>& counts) {
  for (const char* kind : kKinds) {
    auto it = counts.find(kind);
    objects_.Add({{"kind", kind}}).Set(it == counts.end() ? 0.0 : static_cast<double>(it->second));
  }
}

void Metrics::SetStateIndex(int64_t index) { state_index_.Set(static_cast<double>(index)); }

void Metrics::SetCollector(Collector collector) {
  MutexLock lock(collector_mu_);
  collector_ = std::move(collector);
}

std::string Metrics::Serialize() const {
  prometheus::TextSerializer serializer;
  auto families = registry_->Collect();
  MutexLock lock(collector_mu_);
  if (collector_) {
    auto more = collector_();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  return serializer.Serialize(families);
}

void Metrics::ObserveReconcile(std::string_view kind, double seconds) {
  reconciles_.Add({{"kind", std::string(kind)}}).Increment();
  reconcile_seconds_.Add({{"kind", std::string(kind)}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::CountLoopEvent(std::string_view type) {
  loop_events_.Add({{"type", std::string(type)}}).Increment();
}

}  // namespace prisn::server
