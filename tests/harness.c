#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <png.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "harness.h"

#define MAX_CHILDREN 64

#define MAX_COMPOSITORS 16

static struct {
	const char *name;
	int test_count;
	int failures;
	int planned; /* -1 until ph_plan */
	pid_t children[MAX_CHILDREN];
	int child_count;
	char scratch[200];
	/* Every compositor started, by pid: a test may reuse one struct for several. */
	pid_t compositor_pids[MAX_COMPOSITORS];
	/* Whether ph_compositor_finish checked it (or its start failed, which the test reports). */
	bool checked[MAX_COMPOSITORS];
	/* Pinhole's log paths, copied where the deadline handler can read them without locks. */
	char log_paths[MAX_COMPOSITORS][340];
	int compositor_count;
} state = {.planned = -1};

static void kill_children(void) {
	for (int i = 0; i < state.child_count; i++) {
		if (state.children[i] > 0) {
			kill(-state.children[i], SIGKILL);
			kill(state.children[i], SIGKILL);
		}
	}
}

static void remove_tree(const char *dir) {
	if (dir[0] == '\0') {
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	if (pid > 0) {
		waitpid(pid, NULL, 0);
	}
}

/* Async-signal-safe: a literal string through write(2). */
static void write_str(const char *text) {
	ssize_t unused = write(STDOUT_FILENO, text, strlen(text));
	(void)unused;
}

/*
 * The last bytes of a compositor log as TAP diagnostics, with open/read/write
 * only: the deadline handler may interrupt malloc or stdio.
 */
static void dump_log_from_signal(const char *path) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return;
	}
	off_t end = lseek(fd, 0, SEEK_END);
	lseek(fd, end > 6000 ? end - 6000 : 0, SEEK_SET);
	write_str("# --- pinhole log (");
	write_str(path);
	write_str(") ---\n#   ");
	char buf[512];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t start = 0;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				ssize_t unused = write(STDOUT_FILENO, buf + start, (size_t)(i - start + 1));
				(void)unused;
				write_str("#   ");
				start = i + 1;
			}
		}
		ssize_t unused = write(STDOUT_FILENO, buf + start, (size_t)(n - start));
		(void)unused;
	}
	write_str("\n");
	close(fd);
}

static void handle_deadline(int sig) {
	(void)sig;
	/* stdout is line-buffered: whatever printf left unflushed is lost, not interleaved. */
	write_str("\nBail out! test deadline passed: a client or the compositor hung\n");
	for (int i = 0; i < state.compositor_count; i++) {
		dump_log_from_signal(state.log_paths[i]);
	}
	kill_children();
	_exit(1);
}

static void cleanup_at_exit(void) {
	kill_children();
	if (getenv("PH_KEEP_SCRATCH") == NULL) {
		remove_tree(state.scratch);
	}
}

void ph_init(int argc, char *argv[], int deadline_seconds) {
	state.name = argc > 0 ? argv[0] : "test";
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *mult = getenv("PINHOLE_TEST_TIMEOUT_MULTIPLIER");
	int factor = mult != NULL && atoi(mult) > 0 ? atoi(mult) : 1;
	signal(SIGALRM, handle_deadline);
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)(deadline_seconds * factor));
	snprintf(state.scratch, sizeof(state.scratch), "/tmp/pinhole-test.XXXXXX");
	if (mkdtemp(state.scratch) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	chmod(state.scratch, 0700);
	atexit(cleanup_at_exit);
}

void ph_plan(int count) {
	state.planned = count;
	printf("1..%d\n", count);
}

int ph_finish(void) {
	/* A compositor nobody checked could have crashed or leaked unseen. */
	for (int i = 0; i < state.compositor_count; i++) {
		if (!state.checked[i]) {
			ph_ok(false, "compositor %d (pid %d, %s) was never checked by "
				"ph_compositor_finish", i, (int)state.compositor_pids[i], state.log_paths[i]);
		}
	}
	if (state.planned < 0) {
		printf("1..%d\n", state.test_count);
	} else if (state.test_count != state.planned) {
		printf("# planned %d checks, ran %d\n", state.planned, state.test_count);
		return 1;
	}
	return state.failures == 0 ? 0 : 1;
}

