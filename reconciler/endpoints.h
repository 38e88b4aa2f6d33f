#pragma once
// The endpoint view: what the network side (proxy, DNS) needs to know of a
// Deployment with a port, published by the converge loop. Plain values.
//
// The loop sends a fresh view whenever the ready replicas of such a
// Deployment change, and always before it asks the backend to stop a replica
// that was in the view: a replica leaves the proxy's pool before it gets
// SIGTERM.

#include <string>
#include <vector>

#include "reconciler/store.h"

namespace prisn::reconciler {

struct Endpoint {
  std::string replica;  // "api-0"
  std::string host;     // where the backend runs it: "127.0.0.1" on this host
  int port = 0;         // the PORT the replica listens on
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct ServiceEndpoints {
  store::ObjectKey key;  // the Deployment
  // false: the Deployment is gone or no longer has a port; the rest is empty.
  bool present = true;
  int port = 0;            // the declared port; 0 with auto_port
  bool auto_port = false;  // `port: auto`: the network side picks and keeps one
  bool http = false;       // protocol: http (L7)
  std::string algorithm;   // spec.loadBalancing.algorithm; empty: the default
  bool cookie_affinity = false;
  std::vector<Endpoint> ready;  // ready replicas not terminating, by name
  friend bool operator==(const ServiceEndpoints&, const ServiceEndpoints&) = default;
};

}  // namespace prisn::reconciler
