#pragma once
// The typed model of the prisn.io/v1 manifest language. Every field has its
// default filled in by the loader, so a consumer never has to know a default:
// what it reads is what runs. docs/MANIFEST.md is the user-facing reference
// of the same fields; keep both in sync.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "manifests/units.h"
#include "util/error.h"

namespace prisn::manifests {

inline constexpr std::string_view kApiVersion = "prisn.io/v1";

enum class Kind { kNamespace, kDeployment, kJob, kCronJob, kRunner, kSecret, kIngress };

std::string_view KindName(Kind kind);  // "Deployment"
std::optional<Kind> ParseKind(std::string_view name);  // exact spelling only

struct ObjectMeta {
  std::string name;                 // DNS-1123 label
  std::string namespace_ = "default";  // empty for a Namespace object
  std::map<std::string, std::string> labels;
};

// Where a workload's code comes from: exactly one of a path or inline text.
struct Source {
  std::string path;         // as written, lexically normalised ("./a/" -> "a")
  std::string inline_text;  // when is_inline
  bool is_inline = false;
  // Filled by the loader: the file or folder inside the manifest tree
  // ('/'-separated, relative to the tree root) and whether it is a folder.
  std::string resolved;
  bool is_directory = false;
};

// One secret whose keys become environment variables.
struct SecretRef {
  std::string name;
  std::string prefix;  // prepended to every key; default none
};

struct Resources {
  Quantity cpu{1000};               // millicores; default 1 core
  Quantity memory{512LL << 20};     // bytes; default 512Mi, minimum 4Mi
  int pids = 256;                   // max processes; fork bombs stop here
  Quantity disk{1LL << 30};         // workspace size in bytes; default 1Gi
};

struct Isolation {
  int level = 1;     // 0 plain process group, 1 namespaces + cgroups, 2 + read-only host
  std::string user;  // empty: a dedicated unprivileged user chosen by prisn
};

// Fields shared by Deployment, Job and CronJob.
struct WorkloadSpec {
  std::string runtime;     // runner name; inferred from the entrypoint when absent
  Source source;
  std::string entrypoint;  // file inside the source folder; for a file source, its name;
                           // inline: "main" + the runner's first extension
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::vector<SecretRef> env_from;
  Resources resources;
  Isolation isolation;
  Duration timeout{0};     // per run; 0 = no limit (Jobs and CronJobs only)
  Duration termination_grace_period{30000};  // SIGTERM -> SIGKILL
  std::vector<std::string> depends_on;  // names in the same namespace, any kind
};

struct TcpProbe {
  int port = 0;  // 0: the replica's own $PORT
};
struct HttpProbe {
  std::string path = "/";
  int port = 0;             // 0: the replica's own $PORT
  int expected_status = 0;  // 0: any status from 200 to 399
};
struct ExecProbe {
  std::vector<std::string> command;
};

// Kubernetes probe semantics and defaults. `healthCheck` is both readiness
// (traffic goes only to passing replicas) and liveness (a replica failing
// `failure_threshold` times in a row is restarted); `livenessCheck`, when
// given, takes over the liveness role and `healthCheck` keeps readiness.
struct HealthCheck {
  std::variant<TcpProbe, HttpProbe, ExecProbe> probe;
  Duration initial_delay{0};
  Duration period{10000};
  Duration timeout{1000};
  int failure_threshold = 3;
  int success_threshold = 1;
};

struct Port {
  enum class Mode { kNone, kAuto, kFixed };
  Mode mode = Mode::kNone;
  int number = 0;  // when kFixed: 1..65535
  friend bool operator==(const Port&, const Port&) = default;
};

enum class Protocol { kTcp, kHttp };
enum class RestartPolicy { kAlways, kOnFailure, kNever };
enum class StrategyType { kRolling, kRecreate };
enum class ConcurrencyPolicy { kAllow, kForbid, kReplace };

struct Strategy {
  StrategyType type = StrategyType::kRolling;
  IntOrPercent max_surge{25, true};        // rolling only
  IntOrPercent max_unavailable{25, true};  // rolling only
};

struct DeploymentSpec : WorkloadSpec {
  int replicas = 1;
  Port port;
  Protocol protocol = Protocol::kTcp;
  // spec.loadBalancing: "round-robin", "least-connections", "random",
  // "ip-hash"; empty: round-robin for tcp, least-connections for http.
  std::string lb_algorithm;
  bool cookie_affinity = false;  // sessionAffinity: cookie (http only)
  std::optional<HealthCheck> health_check;
  std::optional<HealthCheck> liveness_check;
  Strategy strategy;
  RestartPolicy restart_policy = RestartPolicy::kAlways;
  Duration progress_deadline{600000};  // 10m
  bool auto_revert = false;
};

struct JobSpec : WorkloadSpec {
  int backoff_limit = 6;                              // retries after the first failure
  Duration active_deadline{0};                        // whole job incl. retries; 0 = none
  RestartPolicy restart_policy = RestartPolicy::kOnFailure;  // OnFailure | Never (no retry)
};

// A Job template written directly under spec, plus when to run it.
struct CronJobSpec : JobSpec {
  std::string schedule;   // 5/6-field cron or a macro; exactly one of schedule/every
  std::string every;      // "1h", "15m", "day"
  std::string time_zone;  // IANA name; empty = the host's zone
  ConcurrencyPolicy concurrency_policy = ConcurrencyPolicy::kForbid;
  Duration starting_deadline{0};  // 0 = a missed run may start however late
  bool suspend = false;
  int successful_jobs_history_limit = 3;
  int failed_jobs_history_limit = 1;
};

struct RunnerSpec {
  std::vector<std::string> command;  // interpreter, absolute path or name on PATH
  // "{script}" becomes the entrypoint's path; default ["{script}"], or []
  // when command already holds "{script}". The workload's args follow.
  std::vector<std::string> args{"{script}"};
  std::vector<std::string> extensions;        // ".lua"; used to infer runtime
  std::map<std::string, std::string> env;
};

struct SecretSpec {
  std::string type = "Opaque";
  std::map<std::string, std::string> data;         // base64 values, as written
  std::map<std::string, std::string> string_data;  // plain values
  std::map<std::string, std::string> sealed_data;  // sealed to the daemon's key (base64)
};

// data (base64-decoded) and stringData merged: key -> plain value. Sealed
// values are left out: only the daemon can open them. Fails on invalid
// base64, which a loaded set never contains.
Result<std::map<std::string, std::string>> PlainSecretValues(const SecretSpec& spec);

struct IngressBackend {
  std::string service;  // a Deployment name in the same namespace
  int port = 0;         // 0: the Deployment's port
};
struct IngressPath {
  std::string path = "/";  // prefix match
  IngressBackend backend;
};
struct IngressRule {
  std::string host;  // empty: any host; "*.example.com" allowed
  std::vector<IngressPath> paths;
};
struct IngressTls {
  std::string secret_name;  // Secret with keys tls.crt and tls.key
  std::vector<std::string> hosts;
};
struct IngressSpec {
  std::string address = "0.0.0.0";
  int port = 80;  // 443 when tls is set
  std::optional<IngressTls> tls;
  std::vector<IngressRule> rules;
};

struct NamespaceSpec {};

using Spec = std::variant<NamespaceSpec, DeploymentSpec, JobSpec, CronJobSpec, RunnerSpec,
                          SecretSpec, IngressSpec>;

// 1-based position in a manifest file.
struct Position {
  int line = 0;
  int column = 0;
};

struct Object {
  std::string api_version{kApiVersion};
  std::string kind;  // KindName(GetKind())
  ObjectMeta meta;
  Spec spec;
  std::string file;  // manifest file, relative to the tree root
  int line = 0, column = 0;  // where the document starts (1-based)
  // Source files: path relative to the source root -> bytes. A file source
  // holds one entry (its base name); an inline source holds the entrypoint.
  std::map<std::string, std::string> sources;
  std::string version;  // "v-" + 8 hex; see canonical.h
  // Field path ("spec.envFrom[0].name") -> where it was written, for
  // set-level errors and tools that point back into the file.
  std::map<std::string, Position> positions;

  Kind GetKind() const;  // from the spec's alternative
  std::string Key() const;  // "Kind/namespace/name"
  // Deployment, Job and CronJob share WorkloadSpec; null for other kinds.
  const WorkloadSpec* Workload() const;
  WorkloadSpec* Workload();
  // Position of a field, or the document start when the field was not written.
  Position PositionOf(std::string_view field) const;
};

std::string MakeKey(Kind kind, std::string_view ns, std::string_view name);

std::string_view ProtocolName(Protocol p);                    // "tcp" | "http"
std::string_view RestartPolicyName(RestartPolicy p);          // "Always" ...
std::string_view StrategyTypeName(StrategyType t);            // "rolling" | "recreate"
std::string_view ConcurrencyPolicyName(ConcurrencyPolicy p);  // "Forbid" ...

}  // namespace prisn::manifests