void ph_ok(bool ok, const char *fmt, ...) {
	char msg[512];
	va_list args;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	/* A check is one TAP line: a client's multi-line output quoted in the
	 * message would otherwise become lines meson cannot parse. */
	for (char *p = msg; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			*p = ' ';
		}
	}
	state.test_count++;
	if (!ok) {
		state.failures++;
	}
	printf("%sok %d - %s\n", ok ? "" : "not ", state.test_count, msg);
}

void ph_skip_all(const char *reason) {
	printf("1..0 # SKIP %s\n", reason);
	/* Under protocol 'tap' the plan says "skipped"; a non-zero exit would be an error. */
	exit(0);
}

void ph_diag(const char *fmt, ...) {
	char msg[2048];
	va_list args;
	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	/* TAP diagnostics: one '#' per line. */
	for (char *line = strtok(msg, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		printf("# %s\n", line);
	}
}

const char *ph_path(const char *name) {
	static char paths[8][512];
	static int next;
	char *out = paths[next++ % 8];
	const char *build = getenv("PH_BUILD_DIR");
	if (build == NULL) {
		build = ".";
	}
	if (strcmp(name, "pinhole") == 0) {
		snprintf(out, 512, "%s/src/pinhole", build);
	} else if (strncmp(name, "ph-", 3) == 0) {
		snprintf(out, 512, "%s/tests/clients/%s", build, name);
	} else if (strcmp(name, "pinhole-term") == 0) {
		snprintf(out, 512, "%s/term/%s", build, name);
	} else {
		snprintf(out, 512, "%s/examples/%s", build, name);
	}
	return out;
}

void ph_source_path(const char *relative, char *out, size_t size) {
	/* meson-info in the build directory names the source tree. */
	const char *build = getenv("PH_BUILD_DIR");
	char info_path[600];
	snprintf(info_path, sizeof(info_path), "%s/meson-info/meson-info.json",
		build != NULL ? build : ".");
	char *info = ph_read_file(info_path);
	const char *key = info != NULL ? strstr(info, "\"source\": \"") : NULL;
	if (key != NULL) {
		key += strlen("\"source\": \"");
		int len = (int)strcspn(key, "\"");
		snprintf(out, size, "%.*s/%s", len, key, relative);
	} else {
		snprintf(out, size, "%s/../%s", build != NULL ? build : ".", relative);
	}
	free(info);
}

const char *ph_scratch(const char *name) {
	static char paths[8][512];
	static int next;
	char *out = paths[next++ % 8];
	snprintf(out, 512, "%s/%s", state.scratch, name);
	return out;
}

static void track_child(pid_t pid) {
	if (state.child_count < MAX_CHILDREN) {
		state.children[state.child_count++] = pid;
	}
}

static void untrack_child(pid_t pid) {
	for (int i = 0; i < state.child_count; i++) {
		if (state.children[i] == pid) {
			state.children[i] = -1;
		}
	}
}

void ph_sleep_ms(int ms) {
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int64_t ph_now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *ph_read_file(const char *path) {
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *data = malloc(cap);
	size_t n;
	while ((n = fread(data + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			data = realloc(data, cap);
		}
	}
	data[len] = '\0';
	fclose(f);
	return data;
}

bool ph_file_contains(const char *path, const char *needle) {
	char *data = ph_read_file(path);
	bool found = data != NULL && strstr(data, needle) != NULL;
	free(data);
	return found;
}

bool ph_compositor_log_contains(struct ph_compositor *c, const char *needle) {
	return ph_file_contains(c->log_path, needle);
}

bool ph_compositor_sanitizer_clean(struct ph_compositor *c) {
	/* A log that cannot be read proves nothing: not clean. */
	char *data = ph_read_file(c->log_path);
	/* ASan and LSan reports name "Sanitizer"; UBSan's say "runtime error". */
	bool clean = data != NULL && strstr(data, "Sanitizer") == NULL &&
		strstr(data, "runtime error") == NULL;
	free(data);
	return clean;
}

static void mark_checked(struct ph_compositor *c) {
	for (int i = 0; i < state.compositor_count; i++) {
		if (c->pid > 0 && state.compositor_pids[i] == c->pid) {
			state.checked[i] = true;
		}
	}
}

void ph_compositor_finish(struct ph_compositor *c) {
	mark_checked(c);
	int status = ph_compositor_stop(c);
	ph_ok(status == 0, "compositor exits cleanly (%d; LSan makes leaks non-zero)", status);
	bool clean = ph_compositor_sanitizer_clean(c);
	ph_ok(clean, "no sanitizer report in the compositor log%s",
		access(c->log_path, R_OK) == 0 ? "" : " (the log is gone: cannot tell)");
	if (!clean || status != 0) {
		ph_compositor_dump_log(c);
	}
}

void ph_dump_tail(const char *what, const char *path, size_t max) {
	char *data = ph_read_file(path);
	if (data == NULL) {
		ph_diag("--- %s (%s): missing ---", what, path);
		return;
	}
	size_t len = strlen(data);
	ph_diag("--- %s (%s) ---\n%s", what, path, len > max ? data + len - max : data);
	free(data);
}

int ph_pick_port(void) {
	/*
	 * Two tests running side by side could both find a port free and hand it
	 * to their servers. Each port a test picks is claimed with an flock on a
	 * file named after it, held (the fd stays open) until the test exits, so
	 * no other test of this harness can pick it; the bind check keeps away
	 * from ports anything else listens on.
	 */
	const char *dir = "/tmp/pinhole-test-ports";
	mkdir(dir, 01777);
	chmod(dir, 01777);
	int base = 20000 + (int)(getpid() % 20000);
	for (int i = 0; i < 2000; i++) {
		int port = 20000 + (base - 20000 + i * 11) % 40000;
		char path[128];
		snprintf(path, sizeof(path), "%s/%d", dir, port);
		int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (lock < 0) {
			continue;
		}
		if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
			close(lock);
			continue;
		}
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bool free_port = fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
		if (fd >= 0) {
			close(fd);
		}
		if (free_port) {
			return port; /* the lock fd stays open: the claim lasts as long as the test */
		}
		close(lock);
	}
	ph_ok(false, "a free loopback TCP port");
	return -1;
}

bool ph_find_program(const char *name, char *out, size_t size) {
	const char *path = getenv("PATH");
	char *copy = strdup(path != NULL ? path : "/usr/bin:/bin");
	bool found = false;
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir != NULL && !found;
			dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, size, "%s/%s", dir[0] != '\0' ? dir : ".", name);
		found = access(out, X_OK) == 0;
	}
	free(copy);
	if (!found) {
		out[0] = '\0';
	}
	return found;
}

