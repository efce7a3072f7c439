/*
 * Whether this machine's /dev/kvm is KVM proper, for the programs that choose where mvm's guests
 * run (tests/kvm/guest_tests.c, bench/vm-boot-measure.c).
 */
#ifndef MVM_TESTS_KVM_PROBE_H
#define MVM_TESTS_KVM_PROBE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * KVM proper needs the CPU's hardware virtualization (VT-x or AMD-V: the vmx or svm flag). A
 * /dev/kvm without it is a paravirtual one (PVM, which a virtual machine can offer its own
 * guests): it creates VMs and runs tiny guests, but a stock kernel crawls through its
 * instruction emulation, so it does not count as a usable /dev/kvm.
 */
static inline bool kvm_probe_hardware_virtualization(void)
{
	char line[4096];
	bool found = false;
	FILE *cpuinfo = fopen("/proc/cpuinfo", "re");

	if (!cpuinfo)
		return false;
	while (fgets(line, sizeof(line), cpuinfo)) {
		if (strncmp(line, "flags", 5) == 0) {
			char *saved = NULL;
			for (char *flag = strtok_r(line, " \t:\n", &saved); flag && !found;
			     flag = strtok_r(NULL, " \t:\n", &saved))
				found = strcmp(flag, "vmx") == 0 || strcmp(flag, "svm") == 0;
			break;
		}
	}
	fclose(cpuinfo);
	return found;
}

#endif
