#pragma once
// How disruptive a change from one object to another is, for `prisn diff`
// and for the reconciler's choice of action.
//
//   kNone      nothing changed (same canonical form and sources)
//   kInPlace   applied without restarting anything: replicas, schedule, every,
//              suspend, timeZone, concurrencyPolicy, startingDeadline, history
//              limits, labels, strategy, progressDeadline,
//              autoRevert, and any change to a Namespace, Runner, Secret or
//              Ingress object itself (workloads that use a changed Secret or
//              Runner are the reconciler's business)
//   kRolling   a Deployment restarts replicas one batch at a time (source
//              files, entrypoint, args, env, envFrom, resources, timeout,
//              health checks, restartPolicy, dependsOn, grace period); a
//              CronJob's next runs use the new version (running ones finish)
//   kRecreate  everything is stopped and started again: a Deployment's runtime,
//              port, protocol or isolation changes, or any
//              versioned change to a Job (it runs again with the new version)
//   kCreate / kDelete  `before` / `after` is null
//
// The class of a change is the most disruptive class among its fields.

#include <string_view>

#include "manifests/types.h"

namespace prisn::manifests {

enum class ChangeClass { kNone, kInPlace, kRolling, kRecreate, kCreate, kDelete };

std::string_view ChangeClassName(ChangeClass c);  // "none", "in-place", "rolling", ...

// Both null gives kNone. Objects with different keys are compared as given
// (a kind change is kRecreate).
ChangeClass Classify(const Object* before, const Object* after);

}  // namespace prisn::manifests