bool ph_require_programs(const char *what, const char *const *names) {
	char missing[512] = "";
	for (int i = 0; names[i] != NULL; i++) {
		char path[600];
		if (!ph_find_program(names[i], path, sizeof(path))) {
			size_t len = strlen(missing);
			snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? ", " : "", names[i]);
		}
	}
	ph_ok(missing[0] == '\0', "%s: every program it drives is in PATH%s%s", what,
		missing[0] ? "; missing: " : "", missing);
	return missing[0] == '\0';
}

bool ph_find_dbus_service(const char *bus_name, char *out, size_t size) {
	/* D-Bus activation files name the binary: Exec= in dbus-1/services/NAME.service. */
	const char *dirs = getenv("XDG_DATA_DIRS");
	char *copy = strdup(dirs != NULL && dirs[0] != '\0' ? dirs : "/usr/local/share:/usr/share");
	bool found = false;
	for (char *save = NULL, *dir = strtok_r(copy, ":", &save); dir != NULL && !found;
			dir = strtok_r(NULL, ":", &save)) {
		char path[600];
		snprintf(path, sizeof(path), "%s/dbus-1/services/%s.service", dir, bus_name);
		char *text = ph_read_file(path);
		const char *exec = text != NULL ? strstr(text, "\nExec=") : NULL;
		if (exec != NULL) {
			exec += strlen("\nExec=");
			int len = (int)strcspn(exec, " \t\n");
			snprintf(out, size, "%.*s", len, exec);
			found = access(out, X_OK) == 0;
		}
		free(text);
	}
	free(copy);
	if (!found) {
		out[0] = '\0';
	}
	return found;
}

