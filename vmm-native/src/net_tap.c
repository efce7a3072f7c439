#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "devices.h"

int net_tap_open(const char *name)
{
	struct ifreq request;
	int fd, ret;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&request, 0, sizeof(request));
	/* Frames without the packet-information prefix; the virtio header is ours. */
	request.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(request.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &request) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}
