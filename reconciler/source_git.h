#pragma once
// Fetching a git source into a bare mirror with libgit2. No work tree is
// ever checked out: the sync reads the commit's tree (manifests/git_tree.h).

#include <atomic>
#include <chrono>
#include <map>
#include <string>

#include "reconciler/source_spec.h"
#include "util/error.h"

namespace prisn::reconciler {

struct FetchResult {
  std::string mirror;  // the bare repository's path
  std::string commit;  // the commit the source's ref names, 40 hex digits
};

// How long a fetch may take (source_git_stream.h says how it is enforced).
struct FetchLimits {
  std::chrono::milliseconds connect{15'000};  // each connection attempt
  std::chrono::milliseconds total{300'000};   // the whole fetch, connects included
};

// Fetches `spec`'s ref from its url into `mirror` (created when missing) and
// resolves it. `credentials` are the keys of the source's Secret (token;
// username + password; sshKey [+ sshPublicKey, passphrase]); they are handed
// to libgit2 only and never logged. Setting `*cancel` aborts a running
// transfer, even one blocked on a silent remote (kUnavailable). Fails
// kTimeout ("fetch timed out after Ns") when `limits` run out, kUnavailable
// when the remote cannot be reached or refuses the credentials, kNotFound
// when the ref does not exist.
Result<FetchResult> FetchGitSource(const SourceSpec& spec, const std::string& mirror,
                                   const std::map<std::string, std::string>& credentials,
                                   const std::atomic<bool>* cancel = nullptr,
                                   const FetchLimits& limits = {});

// "2s", "1.5s": a limit as the timeout messages write it.
std::string SecondsText(std::chrono::milliseconds limit);

}  // namespace prisn::reconciler