bool ph_exited(struct ph_process *p) {
	/* A process that never started counts as gone. */
	siginfo_t info = {0};
	return p->pid <= 0 || (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		info.si_pid == p->pid);
}

void ph_exit_describe(struct ph_process *p, char *out, size_t size) {
	siginfo_t info = {0};
	if (p->pid <= 0) {
		snprintf(out, size, "never started");
	} else if (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
			info.si_pid != p->pid) {
		snprintf(out, size, "running");
	} else if (info.si_code == CLD_EXITED) {
		snprintf(out, size, "exit %d", info.si_status);
	} else {
		snprintf(out, size, "signal %d (%s)", info.si_status, strsignal(info.si_status));
	}
}

void ph_process_usage(pid_t pid, long *rss_kb, long *fds) {
	*rss_kb = *fds = -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		char line[256];
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "VmRSS: %ld", rss_kb) == 1) {
				break;
			}
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	if (dir != NULL) {
		long n = 0;
		struct dirent *entry;
		while ((entry = readdir(dir)) != NULL) {
			n += entry->d_name[0] != '.';
		}
		closedir(dir);
		*fds = n;
	}
}

bool ph_compositor_start(struct ph_compositor *c, const char *const *args) {
	return ph_compositor_start_env(c, args, NULL);
}

