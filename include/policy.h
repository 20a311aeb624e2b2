#ifndef PINHOLE_POLICY_H
#define PINHOLE_POLICY_H

/*
 * The capture permission policy: which clients may capture the screen.
 *
 * Rules are "allow MATCHER" or "deny MATCHER", tried in order, first match
 * wins. MATCHER is one of
 *
 *   exe:PATH       a client outside any security context whose executable
 *                  (/proc/PID/exe) matches the glob PATH (fnmatch, "*" does
 *                  not cross "/")
 *   app-id:ID      a client inside a wp-security-context-v1 (Flatpak and the
 *                  like) whose app id matches the glob ID
 *   engine:NAME    a sandboxed client whose sandbox engine matches NAME
 *   sandboxed      any client inside a security context
 *   unsandboxed    any client outside one
 *   all            every client
 *
 * A policy file (or the configuration's [capture] section) holds one rule per
 * line, "allow = MATCHER" or "deny = MATCHER", plus at most one
 * "default = allow" or "default = deny": what a client outside a security
 * context gets when no rule matches (allow unless set). Sandboxed clients no
 * rule matches are always denied.
 *
 * Executable paths are only a hint for clients that run as the same user as
 * the compositor (they can run an allowed program, or inject code into one);
 * exe: rules never match sandboxed clients, whose executable path is whatever
 * their sandbox shows, only app-id, engine and sandboxed do.
 *
 * This file knows nothing of Wayland: the compositor fills a policy_client
 * and asks policy_decide().
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum policy_verdict {
	POLICY_ALLOW,
	POLICY_DENY,
};

enum policy_match {
	POLICY_MATCH_EXE,
	POLICY_MATCH_APP_ID,
	POLICY_MATCH_ENGINE,
	POLICY_MATCH_SANDBOXED,
	POLICY_MATCH_UNSANDBOXED,
	POLICY_MATCH_ALL,
};

struct policy_rule {
	enum policy_verdict verdict;
	enum policy_match match;
	char *pattern; /* exe, app-id and engine globs; NULL otherwise */
	char *text; /* the rule as written, normalised: "deny exe:/usr/bin/grim" */
	char *origin; /* where it was written: "FILE:LINE" or "--deny-capture" */
};

struct policy {
	struct policy_rule *rules;
	size_t rules_len, rules_cap;
	/* For clients outside a security context that no rule matches. */
	enum policy_verdict unsandboxed_default;
	char *default_origin; /* "FILE:LINE" of the default line, NULL if not set */
};

/* What the compositor knows of a client. */
struct policy_client {
	bool sandboxed;
	const char *engine, *app_id; /* security-context state, each may be NULL */
	const char *exe; /* NULL when unknown */
};

struct policy *policy_create(void);
void policy_destroy(struct policy *policy);

/*
 * Checks a MATCHER (the part after allow/deny) without adding anything.
 * On error writes a one-line reason into err.
 */
bool policy_matcher_valid(const char *matcher, char *err, size_t err_size);

/* Appends "verdict matcher"; origin names where it came from, for logs. */
bool policy_add_rule(struct policy *policy, enum policy_verdict verdict, const char *matcher,
	const char *origin, char *err, size_t err_size);

/*
 * One entry of a policy file or of the configuration's [capture] section:
 * "allow = MATCHER", "deny = MATCHER" or "default = allow|deny". On error
 * writes the reason (without origin) into err.
 */
bool policy_parse_entry(struct policy *policy, const char *key, const char *value,
	const char *origin, char *err, size_t err_size);

/*
 * Appends every rule of a policy file (INI, see ini_file.h: the entries above,
 * before any section or in [capture]). Errors: "FILE:LINE: reason" or "FILE: reason".
 */
bool policy_load_file(struct policy *policy, const char *path, char *err, size_t err_size);

/*
 * The verdict for a client; returns the rule that decided, or NULL when the
 * built-in default did (see policy_default_reason()).
 */
const struct policy_rule *policy_decide(const struct policy *policy,
	const struct policy_client *client, enum policy_verdict *verdict);

/* Why the default applied to this client, for logs: "default deny (FILE:LINE)" etc. */
void policy_default_reason(const struct policy *policy, const struct policy_client *client,
	char *out, size_t out_size);

/*
 * The executable of a process from /proc/PID/exe, without the " (deleted)"
 * the kernel appends once the file was replaced (a package upgrade must not
 * change what a running client is). False if unknown.
 */
bool policy_exe_of_pid(pid_t pid, char *out, size_t out_size);

#endif
