/*
 * Copyright (c) 2026 The ovs-colo authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef VSWITCHD_COLO_CTL_H
#define VSWITCHD_COLO_CTL_H 1

/* ovs-vswitchd's side of the OVSDB COLO table.
 *
 * bridge.c owns the database connection and calls these functions from its
 * own init, run, wait and exit.  This module validates every COLO row
 * whenever the database changes, keeps the pairs in effect, publishes each
 * row's "status" and "statistics", and serves "ovs-appctl colo/show".
 *
 * Thread safety: main thread only, like the IDL and unixctl. */

struct ovsdb_idl;

void colo_ctl_init(struct ovsdb_idl *);
void colo_ctl_run(struct ovsdb_idl *);
void colo_ctl_wait(struct ovsdb_idl *);
void colo_ctl_exit(void);
void colo_ctl_destroy(void);

struct ovsrec_bridge;
const char *colo_ctl_bridge_carries_pair(const struct ovsdb_idl *,
                                         const struct ovsrec_bridge *);

#endif /* colo-ctl.h */