bool ph_compositor_start_env(struct ph_compositor *c, const char *const *args,
		const char *const *env) {
	memset(c, 0, sizeof(*c));
	static int serial;
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "%s/runtime-%d", state.scratch, serial++);
	mkdir(c->runtime_dir, 0700);
	snprintf(c->log_path, sizeof(c->log_path), "%s/pinhole.log", c->runtime_dir);

	/*
	 * Tests written before windows were centred expect them in a cascade from
	 * the top-left corner; tests of placement pass --placement center.
	 */
	const char *argv[32] = {ph_path("pinhole"), "--backend", "headless", "-d", "--placement",
		"cascade"};
	int argc = 6;
	for (int i = 0; args != NULL && args[i] != NULL && argc < 31; i++) {
		argv[argc++] = args[i];
	}
	argv[argc] = NULL;

	pid_t pid = fork();
	if (pid == 0) {
		/* A session of its own: what it starts in process groups of their own stays findable. */
		setsid();
		int log = open(c->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(log, STDOUT_FILENO);
		dup2(log, STDERR_FILENO);
		int null = open("/dev/null", O_RDONLY);
		dup2(null, STDIN_FILENO);
		setenv("XDG_RUNTIME_DIR", c->runtime_dir, 1);
		setenv("WLR_RENDERER", "pixman", 1);
		setenv("WLR_LIBINPUT_NO_DEVICES", "1", 1);
		/* Not the developer's ~/.config/pinhole/config: an empty directory of its own. */
		char config_home[400];
		snprintf(config_home, sizeof(config_home), "%s/config-home", c->runtime_dir);
		setenv("XDG_CONFIG_HOME", config_home, 1);
		setenv("XDG_CONFIG_DIRS", config_home, 1);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("DISPLAY");
		for (int i = 0; env != NULL && env[i] != NULL; i++) {
			putenv((char *)env[i]);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	c->pid = pid;
	track_child(pid);
	if (state.compositor_count < MAX_COMPOSITORS) {
		int index = state.compositor_count;
		snprintf(state.log_paths[index], sizeof(state.log_paths[index]), "%s", c->log_path);
		state.compositor_pids[index] = pid;
		state.checked[index] = false;
		state.compositor_count++;
	} else {
		ph_ok(false, "at most %d compositors per test (the harness checks each)",
			MAX_COMPOSITORS);
	}

	for (int waited = 0; waited < 10000; waited += 20) {
		char *log = ph_read_file(c->log_path);
		const char *line = log != NULL ? strstr(log, "listening on WAYLAND_DISPLAY=") : NULL;
		if (line != NULL) {
			sscanf(line, "listening on WAYLAND_DISPLAY=%63s", c->socket);
			const char *x = strstr(log, "on DISPLAY=");
			if (x != NULL) {
				sscanf(x, "on DISPLAY=%31s", c->display);
			}
			free(log);
			return true;
		}
		free(log);
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			/* A start that failed is reported by the test's "compositor started" check. */
			mark_checked(c);
			untrack_child(pid);
			c->pid = 0;
			ph_diag("pinhole exited during start-up");
			ph_compositor_dump_log(c);
			return false;
		}
		ph_sleep_ms(20);
	}
	ph_diag("pinhole did not become ready in 10 s");
	ph_compositor_dump_log(c);
	return false;
}

int ph_session_members(pid_t sid, pid_t *pids, int max) {
	DIR *proc = opendir("/proc");
	if (proc == NULL) {
		return 0;
	}
	int count = 0;
	struct dirent *entry;
	while ((entry = readdir(proc)) != NULL && count < max) {
		pid_t pid = (pid_t)atoi(entry->d_name);
		if (pid <= 0) {
			continue;
		}
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		char *stat = ph_read_file(path);
		/* "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses. */
		const char *after = stat != NULL ? strrchr(stat, ')') : NULL;
		char state_char = 0;
		int ppid = 0, pgrp = 0, session = 0;
		if (after != NULL && sscanf(after + 1, " %c %d %d %d", &state_char, &ppid, &pgrp,
				&session) == 4 && session == sid && state_char != 'Z') {
			pids[count++] = pid;
		}
		free(stat);
	}
	closedir(proc);
	return count;
}

/*
 * What pinhole started should end with it (it sends SIGTERM to those process
 * groups on exit): give them a moment to act on it, then make sure.
 */
static void end_session_leftovers(pid_t sid) {
	pid_t pids[64];
	int count = 0;
	for (int waited = 0; waited < 2000; waited += 10) {
		count = ph_session_members(sid, pids, 64);
		if (count == 0) {
			return;
		}
		ph_sleep_ms(10);
	}
	ph_diag("%d processes pinhole started outlived it by 2 s; killing them", count);
	for (int i = 0; i < count; i++) {
		kill(pids[i], SIGKILL);
	}
}

int ph_compositor_stop(struct ph_compositor *c) {
	if (c->pid <= 0) {
		return -1;
	}
	kill(c->pid, SIGTERM);
	int status = 0;
	for (int waited = 0; waited < 10000; waited += 10) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			untrack_child(c->pid);
			kill(-c->pid, SIGKILL); /* leftovers in its own group */
			end_session_leftovers(c->pid);
			c->pid = 0;
			if (WIFEXITED(status)) {
				return WEXITSTATUS(status);
			}
			return 128 + WTERMSIG(status);
		}
		ph_sleep_ms(10);
	}
	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	end_session_leftovers(c->pid);
	untrack_child(c->pid);
	c->pid = 0;
	ph_diag("pinhole did not exit within 10 s of SIGTERM");
	return -1;
}

void ph_compositor_dump_log(struct ph_compositor *c) {
	char *log = ph_read_file(c->log_path);
	if (log == NULL) {
		return;
	}
	/* The tail is what matters; TAP wants each line commented. */
	size_t len = strlen(log);
	const char *start = len > 6000 ? log + len - 6000 : log;
	printf("# --- pinhole log (%s) ---\n", c->log_path);
	for (const char *p = start; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		int n = nl != NULL ? (int)(nl - p) : (int)strlen(p);
		printf("#   %.*s\n", n, p);
		p += n + (nl != NULL ? 1 : 0);
	}
	free(log);
}

