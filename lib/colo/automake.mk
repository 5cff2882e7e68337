# COLO proxy overlay, included by OVS's Makefile.am (ovs-patches/ adds the
# include).  Paths are relative to the OVS tree, into which build-aux/ovs-tree
# copies lib/colo/, vswitchd/colo*, tests/colo* and tests/test-colo*.

lib_libopenvswitch_la_SOURCES += \
	lib/colo/colo-compare.c \
	lib/colo/colo-compare.h \
	lib/colo/colo-config.c \
	lib/colo/colo-config.h \
	lib/colo/colo-conntab.c \
	lib/colo/colo-conntab.h \
	lib/colo/colo-dp.c \
	lib/colo/colo-dp.h \
	lib/colo/colo-frame.c \
	lib/colo/colo-frame.h \
	lib/colo/colo-link.c \
	lib/colo/colo-link.h \
	lib/colo/colo-notify.c \
	lib/colo/colo-notify.h \
	lib/colo/colo-packet.c \
	lib/colo/colo-odp.c \
	lib/colo/colo-odp.h \
	lib/colo/colo-packet.h \
	lib/colo/colo-rewrite.c \
	lib/colo/colo-rewrite.h \
	lib/colo/colo-stats.h \
	lib/colo/netdev-colo.c \
	lib/colo/netdev-colo.h

vswitchd_ovs_vswitchd_SOURCES += \
	vswitchd/colo-ctl.c \
	vswitchd/colo-ctl.h

bin_PROGRAMS += utilities/ovs-colo-notify
utilities_ovs_colo_notify_SOURCES = utilities/ovs-colo-notify.c
utilities_ovs_colo_notify_LDADD = lib/libopenvswitch.la

tests_ovstest_SOURCES += \
	tests/colo-test-packet.c \
	tests/colo-test-packet.h \
	tests/test-colo-channel.c \
	tests/test-colo-checkpoint.c \
	tests/test-colo-compare.c \
	tests/test-colo-config.c \
	tests/test-colo-drive.c \
	tests/test-colo-packet.c \
	tests/test-colo-rewrite.c

TESTSUITE_AT += \
	tests/colo.at \
	tests/colo-config.at \
	tests/colo-engines.at \
	tests/colo-channel.at \
	tests/colo-datapath.at \
	tests/colo-notify.at \
	tests/colo-release.at \
	tests/colo-failover.at

EXTRA_DIST += \
	lib/colo/automake.mk \
	lib/colo/colo-dpif-netdev.inc \
	lib/colo/colo-ofp-actions.inc \
	lib/colo/colo-xlate.inc \
	tests/colo-notify-peer.py \
	tests/colo-peer.py \
	tests/colo-qmp-peer.py

# The manager and its cluster schema, installed beside OVS's own.
bin_SCRIPTS += utilities/ovs-colo-manager
pkgdata_DATA += utilities/ovs-colo-cluster.ovsschema
EXTRA_DIST += \
	utilities/ovs-colo-cluster.ovsschema \
	utilities/ovs-colo-manager

# Man pages, from reStructuredText (docutils' manpage writer, as rst2man).
man_MANS += \
	utilities/ovs-colo-manager.8 \
	utilities/ovs-colo-notify.8
EXTRA_DIST += \
	utilities/ovs-colo-manager.8.rst \
	utilities/ovs-colo-notify.8.rst
CLEANFILES += \
	utilities/ovs-colo-manager.8 \
	utilities/ovs-colo-notify.8
COLO_RST2MAN = $(PYTHON3) -c 'import sys, docutils.core; \
	docutils.core.publish_file(source_path=sys.argv[1], \
	destination_path=sys.argv[2], writer_name="manpage", \
	settings_overrides={"halt_level": 2, "report_level": 2})'
utilities/ovs-colo-manager.8: utilities/ovs-colo-manager.8.rst
	$(AM_V_GEN)$(COLO_RST2MAN) $(srcdir)/utilities/ovs-colo-manager.8.rst $@
utilities/ovs-colo-notify.8: utilities/ovs-colo-notify.8.rst
	$(AM_V_GEN)$(COLO_RST2MAN) $(srcdir)/utilities/ovs-colo-notify.8.rst $@
