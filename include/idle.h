#ifndef PINHOLE_IDLE_H
#define PINHOLE_IDLE_H

struct server;
struct idle;
struct wlr_seat;

/*
 * ext-idle-notify-v1 and idle-inhibit-v1. Every input event is activity; an
 * inhibitor holds idle back while its surface is shown on an enabled output
 * (a surface hidden behind other windows or the lock screen shows nowhere).
 */
struct idle *idle_create(struct server *server);
void idle_destroy(struct idle *idle);
/* The user did something on this seat (any input event, virtual devices included). */
void idle_notify_activity(struct idle *idle, struct wlr_seat *seat);
/*
 * What is shown may have changed (a frame was rendered, an output switched
 * on or off, the session locked): inhibitors are checked again.
 */
void idle_update_inhibit(struct idle *idle);

#endif