/* In a forked child: the compositor's environment, then the client. */
static void exec_client(struct ph_compositor *c, const char *const *argv) {
	if (c != NULL) {
		setenv("XDG_RUNTIME_DIR", c->runtime_dir, 1);
		setenv("WAYLAND_DISPLAY", c->socket, 1);
		if (c->display[0] != '\0') {
			setenv("DISPLAY", c->display, 1);
		}
	}
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

bool ph_spawn(struct ph_compositor *c, struct ph_process *p, const char *const *argv,
		unsigned flags) {
	memset(p, 0, sizeof(*p));
	p->stdin_fd = p->stdout_fd = -1;
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	if ((flags & PH_PIPE_STDIN) && pipe2(in, O_CLOEXEC) != 0) {
		return false;
	}
	if ((flags & PH_PIPE_STDOUT) && pipe2(out, O_CLOEXEC) != 0) {
		return false;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		if (in[0] >= 0) {
			dup2(in[0], STDIN_FILENO);
		} else {
			int null = open("/dev/null", O_RDONLY);
			dup2(null, STDIN_FILENO);
		}
		if (out[1] >= 0) {
			dup2(out[1], STDOUT_FILENO);
		}
		exec_client(c, argv);
	}
	if (in[0] >= 0) {
		close(in[0]);
		p->stdin_fd = in[1];
	}
	if (out[1] >= 0) {
		close(out[1]);
		p->stdout_fd = out[0];
	}
	p->pid = pid;
	track_child(pid);
	return pid > 0;
}

bool ph_read_line(struct ph_process *p, char *line, size_t size, int timeout_ms) {
	int64_t deadline = ph_now_ms() + timeout_ms;
	for (;;) {
		char *nl = memchr(p->buf, '\n', p->buf_len);
		if (nl != NULL) {
			size_t n = (size_t)(nl - p->buf);
			snprintf(line, size, "%.*s", (int)n, p->buf);
			memmove(p->buf, nl + 1, p->buf_len - n - 1);
			p->buf_len -= n + 1;
			return true;
		}
		int64_t left = deadline - ph_now_ms();
		if (left <= 0 || p->stdout_fd < 0 || p->buf_len == sizeof(p->buf)) {
			return false;
		}
		struct pollfd pfd = {.fd = p->stdout_fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) <= 0) {
			return false;
		}
		ssize_t n = read(p->stdout_fd, p->buf + p->buf_len, sizeof(p->buf) - p->buf_len);
		if (n <= 0) {
			return false;
		}
		p->buf_len += (size_t)n;
	}
}

bool ph_expect_line(struct ph_process *p, const char *prefix, char *line, size_t size,
		int timeout_ms) {
	int64_t deadline = ph_now_ms() + timeout_ms;
	char buf[1024];
	while (ph_now_ms() < deadline) {
		if (!ph_read_line(p, buf, sizeof(buf), (int)(deadline - ph_now_ms()))) {
			return false;
		}
		if (strncmp(buf, prefix, strlen(prefix)) == 0) {
			if (line != NULL) {
				snprintf(line, size, "%s", buf);
			}
			return true;
		}
	}
	return false;
}

bool ph_write_line(struct ph_process *p, const char *fmt, ...) {
	char buf[512];
	va_list args;
	va_start(args, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, args);
	va_end(args);
	buf[n++] = '\n';
	return p->stdin_fd >= 0 && write(p->stdin_fd, buf, (size_t)n) == n;
}

int ph_wait(struct ph_process *p, int timeout_ms) {
	if (p->pid <= 0) {
		return -1;
	}
	int status;
	for (int waited = 0; waited <= timeout_ms; waited += 5) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			untrack_child(p->pid);
			p->pid = 0;
			if (p->stdin_fd >= 0) {
				close(p->stdin_fd);
				p->stdin_fd = -1;
			}
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		ph_sleep_ms(5);
	}
	ph_kill(p);
	return -1;
}

