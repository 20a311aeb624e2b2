#ifndef PINHOLE_VT_SWITCH_H
#define PINHOLE_VT_SWITCH_H

struct server;
struct vt_switch;

/*
 * Follows the libseat session (DRM/KMS) and logs its changes: while it is
 * inactive (another VT is shown) wlroots has destroyed the DRM outputs and
 * suspended the input devices, and pinhole renders nothing; once active
 * again the outputs come back as new ones. NULL without a session (nested,
 * headless).
 */
struct vt_switch *vt_switch_create(struct server *server);
void vt_switch_destroy(struct vt_switch *vt_switch);

#endif
