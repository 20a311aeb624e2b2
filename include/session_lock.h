#ifndef PINHOLE_SESSION_LOCK_H
#define PINHOLE_SESSION_LOCK_H

#include <stdbool.h>

struct server;
struct session_lock;
struct wlr_surface;

/*
 * ext-session-lock-v1. While the session is locked, a scene tree above
 * everything else covers every output with a solid colour and the lock
 * client's surface for that output; input goes only to lock surfaces (a drag
 * in progress is cancelled when the lock engages) and the capture module
 * shows no window. The session stays locked when the locker
 * dies (another locker may take over) and is unlocked only by
 * unlock_and_destroy after `locked`.
 */
struct session_lock *session_lock_create(struct server *server);
void session_lock_destroy(struct session_lock *lock);
bool session_lock_is_locked(const struct session_lock *lock);
/* Whether input may go to surface: any surface while unlocked, else lock surfaces only. */
bool session_lock_accepts_input(const struct session_lock *lock, struct wlr_surface *surface);

#endif