void ph_kill(struct ph_process *p) {
	if (p->pid > 0) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		untrack_child(p->pid);
		p->pid = 0;
	}
	if (p->stdin_fd >= 0) {
		close(p->stdin_fd);
		p->stdin_fd = -1;
	}
	if (p->stdout_fd >= 0) {
		close(p->stdout_fd);
		p->stdout_fd = -1;
	}
}

int ph_run(struct ph_compositor *c, const char *const *argv, int timeout_ms,
		char *out, size_t out_size) {
	char path[600];
	snprintf(path, sizeof(path), "%s/run-%d.out", state.scratch, rand());
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		int null = open("/dev/null", O_RDONLY);
		dup2(null, STDIN_FILENO);
		exec_client(c, argv);
	}
	track_child(pid);
	struct ph_process p = {.pid = pid, .stdin_fd = -1, .stdout_fd = -1};
	int code = ph_wait(&p, timeout_ms);
	if (out != NULL && out_size > 0) {
		char *data = ph_read_file(path);
		snprintf(out, out_size, "%s", data != NULL ? data : "");
		free(data);
	}
	unlink(path);
	return code;
}

/* Images */

static bool load_ppm(FILE *f, struct ph_image *image) {
	int width, height, maxval;
	if (fscanf(f, "P6 %d %d %d", &width, &height, &maxval) != 3 || maxval != 255 ||
			fgetc(f) == EOF) {
		return false;
	}
	image->width = width;
	image->height = height;
	image->pixels = calloc((size_t)width * height, 4);
	for (int i = 0; i < width * height; i++) {
		unsigned char rgb[3];
		if (fread(rgb, 1, 3, f) != 3) {
			return false;
		}
		image->pixels[i] = 0xff000000u | (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
	}
	return true;
}

static bool load_png(const char *path, struct ph_image *image) {
	png_image png = {.version = PNG_IMAGE_VERSION};
	if (!png_image_begin_read_from_file(&png, path)) {
		return false;
	}
	png.format = PNG_FORMAT_BGRA; /* little-endian 0xAARRGGBB words */
	image->width = (int)png.width;
	image->height = (int)png.height;
	image->pixels = calloc(png.width * png.height, 4);
	if (!png_image_finish_read(&png, NULL, image->pixels, 0, NULL)) {
		png_image_free(&png);
		return false;
	}
	return true;
}

bool ph_image_load(const char *path, struct ph_image *image) {
	memset(image, 0, sizeof(*image));
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return false;
	}
	char magic[2] = {0};
	size_t n = fread(magic, 1, 2, f);
	rewind(f);
	bool ok;
	if (n == 2 && magic[0] == 'P' && magic[1] == '6') {
		ok = load_ppm(f, image);
		fclose(f);
	} else {
		fclose(f);
		ok = load_png(path, image);
	}
	if (!ok) {
		ph_image_finish(image);
	}
	return ok;
}

void ph_image_finish(struct ph_image *image) {
	free(image->pixels);
	image->pixels = NULL;
}

uint32_t ph_image_at(const struct ph_image *image, int x, int y) {
	if (x < 0 || y < 0 || x >= image->width || y >= image->height) {
		return 0;
	}
	return image->pixels[(size_t)y * image->width + x];
}

bool ph_image_rect_is(const struct ph_image *image, int x, int y, int width, int height,
		uint32_t argb, char *why, size_t why_size) {
	for (int j = y; j < y + height; j++) {
		for (int i = x; i < x + width; i++) {
			uint32_t got = ph_image_at(image, i, j);
			if (got != argb) {
				snprintf(why, why_size, "pixel (%d,%d) is 0x%08x, expected 0x%08x",
					i, j, got, argb);
				return false;
			}
		}
	}
	snprintf(why, why_size, "ok");
	return true;
}
