#include "reconciler/source_git.h"

#include <git2.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "manifests/git_tree.h"
#include "reconciler/source_git_stream.h"

namespace prisn::reconciler {
namespace {

struct RemoteFree {
  void operator()(git_remote* p) const { git_remote_free(p); }
};
struct RepoFree {
  void operator()(git_repository* p) const { git_repository_free(p); }
};
struct ObjectFree {
  void operator()(git_object* p) const { git_object_free(p); }
};

std::string LastGitError(std::string_view what) {
  const git_error* e = git_error_last();
  return std::string(what) + ": " + (e && e->message ? e->message : "unknown libgit2 error");
}

struct CallbackState {
  const std::map<std::string, std::string>* credentials = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  int attempts = 0;
};

std::string Value(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string() : it->second;
}

int Credentials(git_credential** out, const char* /*url*/, const char* username_from_url,
                unsigned int allowed, void* payload) {
  auto* state = static_cast<CallbackState*>(payload);
  // libgit2 asks again after a refusal; a second refusal means the
  // credentials are wrong, not that another kind might work.
  if (++state->attempts > 2 || !state->credentials) return GIT_PASSTHROUGH;
  const auto& c = *state->credentials;
  std::string user = Value(c, "username");
  if (user.empty() && username_from_url) user = username_from_url;
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !Value(c, "sshKey").empty()) {
    std::string pub = Value(c, "sshPublicKey");
    return git_credential_ssh_key_memory_new(out, user.empty() ? "git" : user.c_str(),
                                             pub.empty() ? nullptr : pub.c_str(),
                                             Value(c, "sshKey").c_str(),
                                             Value(c, "passphrase").c_str());
  }
  if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
    if (std::string token = Value(c, "token"); !token.empty()) {
      // Token auth over HTTPS: any user name, the token as the password.
      return git_credential_userpass_plaintext_new(out, user.empty() ? "x-access-token" : user.c_str(),
                                                   token.c_str());
    }
    if (!Value(c, "password").empty())
      return git_credential_userpass_plaintext_new(out, user.c_str(), Value(c, "password").c_str());
  }
  return GIT_PASSTHROUGH;
}

int Progress(const git_indexer_progress* /*stats*/, void* payload) {
  auto* state = static_cast<CallbackState*>(payload);
  if (state->cancel && state->cancel->load()) return -1;
  // A remote that trickles data past the deadline is stopped here too.
  if (auto* deadline = FetchDeadline::Current(); deadline && deadline->Stopped()) return -1;
  return 0;
}

}  // namespace

std::string SecondsText(std::chrono::milliseconds limit) {
  auto ms = limit.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  std::string text = std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100);
  return text + "s";
}

Result<FetchResult> FetchGitSource(const SourceSpec& spec, const std::string& mirror,
                                   const std::map<std::string, std::string>& credentials,
                                   const std::atomic<bool>* cancel, const FetchLimits& limits) {
  manifests::git::EnsureInit();
  InstallGitSocketStream();
  git_repository* raw = nullptr;
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(mirror) / "HEAD", ec)) {
    if (git_repository_open_bare(&raw, mirror.c_str()) != 0)
      return Fail(ErrorCode::kIo, LastGitError("cannot open the mirror"), mirror);
  } else {
    std::filesystem::create_directories(std::filesystem::path(mirror).parent_path(), ec);
    if (git_repository_init(&raw, mirror.c_str(), /*is_bare=*/1) != 0)
      return Fail(ErrorCode::kIo, LastGitError("cannot create the mirror"), mirror);
  }
  std::unique_ptr<git_repository, RepoFree> repo(raw);
  // Before the remote: its sockets point at the deadline and close first.
  FetchDeadline deadline(limits.connect, limits.total, cancel);
  git_remote* raw_remote = nullptr;
  // An anonymous remote of the mirror. The mirror's config holds no url
  // rewrites; skipping them also avoids libgit2 1.5's config regex scan,
  // which leaks PCRE2 match data on every call.
  git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
  create.repository = repo.get();
  create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  if (git_remote_create_with_opts(&raw_remote, spec.url.c_str(), &create) != 0)
    return Fail(ErrorCode::kInvalid, LastGitError("invalid remote url"), spec.url);
  std::unique_ptr<git_remote, RemoteFree> remote(raw_remote);

  // Refs land under refs/prisn/ so a fetch never fights a local branch.
  std::string refspec;
  std::string resolve;
  if (!spec.tag.empty()) {
    refspec = "+refs/tags/" + spec.tag + ":refs/prisn/tags/" + spec.tag;
    resolve = "refs/prisn/tags/" + spec.tag + "^{commit}";
  } else if (!spec.branch.empty()) {
    refspec = "+refs/heads/" + spec.branch + ":refs/prisn/heads/" + spec.branch;
    resolve = "refs/prisn/heads/" + spec.branch;
  } else {
    // A commit, or the remote's HEAD: fetch every branch, then look it up.
    refspec = "+refs/heads/*:refs/prisn/heads/*";
  }
  CallbackState state{&credentials, cancel, 0};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks.credentials = Credentials;
  options.callbacks.transfer_progress = Progress;
  options.callbacks.payload = &state;
  options.prune = GIT_FETCH_PRUNE;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  char* specs[] = {refspec.data()};
  git_strarray refspecs{specs, 1};
  if (git_remote_fetch(remote.get(), &refspecs, &options, nullptr) != 0) {
    if (cancel && cancel->load()) return Fail(ErrorCode::kUnavailable, "fetch cancelled", spec.url);
    if (deadline.expired()) {
      return Fail(ErrorCode::kTimeout,
                  "fetch timed out after " + SecondsText(limits.total) +
                      " (the remote did not finish sending in time; the last good revision "
                      "stays in force)",
                  spec.url);
    }
    if (deadline.connect_expired()) {
      return Fail(ErrorCode::kTimeout,
                  "fetch timed out after " + SecondsText(std::min(limits.connect, limits.total)) +
                      ": " + LastGitError("cannot connect"),
                  spec.url);
    }
    std::string message = LastGitError("fetch failed");
    if (message.find("not find remote ref") != std::string::npos ||
        message.find("couldn't find remote ref") != std::string::npos) {
      return Fail(ErrorCode::kNotFound, message, spec.url);
    }
    return Fail(ErrorCode::kUnavailable, message, spec.url);
  }
  if (!spec.commit.empty()) {
    resolve = spec.commit + "^{commit}";
  } else if (resolve.empty()) {
    git_buf head = GIT_BUF_INIT;
    if (git_remote_default_branch(&head, remote.get()) != 0)
      return Fail(ErrorCode::kNotFound, LastGitError("the remote has no HEAD branch"), spec.url);
    std::string name(head.ptr, head.size);
    git_buf_dispose(&head);
    constexpr std::string_view kHeads = "refs/heads/";
    if (name.starts_with(kHeads)) name = name.substr(kHeads.size());
    resolve = "refs/prisn/heads/" + name;
  }
  git_object* raw_object = nullptr;
  if (git_revparse_single(&raw_object, repo.get(), resolve.c_str()) != 0) {
    return Fail(ErrorCode::kNotFound, LastGitError("the ref is not in the fetched history"),
                spec.url);
  }
  std::unique_ptr<git_object, ObjectFree> object(raw_object);
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, git_object_id(object.get()));
  return FetchResult{mirror, hex};
}

}  // namespace prisn::reconciler
