#ifndef PINHOLE_VT_SWITCH_H
#define PINHOLE_VT_SWITCH_H

struct server;
struct vt_switch;

/*
 * Follows the libseat session (DRM/KMS): while it is inactive (another VT is
 * shown) pinhole renders nothing and wlroots has suspended the input
 * devices; once active again every output is drawn whole. NULL without a
 * session (nested, headless).
 */
struct vt_switch *vt_switch_create(struct server *server);
void vt_switch_destroy(struct vt_switch *vt_switch);

#endif
