#pragma once
// The HTTP API of docs/API.md, independent of sockets: the transport
// (http_server.h) asks Admit() about a request from its head alone, reads the
// body within the limit it was given, then calls Handle() on a worker thread.
//
// Api owns the store (behind a lock: one request at a time touches it), the
// token registry and the metrics.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reconciler/store.h"
#include "util/synchronized.h"
#include "server/auth.h"
#include "server/http_types.h"
#include "server/metrics.h"

namespace prisn::reconciler {
class Backend;
class Converger;
class SourceManager;
}

namespace prisn::server {

class Network;

struct ApiInfo {
  std::string version;  // prisn's version
  int64_t pid = 0;
  int64_t started_ms = 0;
  int revision_limit = 10;
  std::string state_dir;  // logs live under <state_dir>/logs
  // Host privileges (isolation level 0, isolation.user) beyond admin tokens.
  HostAccessPolicy host_access;
};

// Body limits (docs/API.md "Errors").
inline constexpr uint64_t kApplyBodyLimit = 64ull << 20;
inline constexpr uint64_t kDefaultBodyLimit = 1ull << 20;
// The namespace scope of unauthenticated webhook requests: no namespace can
// have this name, so it grants nothing.
inline constexpr std::string_view kWebhookScope = "-webhook-";

class Api {
 public:
  Api(store::Store store, ApiInfo info);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  struct Admission {
    std::optional<HttpResponse> reject;  // answer this without reading the body
    std::optional<Principal> principal;  // who, when admitted
    uint64_t body_limit = kDefaultBodyLimit;
    bool health = false;  // answer with Health() right away
    // POST /v1/hooks/NAME: the source NAME. Before the body is read, the
    // transport passes the request's headers to AdmitHook.
    std::optional<std::string> hook;
  };
  // Authentication happens here, before routing: every path but /health
  // and the webhooks needs a valid token (401 otherwise). Also rejects a
  // declared body larger than the route's limit (413; webhooks:
  // kWebhookBodyLimit). Cheap: no store access.
  Admission Admit(std::string_view method, std::string_view target, std::string_view authorization,
                  std::optional<uint64_t> content_length) const;
  // The second look at a webhook, still before its body is read: 401 for a
  // request without a well-formed signature header (server/webhook.h), for
  // an unknown source, a source without a hook secret, and a GitLab token
  // that does not match (one answer for all: an unauthenticated caller
  // learns nothing about which sources exist). nullopt: read the body.
  // Reads the store: call it on a worker thread.
  std::optional<HttpResponse> AdmitHook(const std::string& source,
                                        const std::map<std::string, std::string>& headers);

  // Routes and answers an admitted request. Never throws.
  // `headers` (lower-case names) reach the handler as HttpRequest::headers.
  HttpResponse Handle(std::string_view method, std::string_view target, std::string body,
                      const Principal& principal,
                      const std::map<std::string, std::string>& headers = {});
  HttpResponse Health() const;

  Metrics& metrics();
  // The store, shared with the converge loop.
  Synchronized<store::Store>& store();
  // Connects the converge loop: routes wake it after changes and read its
  // observed state. `converger` must outlive the Api; set before serving.
  void SetConverger(reconciler::Converger* converger);
  // Connects the GitOps source manager (null: disconnects it).
  void SetSourceManager(reconciler::SourceManager* sources);
  // The service network; null (the default) makes its routes answer 503.
  void SetNetwork(Network* network);
  // The backend that runs the workloads: logs are read through it.
  void SetBackend(reconciler::Backend* backend);
  // Records a daemon-level event (server-started, server-stopped).
  Status RecordEvent(const std::string& type, const std::string& message);
  // Creates the first admin token when the store has none; returns the
  // clear token then, nullopt when tokens exist already.
  Result<std::optional<std::string>> EnsureAdminToken();

  struct Core;

 private:
  std::unique_ptr<Core> core_;
};

}  // namespace prisn::server
